"""``qmpsh proxy``: one QEMU monitor shared by many real clients.

Real ``qemu-system-x86_64 -M none`` behind the proxy; real clients in
front of it: the ``qemu.qmp`` library, QEMU's qmp-shell, qmpsh itself and
raw sockets for what a client library would never do (garbage, vanishing
mid-request).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.procs import ROOT, Process, Qemu, listening, qmpsh, wait_for


class Proxy(Process):
    """``qmpsh proxy TARGET ARGS...`` in the background (stderr kept)."""

    def __init__(self, directory: Path, target: str, *args: str, wait: bool = True):
        super().__init__(directory)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with open(self.log, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "qmpsh", "proxy", target, *args],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                env=env,
                start_new_session=True,
                preexec_fn=_limit_memory,
            )
        if wait:
            wait_for(
                lambda: "serving" in self.stderr(), what="the proxy", proc=self.proc
            )

    def stop(self, signum: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        self.proc.send_signal(signum)
        return self.proc.wait(timeout=15)


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


class Raw:
    """A raw QMP client on a unix socket (lines in, lines out)."""

    def __init__(self, path: Path, negotiate: bool = True) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(15)
        self.sock.connect(str(path))
        self.stream = self.sock.makefile("rwb")
        self.greeting = self.read()
        if negotiate:
            assert self.ask({"execute": "qmp_capabilities"}) == {"return": {}}

    def send(self, message: Any) -> None:
        data = message if isinstance(message, bytes) else json.dumps(message).encode()
        self.stream.write(data + b"\n")
        self.stream.flush()

    def read(self) -> dict[str, Any]:
        line = self.stream.readline()
        assert line, "the proxy hung up"
        result: dict[str, Any] = json.loads(line)
        return result

    def reply(self) -> dict[str, Any]:
        while True:
            message = self.read()
            if "event" not in message:
                return message

    def ask(self, message: Any) -> dict[str, Any]:
        self.send(message)
        return self.reply()

    def event(self, name: str) -> dict[str, Any]:
        while True:
            message = self.read()
            if message.get("event") == name:
                return message

    def close(self) -> None:
        self.stream.close()
        self.sock.close()


@pytest.fixture
def vm(tmp_path: Path) -> Iterator[Qemu]:
    qemu = Qemu(tmp_path / "qemu", monitors=2)
    try:
        yield qemu
    finally:
        qemu.kill()


@pytest.fixture
def sockets(tmp_path: Path) -> Path:
    directory = tmp_path / "proxy"
    directory.mkdir(mode=0o700)
    return directory


@pytest.fixture
def proxy(vm: Qemu, sockets: Path) -> Iterator[Proxy]:
    p = Proxy(
        sockets,
        str(vm.sock),
        "--listen",
        str(sockets / "rw.sock"),
        "--listen-read-only",
        str(sockets / "ro.sock"),
        "--read-limit",
        "1000000",
        "-v",
    )
    try:
        yield p
    finally:
        p.kill()
    assert "Traceback" not in p.stderr()


def status(vm: Qemu) -> str:
    """The run state, asked on QEMU's own second monitor."""
    return str(vm.qmp({"execute": "query-status"})[0]["return"]["status"])


def test_sockets_are_private_and_each_client_gets_qemus_greeting_without_oob(
    proxy: Proxy, sockets: Path
) -> None:
    for name in ("rw.sock", "ro.sock"):
        assert (sockets / name).stat().st_mode & 0o777 == 0o600
    client = Raw(sockets / "rw.sock", negotiate=False)
    assert client.greeting["QMP"]["capabilities"] == []
    assert client.greeting["QMP"]["version"]["qemu"]["major"] >= 7
    before = client.ask({"execute": "query-status", "id": "early"})
    assert before == {
        "id": "early",
        "error": {
            "class": "CommandNotFound",
            "desc": "Expecting capabilities negotiation with 'qmp_capabilities'",
        },
    }
    oob = client.ask(
        {"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}, "id": 1}
    )
    assert "not available" in oob["error"]["desc"]
    assert client.ask({"execute": "qmp_capabilities", "id": 2}) == {
        "return": {},
        "id": 2,
    }
    again = client.ask({"execute": "qmp_capabilities"})
    assert again["error"]["class"] == "CommandNotFound"
    client.close()


def test_qemu_qmp_clients_and_qmpsh_share_the_monitor_and_all_get_events(
    proxy: Proxy, sockets: Path, vm: Qemu
) -> None:
    from qemu.qmp import EventListener, QMPClient

    async def main() -> None:
        first, second = QMPClient("first"), QMPClient("second")
        await first.connect(str(sockets / "rw.sock"))
        await second.connect(str(sockets / "ro.sock"))
        try:
            one, two = EventListener(), EventListener()
            with first.listen(one), second.listen(two):
                # both at once, pipelined by the library
                statuses: list[Any] = await asyncio.gather(
                    *(first.execute("query-status") for _ in range(20)),
                    *(second.execute("query-name") for _ in range(20)),
                )
                assert all(s["status"] == "running" for s in statuses[:20])
                assert all(s == {} for s in statuses[20:])
                # qmpsh, a third client, stops the VM through the proxy
                done = await asyncio.to_thread(
                    qmpsh, str(sockets / "rw.sock"), "-c", "stop"
                )
                assert done.returncode == 0, done.stderr
                got = [await asyncio.wait_for(q.get(), 10) for q in (one, two)]
                assert [e["event"] for e in got] == ["STOP", "STOP"]
                await first.execute("cont")
                got = [await asyncio.wait_for(q.get(), 10) for q in (one, two)]
                assert [e["event"] for e in got] == ["RESUME", "RESUME"]
        finally:
            await first.disconnect()
            await second.disconnect()

    asyncio.run(main())
    assert status(vm) == "running"


def test_qmp_shell_through_the_proxy(proxy: Proxy, sockets: Path) -> None:
    qmp_shell = Path(sys.executable).parent / "qmp-shell"
    if not qmp_shell.exists():
        message = "qmp-shell (of the qemu.qmp package, a dependency) is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    done = subprocess.run(
        [str(qmp_shell), str(sockets / "ro.sock")],
        input=b"query-status\nstop\n",
        capture_output=True,
        timeout=60,
    )
    out = done.stdout.decode()
    assert '"status": "running"' in out, (done.returncode, done.stderr.decode())
    assert "refused by --read-only" in out


def test_the_same_ids_from_two_clients_reach_each_its_own_replies(
    proxy: Proxy, sockets: Path
) -> None:
    a, b = Raw(sockets / "rw.sock"), Raw(sockets / "rw.sock")
    ids: list[Any] = [1, "1", None, [1, {"x": 2}], {"id": 1}, 1.5, True]
    for ident in ids:
        a.send({"execute": "query-version", "id": ident})
        b.send({"execute": "query-name", "id": ident})
        b.send({"execute": "query-status"})  # no id at all
    for ident in ids:
        got = a.reply()
        assert got["id"] == ident and "qemu" in got["return"]
        got = b.reply()
        assert got == {"id": ident, "return": {}}
        got = b.reply()
        assert "id" not in got and got["return"]["status"] == "running"
    a.close()
    b.close()


def test_a_read_only_socket_refuses_stop_and_passes_queries(
    proxy: Proxy, sockets: Path, vm: Qemu
) -> None:
    client = Raw(sockets / "ro.sock")
    refused = client.ask({"execute": "stop", "id": "s"})
    assert refused["id"] == "s"
    assert refused["error"]["class"] == "GenericError"
    assert "--read-only" in refused["error"]["desc"]
    assert client.ask({"execute": "query-status"})["return"]["status"] == "running"
    assert status(vm) == "running"  # never sent
    assert "refused: stop" in proxy.stderr()
    client.close()


def test_per_socket_allow_and_deny(vm: Qemu, sockets: Path) -> None:
    p = Proxy(
        sockets,
        str(vm.sock),
        "--listen",
        f"{sockets / 'q.sock'},allow=query-*,deny=query-name",
        "--deny",
        "quit",
    )
    try:
        client = Raw(sockets / "q.sock")
        assert "return" in client.ask({"execute": "query-status"})
        assert (
            "--deny query-name"
            in client.ask({"execute": "query-name"})["error"]["desc"]
        )
        assert "no --allow" in client.ask({"execute": "stop"})["error"]["desc"]
        assert "--deny quit" in client.ask({"execute": "quit"})["error"]["desc"]
        client.close()
        assert status(vm) == "running"
    finally:
        p.kill()


def test_misbehaving_clients_disturb_no_other(proxy: Proxy, sockets: Path) -> None:
    good = Raw(sockets / "rw.sock")
    silent = Raw(sockets / "rw.sock", negotiate=False)  # never negotiates
    rude = Raw(sockets / "rw.sock")
    rude.send(b"this is not json")
    assert rude.reply()["error"]["desc"].startswith("JSON parse error")
    rude.send(b"[1, 2]")
    assert rude.reply()["error"]["desc"] == "QMP input must be a JSON object"
    rude.send(b'{"execute": nonsense}')
    assert "JSON parse error" in rude.reply()["error"]["desc"]
    deep = b"[" * 5000 + b"]" * 5000
    rude.send(b'{"execute": "query-status", "arguments": {"a": ' + deep + b"}}")
    assert "JSON parse error" in rude.reply()["error"]["desc"]
    assert "return" in rude.ask({"execute": "query-status"})  # still served
    # a message beyond --read-limit (1000000): an error, then hung up on
    rude.send(b'{"execute": "query-status", "id": "' + b"x" * 1_100_000)
    assert "longer than 1000000 bytes" in rude.reply()["error"]["desc"]
    assert rude.stream.readline() == b""
    # a client that vanishes with requests in flight: replies dropped
    gone = Raw(sockets / "rw.sock")
    for i in range(200):
        gone.send({"execute": "query-status", "id": i})
    gone.sock.shutdown(socket.SHUT_RDWR)
    gone.close()
    for i in range(50):
        assert good.ask({"execute": "query-version", "id": i})["id"] == i
    wait_for(lambda: "went away: dropped" in proxy.stderr(), what="a dropped reply")
    assert silent.ask({"execute": "query-status"})["error"]["class"] == (
        "CommandNotFound"
    )
    assert proxy.alive()
    good.close()
    silent.close()


def test_a_client_killed_mid_request(proxy: Proxy, sockets: Path) -> None:
    code = (
        "import socket,sys,os,signal\n"
        "s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
        "s.recv(4096)\n"
        's.sendall(b\'{"execute":"qmp_capabilities"}\'+b\'{"execute":"query-qmp-schema"}\'*50)\n'
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    victim = subprocess.run(
        [sys.executable, "-c", code, str(sockets / "rw.sock")], timeout=30
    )
    assert victim.returncode == -signal.SIGKILL
    client = Raw(sockets / "rw.sock")
    assert client.ask({"execute": "query-status", "id": 7})["id"] == 7
    client.close()
    assert proxy.alive()


def test_sigterm_and_sigint_remove_the_sockets(vm: Qemu, sockets: Path) -> None:
    for signum, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
        path = sockets / "p.sock"
        p = Proxy(sockets, str(vm.sock), "--listen", str(path))
        client = Raw(path)
        assert p.stop(signum) == code
        assert not path.exists()
        assert client.stream.readline() == b""  # hung up on
        client.close()
    assert "serving" in p.stderr()


def test_a_path_that_exists(vm: Qemu, sockets: Path) -> None:
    plain = sockets / "file"
    plain.write_text("mine")
    done = qmpsh("proxy", str(vm.sock), "--listen", str(plain), timeout=30)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"qmpsh: cannot listen on {plain}: it exists and is not a socket"
    ]
    assert plain.read_text() == "mine"
    # QEMU's own socket: something listens there
    done = qmpsh("proxy", str(vm.sock), "--listen", str(vm.sockets[1]), timeout=30)
    assert done.returncode == 2
    assert "something is already listening there" in done.stderr
    assert listening(vm.sockets[1])
    # a stale socket (nobody listens) is replaced
    stale = sockets / "stale.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(stale))
    p = Proxy(sockets, str(vm.sock), "--listen", str(stale))
    try:
        assert "return" in Raw(stale).ask({"execute": "query-status"})
    finally:
        p.kill()


def test_usage_mistakes_and_a_target_that_is_not_there(vm: Qemu, sockets: Path) -> None:
    done = qmpsh("proxy", str(vm.sock), timeout=30)
    assert done.returncode == 2 and "no --listen PATH" in done.stderr
    done = qmpsh("proxy", str(vm.sock), "--listen", "/x,bogus", timeout=30)
    assert done.returncode == 2 and "unknown option 'bogus'" in done.stderr
    path = sockets / "p.sock"
    done = qmpsh(
        "proxy", str(sockets / "nothing.sock"), "--listen", str(path), timeout=30
    )
    assert done.returncode == 4
    assert len(done.stderr.strip().splitlines()) == 1
    assert not path.exists()


def test_qemu_goes_away_and_comes_back(tmp_path: Path, sockets: Path) -> None:
    first = Qemu(tmp_path / "q1")
    p = Proxy(
        sockets, str(first.sock), "--listen", str(sockets / "p.sock"),
        "--retries", "50", "--retry-delay", "0.1",
    )  # fmt: skip
    try:
        client = Raw(sockets / "p.sock")
        first.kill()
        assert client.stream.readline() == b""  # hung up on, as QEMU would
        wait_for(lambda: "1 client hung up on" in p.stderr(), what="the loss")
        # a client that comes meanwhile waits for its greeting
        early = socket.socket(socket.AF_UNIX)
        early.settimeout(30)
        early.connect(str(sockets / "p.sock"))
        # the same socket path again, as a restarted VM has it
        first.sock.unlink()
        second = Qemu(tmp_path / "q1")
        try:
            greeting = json.loads(early.makefile("rb").readline())
            assert greeting["QMP"]["capabilities"] == []
            early.close()
            wait_for(lambda: "reconnected" in p.stderr(), what="reconnecting")
            again = Raw(sockets / "p.sock")
            assert again.ask({"execute": "query-status"})["return"]["running"]
            again.close()
        finally:
            second.kill()
        client.close()
    finally:
        p.kill()
    assert "Traceback" not in p.stderr()


def test_without_retries_losing_qemu_ends_with_5(tmp_path: Path, sockets: Path) -> None:
    vm = Qemu(tmp_path / "q")
    p = Proxy(
        sockets, str(vm.sock), "--listen", str(sockets / "p.sock"), "--retries", "0"
    )
    vm.kill()
    assert p.proc is not None
    assert p.proc.wait(timeout=15) == 5
    assert not (sockets / "p.sock").exists()
    assert "closed the connection" in p.stderr()
    assert "Traceback" not in p.stderr()


def test_a_busy_monitor_is_refused_in_one_line(vm: Qemu, sockets: Path) -> None:
    # QEMU's second monitor held by another client: no greeting comes
    with socket.socket(socket.AF_UNIX) as holder:
        holder.connect(str(vm.sockets[1]))
        time.sleep(0.1)
        done = qmpsh(
            "proxy", str(vm.sockets[1]), "--listen", str(sockets / "p.sock"),
            "--connect-timeout", "1", timeout=30,
        )  # fmt: skip
    assert done.returncode == 4
    assert "no QMP greeting" in done.stderr


def test_verbose_names_the_client_and_hides_secrets(
    proxy: Proxy, sockets: Path
) -> None:
    client = Raw(sockets / "rw.sock")
    reply = client.ask(
        {
            "execute": "object-add",
            "arguments": {"qom-type": "secret", "id": "s0", "data": "hunter2"},
            "id": "add",
        }
    )
    assert reply == {"return": {}, "id": "add"}
    client.close()
    wait_for(lambda: "object-add" in proxy.stderr(), what="the -v line")
    said = proxy.stderr()
    assert "hunter2" not in said
    line = next(row for row in said.splitlines() if "object-add" in row)
    assert f"(pid {os.getpid()}) on {sockets / 'rw.sock'}:" in line
    assert "<redacted>" in line


def test_replies_keep_the_order_asked_local_answers_included(
    proxy: Proxy, sockets: Path
) -> None:
    client = Raw(sockets / "ro.sock")
    batch = [
        {"execute": "query-qmp-schema", "id": 1},  # a slow one first
        {"execute": "stop", "id": 2},  # refused here, at once
        {"execute": "qmp_capabilities", "id": 3},  # answered here
        {"execute": "query-name", "id": 4},
    ]
    client.stream.write(b"".join(json.dumps(m).encode() for m in batch))
    client.stream.flush()
    replies = [client.reply() for _ in batch]
    assert [r["id"] for r in replies] == [1, 2, 3, 4]
    assert isinstance(replies[0]["return"], list)
    assert "refused" in replies[1]["error"]["desc"]
    assert replies[2]["error"]["class"] == "CommandNotFound"
    assert replies[3] == {"return": {}, "id": 4}
    client.close()


def test_a_client_that_does_not_read_is_hung_up_on(proxy: Proxy, sockets: Path) -> None:
    hog = Raw(sockets / "rw.sock")
    for i in range(120):  # ~200 KiB each, never read: over 4 x --read-limit
        hog.send({"execute": "query-qmp-schema", "id": i})
    wait_for(
        lambda: "wait to be read by it: dropped" in proxy.stderr(),
        what="the hang-up",
        timeout=60,
    )
    other = Raw(sockets / "rw.sock")
    assert other.ask({"execute": "query-status", "id": 1})["id"] == 1
    other.close()
    hog.close()


def test_a_named_target_with_its_settings(vm: Qemu, sockets: Path) -> None:
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "qmpsh" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[targets.web3]\naddress = "{vm.sock}"\ndeny = ["stop"]\n')
    try:
        p = Proxy(sockets, "web3", "--listen", str(sockets / "p.sock"))
        try:
            client = Raw(sockets / "p.sock")
            assert "return" in client.ask({"execute": "query-status"})
            refused = client.ask({"execute": "stop"})
            assert "--deny stop" in refused["error"]["desc"]
            client.close()
        finally:
            p.kill()
        assert "serving web3" in p.stderr()
    finally:
        config.unlink()


def test_a_client_that_ends_its_input_still_gets_its_replies(
    proxy: Proxy, sockets: Path
) -> None:
    client = Raw(sockets / "rw.sock")
    for i in range(3):
        client.send({"execute": "query-version", "id": i})
    client.sock.shutdown(socket.SHUT_WR)  # as socat does at the end of its input
    assert [client.reply()["id"] for _ in range(3)] == [0, 1, 2]
    assert client.stream.readline() == b""
    client.close()


def test_the_wire_log_has_each_clients_conversation(
    vm: Qemu, sockets: Path, tmp_path: Path
) -> None:
    """-l FILE: every line names its client; out is what it sent (its own
    ids, secrets redacted, input that is no JSON scrubbed), in what it was
    sent (greeting, replies, refusals, events); notes for the proxy."""
    log = tmp_path / "proxy.jsonl"
    p = Proxy(
        sockets, str(vm.sock), "-l", str(log),
        "--listen", str(sockets / "rw.sock"), "--listen-read-only", str(sockets / "ro.sock"),
    )  # fmt: skip
    try:
        a = Raw(sockets / "rw.sock")
        b = Raw(sockets / "ro.sock")
        secret = {"qom-type": "secret", "id": "s0", "data": "hunter2"}
        assert a.ask({"execute": "object-add", "arguments": secret, "id": 7}) == {
            "return": {},
            "id": 7,
        }
        assert "refused by --read-only" in b.ask({"execute": "stop"})["error"]["desc"]
        b.send(b"hello password=sekrit")
        assert b.reply()["error"]["desc"].startswith("JSON parse error")
        a.ask({"execute": "stop", "id": "s"})
        b.event("STOP")
        a.close()
        b.close()
        wait_for(lambda: log.read_text().count('"disconnected"') == 2, what="the notes")
    finally:
        assert p.stop() == 143
    assert log.stat().st_mode & 0o777 == 0o600
    text = log.read_text()
    assert "hunter2" not in text and "sekrit" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    notes = [line["note"] for line in lines if "client" not in line]
    assert notes[0].startswith(f"serving {vm.sock} on ")
    assert notes[-1] == "terminated (SIGTERM)"
    clients = sorted({line["client"] for line in lines if "client" in line})
    assert len(clients) == 2
    first, second = (
        [(line["dir"], line.get("msg", line.get("raw", line.get("note")))) for line in lines if line.get("client") == who]
        for who in sorted(clients, key=lambda c: "rw.sock" not in c)
    )  # fmt: skip
    assert first[0] == ("note", "connected")
    assert first[1][0] == "in" and first[1][1]["QMP"]["capabilities"] == []
    assert first[2:4] == [
        ("out", {"execute": "qmp_capabilities"}),
        ("in", {"return": {}}),
    ]
    assert first[4] == (
        "out",
        {
            "execute": "object-add",
            "arguments": {**secret, "data": "<redacted>"},
            "id": 7,
        },
    )
    assert first[5] == ("in", {"return": {}, "id": 7})
    assert ("out", {"execute": "stop", "id": "s"}) in first
    assert ("in", {"return": {}, "id": "s"}) in first
    assert first[-1] == ("note", "disconnected")
    said = dict.fromkeys(d for d, _ in second)
    assert list(said) == ["note", "in", "out"]
    assert ("out", {"execute": "stop"}) in second
    refusal = next(m for d, m in second if d == "in" and "error" in m)
    assert "refused by --read-only" in refusal["error"]["desc"]
    assert ("out", "hello password=<redacted>") in second
    assert any(d == "in" and m.get("event") == "STOP" for d, m in second)
    assert any(d == "in" and m.get("event") == "STOP" for d, m in first)
