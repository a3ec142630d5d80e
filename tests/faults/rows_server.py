"""Rows of the matrix: a scripted server does what real QEMU never does."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from typing import Any

from qmpsh.core.errors import ConnectionLost, QmpshError
from qmpsh.core.exitcodes import Exit
from qmpsh.wire.connection import Connection
from qmpsh.wire.eventlog import EventLog
from qmpsh.wire.stream import UnixSocket
from tests.faults.matrix import Probe, lines_of, one_line, row
from tests.faults.server import GREETING, FaultServer, Peer
from tests.procs import ROOT

AREA = "server fault"
TWO = "query-status\nquery-name\n"

#: what `qmpsh events` says once subscribed (see its --ready-fd)
READY = "qmpsh: listening (events from here on are printed)\n"


def event(name: str, **data: Any) -> dict[str, Any]:
    return {"event": name, "data": data, "timestamp": {"seconds": 1, "microseconds": 2}}


def served(name: str) -> dict[str, Any]:
    return {"return": {"served": name}}


def replies(stdout: str) -> list[Any]:
    return [json.loads(line) for line in stdout.splitlines()]


# -- before the session -------------------------------------------------------


@row("greeting-closed", AREA, "server closes the connection before the greeting")
def greeting_closed(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        peer.close()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), input=TWO)
    line = one_line(done.stderr)
    assert "closed the connection before the QMP greeting" in line
    assert done.returncode == Exit.CONNECT_ERROR and done.stdout == ""
    p.log_matches(server)
    return p.shown(line), str(done.returncode)


@row(
    "greeting-silent", AREA, "server accepts but never greets (`--connect-timeout 0.5`)"
)
def greeting_silent(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.hold()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), "--connect-timeout", "0.5", input=TWO)
    line = one_line(done.stderr)
    assert "another client probably holds it" in line and "busy" in line
    assert done.returncode == Exit.CONNECT_ERROR
    p.log_matches(server)
    return p.shown(line), str(done.returncode)


@row("greeting-not-qmp", AREA, "greeting that is not QMP (an SSH banner)")
def greeting_not_qmp(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.send(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
        await peer.hold()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), input=TWO)
    line = one_line(done.stderr)
    assert "did not send a QMP greeting: got 'SSH-2.0" in line
    assert done.returncode == Exit.CONNECT_ERROR
    p.log_matches(server)
    return p.shown(line), str(done.returncode)


@row("greeting-json", AREA, "greeting that is JSON but not QMP")
def greeting_json(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.send({"hello": "world"})
        await peer.hold()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), input=TWO)
    line = one_line(done.stderr)
    assert "did not send a QMP greeting: got" in line and "hello" in line
    assert done.returncode == Exit.CONNECT_ERROR
    p.log_matches(server)
    return p.shown(line), str(done.returncode)


@row("negotiation-refused", AREA, "server answers qmp_capabilities with an error")
def negotiation_refused(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.greet()
        await peer.recv()
        await peer.send({"error": {"class": "GenericError", "desc": "no"}})
        await peer.hold()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), input=TWO)
    line = one_line(done.stderr)
    assert line.endswith(
        "capabilities negotiation with SOCK failed: GenericError: no".replace(
            "SOCK", str(server.path)
        )
    )
    assert done.returncode == Exit.CONNECT_ERROR
    p.log_matches(server)
    return p.shown(line), str(done.returncode)


# -- during the session -------------------------------------------------------


def _answer_first_with(data: bytes | dict[str, Any] | list[Any]) -> Any:
    async def script(peer: Peer) -> None:
        await peer.negotiate()
        await peer.recv()
        await peer.send(data)
        await peer.hold()

    return script


@row("garbage", AREA, "garbage bytes mid-stream (instead of a reply)")
def garbage(p: Probe) -> tuple[str, str]:
    with FaultServer(p.tmp, _answer_first_with(b"\x00\xffgarbage{{\n")) as server:
        done = p.batch(str(server.path), "-c", "query-status")
    line = one_line(done.stderr)
    assert "the server sent data that is not JSON" in line and "garbage" in line
    assert done.returncode == Exit.CONNECTION_LOST
    p.log_matches(server)
    return p.shown(line), str(done.returncode)


@row("not-object", AREA, "valid JSON that is not an object")
def not_object(p: Probe) -> tuple[str, str]:
    with FaultServer(p.tmp, _answer_first_with([1, 2])) as server:
        done = p.batch(str(server.path), "-c", "query-status")
    line = one_line(done.stderr)
    assert "JSON that is not an object: '[1, 2]" in line
    assert done.returncode == Exit.CONNECTION_LOST
    p.log_matches(server)
    return p.shown(line), str(done.returncode)


@row(
    "error-without-id", AREA, "an error without an id (QEMU could not parse our input)"
)
def error_without_id(p: Probe) -> tuple[str, str]:
    err = {"error": {"class": "GenericError", "desc": "JSON parse error"}}
    with FaultServer(p.tmp, _answer_first_with(err)) as server:
        done = p.batch(str(server.path), "-c", "query-status")
    line = one_line(done.stderr)
    assert "could not parse our input" in line
    assert done.returncode == Exit.CONNECTION_LOST
    p.log_matches(server)
    return p.shown(line), str(done.returncode)


@row("unknown-id", AREA, "a reply with an unknown id, then the real one")
def unknown_id(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.negotiate()
        request = await peer.recv()
        await peer.send({"return": {"stray": True}, "id": "nobody"})
        await peer.send({"return": {"stray": True}, "id": [1]})  # not even a string
        await peer.reply(request, {"served": request["execute"]})
        await peer.serve()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), input=TWO)
    assert done.returncode == Exit.OK
    assert replies(done.stdout) == [served("query-status"), served("query-name")]
    warnings = lines_of(done.stderr)
    assert warnings == [
        "qmpsh: warning: dropped a reply with an unknown id 'nobody'",
        "qmpsh: warning: dropped a reply with an unknown id '[1]'",
    ]
    p.log_matches(server)
    return "replies in order; " + " / ".join(warnings), str(done.returncode)


@row("too-large", AREA, "a reply larger than the read limit (`--read-limit 4096`)")
def too_large(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.negotiate()
        request = await peer.recv()
        await peer.reply(request, "x" * 10000)
        await peer.hold()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), "--read-limit", "4096", "-c", "query-status")
    line = one_line(done.stderr)
    assert "longer than the read limit (4096 bytes)" in line and "--read-limit" in line
    assert done.returncode == Exit.CONNECTION_LOST
    p.log_matches(server, unread=1)  # the oversized reply is refused unread
    notes = [e["note"] for e in p.log_entries() if e["dir"] == "note"]
    assert any("read limit" in n for n in notes)
    # the same reply within a larger limit is fine
    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), "--read-limit", "20000", "-c", "query-status")
    assert done.returncode == Exit.OK and len(done.stdout) > 10000
    return p.shown(line), str(Exit.CONNECTION_LOST)


@row("cut", AREA, "connection cut in the middle of a reply")
def cut(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.negotiate()
        await peer.recv()
        await peer.send(b'{"return": {"status": "runn')
        peer.close()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), "-c", "query-status")
    line = one_line(done.stderr)
    assert "closed the connection in the middle of a message (27 bytes" in line
    assert done.returncode == Exit.CONNECTION_LOST
    p.log_matches(server)
    return p.shown(line), str(done.returncode)


@row("closed-between", AREA, "server closes the connection between two replies")
def closed_between(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.negotiate()
        await peer.serve(1)
        await peer.recv()
        peer.close()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), "--max-inflight", "1", input=TWO)
    line = one_line(done.stderr)
    assert (
        line.startswith("qmpsh: stdin:2: query-name: ")
        and "closed the connection" in line
    )
    assert replies(done.stdout) == [served("query-status")]
    assert done.returncode == Exit.CONNECTION_LOST
    p.log_matches(server)
    return p.shown(line), str(done.returncode)


async def _late_answer(peer: Peer) -> None:
    await peer.negotiate()
    first = await peer.recv()  # not answered in time
    second = await peer.recv()
    await peer.reply(first, {"late": True})
    await peer.reply(second, {"served": second["execute"]})
    await peer.serve()


@row(
    "timeout",
    AREA,
    "server never answers (`--timeout 0.5 -k`), then answers late",
)
def timeout(p: Probe) -> tuple[str, str]:
    with FaultServer(p.tmp, _late_answer) as server:
        done = p.batch(
            str(server.path),
            "--timeout",
            "0.5",
            "-k",
            "--max-inflight",
            "1",
            input=TWO + "query-kvm\n",
        )
    errors = lines_of(done.stderr)
    assert errors[0] == (
        "qmpsh: stdin:1: query-status: no reply to query-status within 0.5 s "
        "(QEMU may still run it)"
    )
    assert errors[1] == "qmpsh: warning: late reply to query-status: ok"
    # in sync: the later commands get their own replies, not the late one
    assert replies(done.stdout) == [served("query-name"), served("query-kvm")]
    assert done.returncode == Exit.TIMEOUT
    p.log_matches(server)
    return "later commands get their own replies; " + " / ".join(errors), str(
        done.returncode
    )


@row("timeout-stop", AREA, "server never answers (`--timeout 0.5`, no -k)")
def timeout_stop(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.negotiate()
        await peer.hold()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), "--timeout", "0.5", "-c", "stop")
    line = one_line(done.stderr)
    assert line == (
        "qmpsh: -c:1: stop: no reply to stop within 0.5 s (QEMU may still run it)"
    )
    assert done.returncode == Exit.TIMEOUT
    p.log_matches(server)
    return line, str(done.returncode)


@row(
    "timeout-verbose",
    AREA,
    "server never answers (`--timeout 0.5 -v`)",
    beside="timeout-stop",
)
def timeout_verbose(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.negotiate()
        await peer.hold()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), "--timeout", "0.5", "-v", "-c", "stop")
    line = one_line(done.stderr)
    assert line == (
        "qmpsh: -c:1: stop: no reply to stop within 0.5 s (QEMU may still run it)"
    )
    assert replies(done.stdout) == [{"execute": "stop"}]  # the echo, all the same
    assert done.returncode == Exit.TIMEOUT
    p.log_matches(server)
    return f"the request echoed on stdout; {line}", str(done.returncode)


@row("ctrl-c", AREA, "Ctrl-C (SIGINT) while a command waits for its reply")
def ctrl_c(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.negotiate()
        await peer.hold()

    with FaultServer(p.tmp, script) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "qmpsh", str(server.path), "-l", str(p.log)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert proc.stdin is not None
        proc.stdin.write(b"query-status\n")
        proc.stdin.flush()
        server.wait_requests(2)  # qmp_capabilities, then the command
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    stdout, stderr = out.decode(), err.decode()
    p.saw(stdout, stderr)
    line = one_line(stderr)
    assert line == "qmpsh: interrupted"
    assert proc.returncode == Exit.INTERRUPTED
    p.log_matches(server)
    return line, str(proc.returncode)


@row(
    "events-first",
    AREA,
    "events before negotiation ends (before and after qmp_capabilities)",
)
def events_first(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.greet()
        await peer.send(event("EARLY", n=1))  # before qmp_capabilities arrives
        request = await peer.recv()
        await peer.send(event("EARLY", n=2))  # before its reply
        await peer.reply(request)
        await peer.serve()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), "--events", input=TWO)
        assert done.returncode == Exit.OK, done.stderr
        assert replies(done.stdout) == [
            event("EARLY", n=1),
            event("EARLY", n=2),
            served("query-status"),
            served("query-name"),
        ]
        p.log_matches(server)
        # and the events are kept, numbered, in the session's event history
        names = asyncio.run(_early_events(str(server.path)))
    assert names == [(1, "EARLY", {"n": 1}), (2, "EARLY", {"n": 2})]
    return (
        "session opens; both events kept in the event history (and printed "
        "with `--events`)"
    ), "0"


async def _early_events(path: str) -> list[tuple[int, str, Any]]:
    conn = Connection()
    await conn.connect(UnixSocket(path), 5)
    try:
        return [(e.seq, e.name, e.message.get("data")) for e in conn.events]
    finally:
        await conn.close()


@row("slow", AREA, "a slow server that sends one byte at a time")
def slow(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.trickle(json.dumps(GREETING).encode() + b"\n")
        request = await peer.recv()
        await peer.trickle(json.dumps({"return": {}}).encode() + b"\n")
        while True:
            request = await peer.recv()
            reply = {"return": {"served": request["execute"]}, "id": request["id"]}
            await peer.trickle(json.dumps(reply).encode() + b"\n")

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), input=TWO)
    assert done.returncode == Exit.OK and done.stderr == ""
    assert replies(done.stdout) == [served("query-status"), served("query-name")]
    p.log_matches(server)
    return "every reply, in order", str(done.returncode)


FLOOD = 50_000
HISTORY = 1000


@row("flood", AREA, f"{FLOOD} events while a command is pending")
def flood(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.negotiate()
        request = await peer.recv()
        for i in range(FLOOD):
            peer.writer.write(json.dumps(event("FLOOD", i=i)).encode() + b"\n")
            if i % 1000 == 0:
                await peer.writer.drain()
        server.sent.extend(
            json.dumps(event("FLOOD", i=i)).encode() + b"\n" for i in range(FLOOD)
        )
        await peer.reply(request, {"served": request["execute"]})
        await peer.serve()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), input=TWO)
        assert done.returncode == Exit.OK and done.stderr == ""
        assert replies(done.stdout) == [served("query-status"), served("query-name")]
        p.log_matches(server)  # all of them, in the wire log
        held, seq = asyncio.run(_flood_in_memory(str(server.path)))
    # memory is bounded: the history is a ring of its configured size
    assert (held, seq) == (HISTORY, FLOOD)
    return (
        f"reply printed; all {FLOOD} events in the wire log; "
        f"{HISTORY} kept in memory (a ring)"
    ), "0"


async def _flood_in_memory(path: str) -> tuple[int, int]:
    conn = Connection(events=EventLog(HISTORY))
    await conn.connect(UnixSocket(path), 5)
    try:
        reply = await conn.execute({"execute": "query-status"}, 30)
        assert reply == served("query-status")
        return len(conn.events), conn.events.seq
    finally:
        await conn.close()


@row("deep-reply", AREA, "a reply nested 100000 levels deep")
def deep_reply(p: Probe) -> tuple[str, str]:
    deep = b"[" * 100_000 + b"]" * 100_000
    with FaultServer(
        p.tmp, _answer_first_with(b'{"return": ' + deep + b"}\n")
    ) as server:
        done = p.batch(str(server.path), "-c", "query-status")
    line = one_line(done.stderr)
    assert "nested too deeply" in line
    assert done.returncode == Exit.CONNECTION_LOST
    p.log_matches(server)
    return p.shown(line), str(done.returncode)


@row("deep-reply-shown", AREA, "a reply nested 3000 levels deep (`-p`)")
def deep_reply_shown(p: Probe) -> tuple[str, str]:
    deep = "[" * 3000 + "]" * 3000

    async def script(peer: Peer) -> None:
        await peer.negotiate()
        request = await peer.recv()
        await peer.send(f'{{"return": {deep}, "id": "{request["id"]}"}}\n'.encode())
        await peer.hold()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), "-p", "-c", "query-status")
    assert done.returncode == Exit.OK and done.stderr == ""
    # indented, or compact where json cannot go that deep: either way all of it
    assert re.sub(r"\s", "", done.stdout) == f'{{"return":{deep}}}'
    p.log_matches(server)
    return "the reply is printed in full", str(done.returncode)


@row(
    "library-lost",
    AREA,
    "the server goes away under a pending `execute` (library API)",
    "library",
)
def library_lost(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.negotiate()
        await peer.recv()
        peer.close()

    async def run(path: str) -> str:
        conn = Connection()
        await conn.connect(UnixSocket(path), 5)
        try:
            await conn.execute({"execute": "query-status"}, 10)
        except ConnectionLost as err:
            assert conn.state == "lost"
            try:
                await conn.execute({"execute": "query-status"})
            except QmpshError as again:
                assert again.message.startswith("not connected: ")
            return err.message
        finally:
            await conn.close()
        raise AssertionError("no error")

    with FaultServer(p.tmp, script) as server:
        message = asyncio.run(run(str(server.path)))
    p.saw(message)
    p.nothing_lost()
    return "ConnectionLost: " + p.shown(message), "-"


# -- qmpsh events --------------------------------------------------------------


@row(
    "events-cut",
    AREA,
    "`qmpsh events`: the server closes the connection after an event, with no "
    "SHUTDOWN before it (as when QEMU is killed)",
)
def events_cut(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.negotiate()
        await peer.send(event("STOP"))
        peer.close()

    with FaultServer(p.tmp, script) as server:
        done = p.batch("events", str(server.path))
    line = one_line(done.stderr.replace(READY, ""))
    assert line == (
        f"qmpsh: {server.path} closed the connection after 1 event, "
        "with no SHUTDOWN event before it"
    )
    assert replies(done.stdout) == [event("STOP")]
    assert done.returncode == Exit.CONNECTION_LOST
    p.log_matches(server)
    return "the event, then " + p.shown(line), str(done.returncode)


@row(
    "events-shutdown",
    AREA,
    "`qmpsh events`: a reply with an unknown id, SHUTDOWN, then the server "
    "closes the connection",
    beside="events-cut",
)
def events_shutdown(p: Probe) -> tuple[str, str]:
    shutdown = event("SHUTDOWN", guest=False, reason="host-qmp-quit")

    async def script(peer: Peer) -> None:
        await peer.negotiate()
        await peer.send({"return": {}, "id": "nobody"})
        await peer.send(shutdown)
        peer.close()

    with FaultServer(p.tmp, script) as server:
        done = p.batch("events", str(server.path))
    warnings = lines_of(done.stderr.replace(READY, ""))
    assert warnings == ["qmpsh: warning: dropped a reply with an unknown id 'nobody'"]
    assert replies(done.stdout) == [shutdown]
    assert done.returncode == Exit.OK
    p.log_matches(server)
    return "the event; " + warnings[0] + "; a normal end", str(done.returncode)
