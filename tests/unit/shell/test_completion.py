"""Completion with real prompt_toolkit Documents against a captured schema."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent, Completion
from prompt_toolkit.document import Document

from qmpsh.builtins import registry as builtins
from qmpsh.lang.unparse import to_shorthand
from qmpsh.schema.model import Schema
from qmpsh.shell.candidates import matches
from qmpsh.shell.completion import QmpCompleter
from qmpsh.shell.live_values import LiveValues
from tests import corpus, schemas


async def _nothing(message: dict[str, object]) -> dict[str, object]:
    raise AssertionError("no server in unit tests")


@pytest.fixture(scope="module")
def schema() -> Schema:
    return schemas.system()


@pytest.fixture
def live() -> LiveValues:
    values = LiveValues(_nothing, ttl=3600)
    values.put(("block",), [("drive0", "device"), ("base", "qcow2 base.qcow2")])
    values.put(("jobs",), [("job0", "stream running")])
    values.put(("devices",), [("net0", "child<virtio-net-pci>")])
    values.put(("chardevs",), [("mon0", "unix:/x")])
    values.put(("qom", "/"), [("machine", "child<pc-q35-7.2-machine>")])
    values.put(
        ("qom", "/machine"),
        [("peripheral", "child<container>"), ("peripheral-anon", "child<container>")],
    )
    values.put(("qom-props", "/machine"), [("type", "string"), ("kernel", "string")])
    return values


@pytest.fixture
def completer(schema: Schema, live: LiveValues) -> QmpCompleter:
    return QmpCompleter(lambda: schema, live=live, builtins=builtins.load_all())


def complete(completer: QmpCompleter, text: str) -> list[Completion]:
    return list(completer.get_completions(Document(text), CompleteEvent()))


def texts(completer: QmpCompleter, text: str) -> list[str]:
    return [c.text for c in complete(completer, text)]


def test_command_names(completer: QmpCompleter) -> None:
    found = complete(completer, "query-sta")
    assert [c.text for c in found] == [
        "query-stats",
        "query-stats-schemas",
        "query-status",
    ]
    assert all(c.start_position == -len("query-sta") for c in found)
    # built-ins and transaction( are commands too
    assert "help" in texts(completer, "he")
    assert "transaction(" in texts(completer, "transa")
    # a long enough word matches inside names too, after the prefix matches
    assert texts(completer, "status")[:1] == ["query-status"]


def test_deprecated_and_unstable_are_marked(completer: QmpCompleter) -> None:
    by_text = {c.text: c for c in complete(completer, "drive-")}
    assert by_text["drive-backup"].display_meta_text == "deprecated"
    assert "completion.deprecated" in by_text["drive-backup"].style
    assert by_text["drive-mirror"].display_meta_text == ""
    unstable = {c.text: c for c in complete(completer, "x-blockdev-ch")}
    assert unstable["x-blockdev-change"].display_meta_text == "unstable"


def test_argument_keys_with_meta(completer: QmpCompleter) -> None:
    found = {c.text: c.display_meta_text for c in complete(completer, "device_del ")}
    assert found == {"id=": "str, required"}
    found = {c.text: c.display_meta_text for c in complete(completer, "blockdev-add ")}
    assert next(iter(found)) == "driver="  # the discriminator first
    assert found["driver="] == "enum, required, selects the variant"
    assert found["cache."] == "object, optional"  # an object: continue with "."
    assert "lazy-refcounts=" not in found  # a qcow2 member: no driver yet


def test_given_keys_are_left_out(completer: QmpCompleter) -> None:
    found = texts(completer, "blockdev-add driver=qcow2 node-name=n ")
    assert "node-name=" not in found and "driver=" not in found
    assert {"file=", "lazy-refcounts=", "data-file="} <= set(found)


def test_nested_union_members(completer: QmpCompleter) -> None:
    # the file variant's members, for the driver chosen for file
    found = texts(completer, "blockdev-add driver=qcow2 file.driver=file file.")
    assert "filename=" in found and "aio=" in found
    assert "lazy-refcounts=" not in found and "driver=" not in found
    nbd = texts(completer, "blockdev-add driver=qcow2 file.driver=nbd file.")
    assert "server." in nbd and "export=" in nbd and "filename=" not in nbd
    assert texts(completer, "blockdev-add driver=qcow2 file.driver=file file.fil") == [
        "filename="
    ]


def test_enum_bool_and_null_values(completer: QmpCompleter) -> None:
    assert texts(completer, "blockdev-add driver=qco") == ["qcow", "qcow2"]
    assert texts(completer, "blockdev-add driver=qcow2 file.driver=file file.aio=") == [
        "threads",
        "native",
        "io_uring",
    ]
    assert texts(completer, "blockdev-add driver=raw read-only=") == ["true", "false"]
    assert "null" in texts(completer, "migrate-set-parameters tls-creds=")
    # deprecated enum values are marked
    found = complete(completer, "transaction(\n  drive-")
    assert [(c.text, c.display_meta_text) for c in found] == [
        ("drive-backup", "action, deprecated")
    ]
    assert "completion.deprecated" in found[0].style


def test_transaction_actions(completer: QmpCompleter) -> None:
    assert texts(completer, "transaction(\n  block-dirty-bitmap-a") == [
        "block-dirty-bitmap-add"
    ]
    assert ")" in texts(completer, "transaction(\n  abort\n")
    assert ")" not in texts(completer, "transaction(\n")
    found = texts(completer, "transaction(\n  block-dirty-bitmap-add node=n ")
    assert found == ["name=", "granularity=", "persistent=", "disabled="]
    assert texts(completer, "transaction(\n  abort\n) completion-mode=") == [
        "individual",
        "grouped",
    ]


def test_live_values(completer: QmpCompleter) -> None:
    assert texts(completer, "block-dirty-bitmap-add node=") == ["drive0", "base"]
    assert texts(completer, "transaction(\n  block-dirty-bitmap-add node=d") == [
        "drive0"
    ]
    assert texts(completer, "job-pause id=") == ["job0"]
    assert texts(completer, "block-job-cancel device=") == ["job0"]
    assert texts(completer, "device_del id=") == ["net0"]
    assert texts(completer, "chardev-remove id=") == ["mon0"]
    meta = {
        c.text: c.display_meta_text
        for c in complete(completer, "blockdev-del node-name=")
    }
    assert meta == {"drive0": "device", "base": "qcow2 base.qcow2"}
    # a name being created is not completed from existing ones
    assert texts(completer, "blockdev-add driver=raw node-name=") == []
    assert texts(completer, "blockdev-add driver=raw file=") == ["drive0", "base"]


def test_qom_paths_segment_by_segment(completer: QmpCompleter) -> None:
    found = complete(completer, "qom-list path=/")
    assert [c.text for c in found] == ["/machine"]
    found = complete(completer, "qom-list path=/machine/per")
    assert [c.text for c in found] == [
        "/machine/peripheral",
        "/machine/peripheral-anon",
    ]
    assert [c.display_text for c in found] == ["peripheral", "peripheral-anon"]
    assert found[0].start_position == -len("/machine/per")
    # property names of the path given
    assert texts(completer, "qom-get path=/machine property=") == ["type", "kernel"]
    # device_del takes a QOM path too
    assert texts(completer, "device_del id=/machine/p") == [
        "/machine/peripheral",
        "/machine/peripheral-anon",
    ]


def test_file_names(completer: QmpCompleter, tmp_path: Path) -> None:
    tmp_path = tmp_path / "files"
    tmp_path.mkdir()
    (tmp_path / "disk.qcow2").touch()
    (tmp_path / "dir").mkdir()
    (tmp_path / ".hidden").touch()
    found = texts(completer, f"blockdev-add driver=file filename={tmp_path}/")
    assert found == [f"{tmp_path}/dir/", f"{tmp_path}/disk.qcow2"]
    assert texts(completer, f"screendump filename={tmp_path}/di") == [
        f"{tmp_path}/dir/",
        f"{tmp_path}/disk.qcow2",
    ]
    spaced = tmp_path / "a b"
    spaced.touch()
    assert texts(completer, f"screendump filename={tmp_path}/a") == [f'"{spaced}"']
    assert texts(completer, f'screendump filename="{tmp_path}/a') == [f'{spaced}"']


def test_help_topics(completer: QmpCompleter) -> None:
    found = texts(completer, "help query-sta")
    assert found == ["query-stats", "query-stats-schemas", "query-status"]
    assert "SHUTDOWN" in texts(completer, "help SHUT")
    assert texts(completer, "help ke") == ["keys"]
    assert texts(completer, "events --c") == ["--clear"]  # declared options
    assert texts(completer, "jobs --f") == ["--follow"]


def test_no_schema_still_completes_builtins() -> None:
    plain = QmpCompleter(lambda: None, builtins=builtins.load_all())
    assert texts(plain, "he") == ["help"]
    assert texts(plain, "device_del ") == []
    hmp = QmpCompleter(
        lambda: None,
        builtins=builtins.load_all(),
        extra_commands=lambda: [("info", "HMP"), ("help", "HMP")],
    )
    found = {c.text: c.display_meta_text for c in complete(hmp, "")}
    assert found["info"] == "HMP"
    assert found["help"] == "HMP"  # the injected list wins


def test_pending_lines_continue_a_transaction(schema: Schema, live: LiveValues) -> None:
    pending = "transaction(\n  abort"
    completer = QmpCompleter(
        lambda: schema, live=live, builtins=builtins.load_all(), pending=lambda: pending
    )
    assert texts(completer, "  block-dirty-bitmap-add node=n na") == ["name="]


def test_async_completion_waits_for_live_values(schema: Schema) -> None:
    calls: list[str] = []

    async def execute(message: dict[str, object]) -> dict[str, object]:
        calls.append(str(message["execute"]))
        return {"return": [{"id": "job1", "type": "stream", "status": "running"}]}

    async def run() -> list[str]:
        completer = QmpCompleter(
            lambda: schema, live=LiveValues(execute), builtins=builtins.load_all()
        )
        out = []
        async for item in completer.get_completions_async(
            Document("job-cancel id="), CompleteEvent()
        ):
            out.append(item.text)
        return out

    assert asyncio.run(run()) == ["job1"]
    assert calls == ["query-jobs"]


def test_values_asked_before_a_change_are_not_kept() -> None:
    """A fetch under way when a command changes things (`forget`) brings
    what was there before: its values are dropped, not cached."""
    calls: list[str] = []
    gate = asyncio.Event()

    async def execute(message: dict[str, object]) -> dict[str, object]:
        calls.append(str(message["execute"]))
        number = len(calls)
        if number == 1:
            await gate.wait()
        return {"return": [{"id": f"job{number}", "type": "t", "status": "s"}]}

    async def run() -> tuple[object, object]:
        live = LiveValues(execute)
        assert live.peek(("jobs",)) is None  # starts the first fetch
        await asyncio.sleep(0)
        live.forget()
        gate.set()
        await asyncio.sleep(0.01)
        return live.peek(("jobs",)), await live.get(("jobs",))

    assert asyncio.run(run()) == (None, [("job2", "t s")])


def test_matches() -> None:
    assert matches("", ["b", "a"]) == ["b", "a"]
    assert matches("QU", ["quit", "query"]) == ["quit", "query"]
    assert matches("sta", ["query-status", "stop"]) == ["query-status"]
    assert matches("st", ["query-status", "stop"]) == ["stop"]


def test_every_prefix_never_crashes(completer: QmpCompleter) -> None:
    """For every corpus request rendered to shorthand, completion at every
    cursor position returns without an exception."""
    count = 0
    for request in corpus.requests():
        text = to_shorthand(request)
        for cursor in range(len(text) + 1):
            list(completer.get_completions(Document(text, cursor), CompleteEvent()))
            count += 1
    assert count > 10000


def test_builtin_words(completer: QmpCompleter, live: LiveValues) -> None:
    """After a built-in: event names for wait and filter, commands for
    watch, live values (QOM paths, HMP commands, jobs, block devices)."""
    assert texts(completer, "wait BLOCK_JOB_RE") == ["BLOCK_JOB_READY"]
    after = texts(completer, "wait BLOCK_JOB_READY ")  # options, no second event
    assert "--timeout" in after and not any(t.isupper() for t in after)
    assert texts(completer, "wait --timeout ") == []  # the option's value
    assert "RESUME" in texts(completer, "filter --exclude-event RES")
    assert texts(completer, "watch --count 3 query-statu") == ["query-status"]
    assert texts(completer, "watch query-status ") == []
    assert texts(completer, "qom list /machine/per") == [
        "/machine/peripheral",
        "/machine/peripheral-anon",
    ]
    menu = complete(completer, "qom get /machine/per")
    assert [c.display_text for c in menu] == ["peripheral", "peripheral-anon"]
    assert texts(completer, "wait-job j") == ["job0"]
    assert texts(completer, "commit d") == ["drive0"]
    assert texts(completer, "commit drive0 --base b") == ["base"]
    live.put(("hmp",), [("info", "show various information"), ("quit", "quit")])
    live.put(("hmp-info",), [("block", "show block devices")])
    assert texts(completer, "hmp qu") == ["quit"]
    assert texts(completer, "hmp info bl") == ["block"]
    assert texts(completer, "hmp info block ") == []


def test_device_types_for_device_add(completer: QmpCompleter, live: LiveValues) -> None:
    live.put(("device-types",), [("virtio-net-pci", "virtio-net-pci-base")])
    found = complete(completer, "device_add driver=virtio-n")
    assert [(c.text, c.display_meta_text) for c in found] == [
        ("virtio-net-pci", "virtio-net-pci-base")
    ]
