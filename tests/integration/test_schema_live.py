"""The schema of real QEMU processes: loading and caching, validation against
what QEMU really accepts and refuses, and live completion values."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from qmpsh.builtins import registry as builtins
from qmpsh.lang.parser import Request, parse
from qmpsh.schema.cache import SchemaCache
from qmpsh.schema.model import Schema
from qmpsh.schema.service import SchemaService
from qmpsh.schema.validate import Problem, validate
from qmpsh.shell.completion import QmpCompleter
from qmpsh.shell.live_values import LiveValues
from qmpsh.wire.connection import Connection
from qmpsh.wire.stream import UnixSocket
from tests import corpus, schemas
from tests.procs import Qemu
from tests.storage import StorageDaemon
from tests.unit.schema.test_validate import EXPECTED_REFUSALS, ROWS

T = TypeVar("T")


@pytest.fixture
def qsd(tmp_path: Path) -> Iterator[StorageDaemon]:
    daemon = StorageDaemon(tmp_path / "qsd")
    try:
        yield daemon
    finally:
        daemon.kill()


@pytest.fixture
def q35(tmp_path: Path) -> Iterator[Qemu]:
    """A q35 machine, stopped, with a device and a chardev that have ids."""
    vm = Qemu(
        tmp_path / "q35",
        machine=("-M", "q35", "-S"),
        monitors=2,
        extra=("-device", "virtio-rng-pci,id=rng0", "-chardev", "null,id=null0"),
    )
    try:
        yield vm
    finally:
        vm.kill()


def session(sock: Path, body: Callable[[Connection], Awaitable[T]]) -> T:
    """Run *body* with a qmpsh connection to *sock*."""

    async def run() -> T:
        conn = Connection()
        await conn.connect(UnixSocket(str(sock)))
        try:
            return await body(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def load(sock: Path) -> SchemaService:
    async def body(conn: Connection) -> SchemaService:
        service = SchemaService(conn)
        await service.load()
        return service

    return session(sock, body)


# -- loading and the cache ----------------------------------------------------


def test_captured_schema_is_this_qemus(qemu: Qemu, qsd: StorageDaemon) -> None:
    """tests/data holds the installed QEMU's schemas (recapture if not)."""
    system = load(qemu.sock).schema
    daemon = load(qsd.sock).schema
    assert system is not None and daemon is not None
    assert set(system.commands) == set(schemas.system().commands)
    assert set(system.events) == set(schemas.system().events)
    assert set(daemon.commands) == set(schemas.storage_daemon().commands)


def test_fetched_once_then_loaded_from_the_cache(
    qemu: Qemu, qsd: StorageDaemon
) -> None:
    first = load(qemu.sock)
    assert (first.state, first.origin, first.verified) == ("ready", "server", True)
    cache = SchemaCache()
    assert len(list(cache.directory.glob("*.json"))) == 1
    again = load(qemu.sock)
    assert (again.state, again.origin, again.verified) == ("ready", "cache", True)
    assert set(again.schema.commands) == set(first.schema.commands)  # type: ignore[union-attr]
    # the storage daemon greets the same way, but is another server
    daemon = load(qsd.sock)
    assert daemon.origin == "server"
    assert "query-status" not in daemon.schema.commands  # type: ignore[union-attr]
    assert len(list(cache.directory.glob("*.json"))) == 2
    # and each finds its own file from now on
    assert load(qsd.sock).origin == "cache"
    system = load(qemu.sock)
    assert system.origin == "cache"
    assert "query-status" in system.schema.commands  # type: ignore[union-attr]


def test_cached_schema_is_usable_before_it_is_verified(qemu: Qemu) -> None:
    load(qemu.sock)

    async def body(conn: Connection) -> tuple[bool, bool, bool]:
        service = SchemaService(conn)
        task = service.start()
        # the provisional schema arrives from disk before query-commands returns
        while service.schema is None and not task.done():
            await asyncio.sleep(0)
        provisional = service.schema is not None and not service.verified
        await task
        return provisional, service.verified, service.verified_schema() is not None

    provisional, verified, usable = session(qemu.sock, body)
    assert verified and usable
    assert provisional


def test_a_damaged_cache_file_is_fetched_again(qemu: Qemu) -> None:
    load(qemu.sock)
    (path,) = SchemaCache().directory.glob("*.json")
    path.write_text('{"format": 1, "schema": "garbage"')
    service = load(qemu.sock)
    assert service.origin == "server" and service.schema is not None
    assert SchemaCache().load(path) is not None  # rewritten whole


def test_no_schema_from_a_guest_agent(qga: Any) -> None:
    async def run() -> SchemaService:
        conn = Connection(negotiate=False)
        await conn.connect(UnixSocket(str(qga.sock)))
        try:
            service = SchemaService(conn)
            await service.load()
            return service
        finally:
            await conn.close()

    service = asyncio.run(run())
    assert service.state == "unavailable" and service.schema is None
    assert "guest agent has no QMP schema" in service.error
    # but guest-info's command list, for completion and help
    assert service.agent_commands["guest-ping"].enabled
    assert not service.agent_commands["guest-exec"].enabled
    assert service.agent_version.count(".") == 2


# -- validation against what QEMU does ----------------------------------------


def covers(problems: list[Problem], desc: str) -> bool:
    """Whether QEMU's complaint *desc* is among *problems*, or implied by
    one: "'devce' is unexpected; did you mean 'id'?" says that id is missing
    (QEMU, which checks members in order, reports the missing one first)."""
    said = {p.message for p in problems}
    for p in problems:
        if p.message.endswith("is unexpected") and p.suggestions:
            parent = p.path.rpartition(".")[0]
            name = f"{parent}.{p.suggestions[0]}" if parent else p.suggestions[0]
            said.add(f"Parameter {name!r} is missing")
    return desc in said


def _live_schema(qemu: Qemu) -> Schema:
    schema = load(qemu.sock).schema
    assert schema is not None
    return schema


def test_every_corpus_refusal_is_refused_by_qemu_too(qemu: Qemu) -> None:
    """What validation refuses from the documented examples, the real QEMU
    refuses as well, and validation's problems include QEMU's own words.
    (Safe to send: each is refused while its arguments are parsed.)"""
    schema = _live_schema(qemu)
    for example in corpus.examples():
        key = (example["source"], example["line"])
        if key not in EXPECTED_REFUSALS:
            continue
        message = example["request"]
        problems = validate(message, schema)
        (reply,) = qemu.qmp(message)
        assert "error" in reply, (key, reply)
        assert covers(problems, reply["error"]["desc"]), key


def oob_qmp(path: Path, message: dict[str, Any]) -> dict[str, Any]:
    """Send *message* after negotiating out-of-band execution, as qmpsh does."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(15)
        sock.connect(str(path))
        stream = sock.makefile("rwb")
        stream.readline()  # the greeting
        caps = {"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}}
        replies = []
        for request in (caps, message):
            stream.write(json.dumps(request).encode() + b"\n")
            stream.flush()
            replies.append(json.loads(stream.readline()))
        assert "return" in replies[0]
        reply: dict[str, Any] = replies[1]
        return reply


#: where our words differ from QEMU's: it names alternates by their (hidden)
#: type name, and enum members without their path
WORDING_DIFFERS = {
    "Invalid parameter type for 'file', expected: BlockdevRef",
    "Invalid parameter type for 'tls-creds', expected: StrOrNull",
    "Parameter 'capability' does not accept value 'bad'",
}


@pytest.mark.parametrize(("message", "ours"), ROWS)
def test_refusals_match_qemu(qemu: Qemu, message: dict[str, Any], ours: str) -> None:
    schema = _live_schema(qemu)
    problems = validate(message, schema)
    assert problems and str(problems[0]) == ours
    if "exec-oob" in message:  # qmpsh negotiates out-of-band execution
        reply = oob_qmp(qemu.sockets[-1], message)
    else:
        (reply,) = qemu.qmp(message)
    assert "error" in reply, reply
    desc = reply["error"]["desc"]
    if desc not in WORDING_DIFFERS:
        assert covers(problems, desc)


def test_accepted_requests_succeed(qemu: Qemu, qsd: StorageDaemon) -> None:
    lines = [
        "query-status",
        "qom-list path=/machine",
        "qom-get path=/machine property=type",
        "migrate-set-parameters tls-creds=null max-bandwidth=64M",
        "object-add qom-type=memory-backend-ram id=mem0 size=1M",
        "object-del id=mem0",
        "!stop",  # the ! prefix is the shell's: QEMU never sees it
    ]
    schema = _live_schema(qemu)
    typer = load(qemu.sock).typer()
    for line in lines:
        request = parse(line.lstrip("!"), typer)
        assert isinstance(request, Request)
        assert validate(request.message, schema) == [], line
        (reply,) = qemu.qmp(request.message)
        assert "return" in reply, (line, reply)
    daemon = load(qsd.sock)
    assert daemon.schema is not None
    for line in [
        "blockdev-add driver=null-co node-name=n1 size=1M",
        "block-dirty-bitmap-add node=top name=007 granularity=64K persistent=false",
        "transaction(\n block-dirty-bitmap-clear node=top name=007\n)",
        "block-dirty-bitmap-remove node=top name=007",
        "blockdev-del node-name=n1",
    ]:
        request = parse(line, daemon.typer())
        assert isinstance(request, Request)
        assert validate(request.message, daemon.schema) == [], line
        (reply,) = qsd.qmp(request.message)
        assert "return" in reply, (line, reply)


# -- live values for completion -------------------------------------------------


def complete(sock: Path, *texts: str) -> list[list[str]]:
    """Completions (async, as the shell runs them) of each text."""

    async def body(conn: Connection) -> list[list[str]]:
        service = SchemaService(conn)
        await service.load()
        completer = QmpCompleter(
            lambda: service.schema,
            live=LiveValues(lambda m: conn.execute(m, 10)),
            builtins=builtins.load_all(),
            wait=10,
        )
        out = []
        for text in texts:
            found = [
                c.text
                async for c in completer.get_completions_async(
                    Document(text), CompleteEvent()
                )
            ]
            out.append(found)
        return out

    return session(sock, body)


def test_live_block_nodes_and_jobs(qsd: StorageDaemon) -> None:
    # a job that stays running: streaming 512 KiB at 1 byte per second
    (reply,) = qsd.qmp(
        {
            "execute": "block-stream",
            "arguments": {"job-id": "job0", "device": "top", "speed": 1},
        }
    )
    assert "return" in reply, reply
    (bitmap,) = qsd.qmp(
        {
            "execute": "block-dirty-bitmap-add",
            "arguments": {"node": "top", "name": "bm0"},
        }
    )
    assert "return" in bitmap, bitmap
    nodes, top, jobs, device, bitmaps, chardevs, mirror = complete(
        qsd.sock,
        "block-dirty-bitmap-add node=",
        "block-dirty-bitmap-add node=t",
        "job-pause id=",
        "block-job-set-speed device=",
        "block-dirty-bitmap-remove node=top name=",
        "chardev-remove id=",
        "transaction(\n  blockdev-backup device=base-file target=",
    )
    assert set(nodes) == {"base", "base-file", "top", "top-file"}
    assert top == ["top", "top-file"]
    assert jobs == ["job0"] and device == ["job0"]
    assert bitmaps == ["bm0"]
    assert set(chardevs) == {"mon0", "mon1"}
    assert set(mirror) == set(nodes)


def test_live_qom_paths_devices_and_chardevs(q35: Qemu) -> None:
    root, machine, peripheral, props, devices, chardevs = complete(
        q35.sock,
        "qom-list path=/",
        "qom-list path=/machine/per",
        "qom-get path=/machine/peripheral/",
        "qom-get path=/machine/peripheral/rng0 property=",
        "device_del id=",
        "chardev-remove id=",
    )
    assert "/machine" in root and "/objects" in root
    assert machine == ["/machine/peripheral", "/machine/peripheral-anon"]
    assert peripheral == ["/machine/peripheral/rng0"]
    assert {"type", "realized", "addr"} <= set(props)
    assert '"bus master[0]"' in props  # a name with a space comes quoted
    assert devices == ["rng0"]
    assert "null0" in chardevs


def test_live_values_for_builtins_and_device_types(
    q35: Qemu, qsd: StorageDaemon
) -> None:
    """The built-ins' words complete too: HMP commands and info
    subcommands after ``hmp``, QOM paths after ``qom get``, event names after
    ``wait``; and ``device_add driver=`` offers the server's device types."""
    hmp, info, qom, wait, drivers, watch = complete(
        q35.sock,
        "hmp block_",
        "hmp info bl",
        "qom list /machine/per",
        "wait BLOCK_JOB_RE",
        "device_add driver=virtio-net-p",
        "watch --interval 1 query-statu",
    )
    assert {"block_resize", "block_stream"} <= set(hmp)
    assert {"block", "block-jobs", "blockstats"} <= set(info)
    assert qom == ["/machine/peripheral", "/machine/peripheral-anon"]
    assert wait == ["BLOCK_JOB_READY"]
    assert {"virtio-net-pci", "virtio-net-pci-transitional"} <= set(drivers)
    assert watch == ["query-status"]
    # a block device and a job id for commit and wait-job
    (reply,) = qsd.qmp(
        {
            "execute": "block-stream",
            "arguments": {"job-id": "job0", "device": "top", "speed": 1},
        }
    )
    assert "return" in reply, reply
    commit, top, jobs = complete(qsd.sock, "commit t", "commit top --top ", "wait-job ")
    assert commit == ["top", "top-file"]
    assert {"base", "top"} <= set(top)
    assert set(jobs) == {"job0", "--timeout"}


def test_reconnecting_loads_the_schema_again(qemu: Qemu, qsd: StorageDaemon) -> None:
    """After a reconnection (maybe to another server) the schema is reloaded."""
    from qmpsh.builtins.context import Context
    from qmpsh.cli.session import StreamConsole
    from qmpsh.core.settings import Settings
    from qmpsh.shell.assist import SchemaAssist

    async def run() -> tuple[bool, bool]:
        conn = Connection()
        await conn.connect(UnixSocket(str(qemu.sock)))
        ctx = Context(conn, Settings(), StreamConsole(), interactive=True)
        assist = SchemaAssist.start(ctx)
        first = await assist.service.load()
        await conn.close()
        conn.reset()
        await conn.connect(UnixSocket(str(qsd.sock)))
        try:
            second = await assist.service.load()
        finally:
            await conn.close()
        assert first is not None and second is not None
        return "query-status" in first.commands, "query-status" in second.commands

    assert asyncio.run(run()) == (True, False)
