"""Rows of the matrix: the interactive shell, in a real terminal, under each
server fault of `tests.faults.rows_server`.

Every row types a command, lets the fault happen while it is pending (and
while a second line is half typed), then checks what the screen shows (one
clear line for the fault, no traceback anywhere in the scrollback), that the
shell is usable afterwards (the half-typed line is still there, a later
command gets its own reply) or reconnects cleanly (the toolbar shows the
lost state, then "connected"), that the history file holds every command
run, and that the wire log holds every message that passed.  A fault
before the session leaves the shell like batch mode: one line, exit 4.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from qmpsh.core.exitcodes import Exit
from qmpsh.shell.history import HistoryFile
from tests.faults.matrix import Probe, row
from tests.faults.rows_server import event
from tests.faults.server import GREETING, FaultServer, Peer
from tests.faults.term import Cue, Term, shell_requests

AREA = "server fault"
SHELL = "shell"
#: what the history file held before the session (it must still hold it)
OLD = "qom-list path=/"


def typing_while_pending(term: Term, probed: Cue, pending: Cue) -> None:
    """Once the shell is up, run query-status and, while its reply is held
    back by the server's *pending* cue, start typing the next command."""
    term.ready()
    probed.wait()
    term.type("query-status")
    term.screen.keys("Enter")
    pending.wait()
    term.type("query-na")


def served(name: str) -> str:
    return json.dumps({"return": {"served": name}})


def seed_history(term: Term) -> None:
    term.history.parent.mkdir(parents=True, mode=0o700)
    HistoryFile(term.history).append(OLD)


# -- before the session -------------------------------------------------------

Script = Callable[[Peer], Awaitable[None]]


def _startup_fault(p: Probe, script: Script, *args: str) -> tuple[str, str]:
    term = Term(p)
    seed_history(term)
    try:
        with FaultServer(p.tmp, script) as server:
            term.start(str(server.path), *args)
            code = term.screen.wait_exit()
            term.wait(lambda _: term.pane_dead())  # its output read to the end
            text = term.wait("qmpsh: ")
        p.saw(text)
        shown = [
            line
            for line in text.splitlines()
            if line.strip() and not line.startswith("Pane is dead")
        ]
        assert len(shown) == 1 and shown[0].startswith("qmpsh: "), text
        assert code == Exit.CONNECT_ERROR
        assert term.history_entries() == [OLD]  # untouched
        p.log_matches(server)
    finally:
        term.close()
    return p.shown(shown[0]), str(code)


@row(
    "greeting-closed-shell",
    AREA,
    "server closes the connection before the greeting",
    SHELL,
    beside="greeting-closed",
)
def greeting_closed_shell(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        peer.close()

    return _startup_fault(p, script)


@row(
    "greeting-silent-shell",
    AREA,
    "server accepts but never greets (`--connect-timeout 0.5`)",
    SHELL,
    beside="greeting-silent",
)
def greeting_silent_shell(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.hold()

    observed, code = _startup_fault(p, script, "--connect-timeout", "0.5")
    assert "another client probably holds it" in observed
    return observed, code


@row(
    "greeting-not-qmp-shell",
    AREA,
    "greeting that is not QMP (an SSH banner)",
    SHELL,
    beside="greeting-not-qmp",
)
def greeting_not_qmp_shell(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.send(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
        await peer.hold()

    return _startup_fault(p, script)


@row(
    "negotiation-refused-shell",
    AREA,
    "server answers qmp_capabilities with an error",
    SHELL,
    beside="negotiation-refused",
)
def negotiation_refused_shell(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.greet()
        await peer.recv()
        await peer.send({"error": {"class": "GenericError", "desc": "no"}})
        await peer.hold()

    return _startup_fault(p, script)


# -- during the session: the connection is lost, then back ---------------------

Fault = Callable[[Peer, dict[str, Any]], Awaitable[None]]


def _lost(
    p: Probe,
    fault: Fault,
    *args: str,
    refused: Callable[[bytes], bool] | None = None,
) -> tuple[str, str]:
    """query-status gets *fault* instead of its reply; the shell says so,
    keeps the half-typed line, reconnects once the server is back (the
    first reconnection attempts are refused until then), and the line,
    finished, gets its own reply."""
    probed, pending, back = Cue(), Cue(), Cue()

    async def script(peer: Peer) -> None:
        if peer.index == 0:
            await peer.negotiate()
            request = await shell_requests(peer, "query-status", probed)
            await pending.reached()
            await fault(peer, request)
        elif not back.released:
            peer.close()  # not back yet: this attempt fails
        else:
            await peer.negotiate()
            await shell_requests(peer)

    term = Term(p)
    try:
        with FaultServer(p.tmp, script) as server:
            term.start(
                str(server.path), "--retries", "100", "--retry-delay", "0.2", *args
            )
            # "query-na" is typed while query-status waits for its reply
            typing_while_pending(term, probed, pending)
            pending.go()
            term.wait("connection lost: ")
            term.wait_toolbar("reconnecting")
            term.wait_input("query-na")
            back.go()
            term.wait("reconnected to QEMU 7.2.0")
            term.wait_toolbar("connected")
            term.wait_input("query-na")
            term.run("me", served("query-name"), before="query-na")
            assert term.history_entries() == ["query-status", "query-name"]
            code = term.quit()
        lost = term.line_with("connection lost: ")
        cost = term.line_with("query-status: ")
        assert cost == "query-status: no reply, the connection was lost"
        p.log_matches(server, refused=refused)
    finally:
        term.close()
    assert code == Exit.OK
    reason = lost.removeprefix("connection lost: ").partition("; reconnecting")[0]
    return (
        f"connection lost: {p.shown(reason)}; the toolbar says reconnecting, then "
        "connected; the half-typed line is kept, then answered"
    ), str(code)


def _send_then_hold(data: bytes | dict[str, Any] | list[Any]) -> Fault:
    async def fault(peer: Peer, request: dict[str, Any]) -> None:
        await peer.send(data)
        await peer.hold()

    return fault


@row(
    "garbage-shell",
    AREA,
    "garbage bytes mid-stream (instead of a reply)",
    SHELL,
    beside="garbage",
)
def garbage_shell(p: Probe) -> tuple[str, str]:
    return _lost(p, _send_then_hold(b"\x00\xffgarbage{{\n"))


@row(
    "not-object-shell",
    AREA,
    "valid JSON that is not an object",
    SHELL,
    beside="not-object",
)
def not_object_shell(p: Probe) -> tuple[str, str]:
    return _lost(p, _send_then_hold([1, 2]))


@row(
    "error-without-id-shell",
    AREA,
    "an error without an id (QEMU could not parse our input)",
    SHELL,
    beside="error-without-id",
)
def error_without_id_shell(p: Probe) -> tuple[str, str]:
    err = {"error": {"class": "GenericError", "desc": "JSON parse error"}}
    return _lost(p, _send_then_hold(err))


@row(
    "too-large-shell",
    AREA,
    "a reply larger than the read limit (`--read-limit 4096`)",
    SHELL,
    beside="too-large",
)
def too_large_shell(p: Probe) -> tuple[str, str]:
    async def fault(peer: Peer, request: dict[str, Any]) -> None:
        await peer.reply(request, "x" * 10000)
        await peer.hold()

    # the oversized reply is refused unread
    return _lost(p, fault, "--read-limit", "4096", refused=lambda raw: len(raw) > 4096)


@row("cut-shell", AREA, "connection cut in the middle of a reply", SHELL, beside="cut")
def cut_shell(p: Probe) -> tuple[str, str]:
    async def fault(peer: Peer, request: dict[str, Any]) -> None:
        await peer.send(b'{"return": {"status": "runn')
        peer.close()

    return _lost(p, fault)


@row(
    "closed-between-shell",
    AREA,
    "server closes the connection while a command waits",
    SHELL,
    beside="closed-between",
)
def closed_between_shell(p: Probe) -> tuple[str, str]:
    async def fault(peer: Peer, request: dict[str, Any]) -> None:
        peer.close()

    return _lost(p, fault)


@row(
    "deep-reply-shell",
    AREA,
    "a reply nested 100000 levels deep",
    SHELL,
    beside="deep-reply",
)
def deep_reply_shell(p: Probe) -> tuple[str, str]:
    deep = b"[" * 100_000 + b"]" * 100_000
    return _lost(p, _send_then_hold(b'{"return": ' + deep + b"}\n"))


# -- during the session: the shell stays usable --------------------------------


@row(
    "unknown-id-shell",
    AREA,
    "a reply with an unknown id, then the real one",
    SHELL,
    beside="unknown-id",
)
def unknown_id_shell(p: Probe) -> tuple[str, str]:
    probed, pending = Cue(), Cue()

    async def script(peer: Peer) -> None:
        await peer.negotiate()
        request = await shell_requests(peer, "query-status", probed)
        await pending.reached()
        await peer.send({"return": {"stray": True}, "id": "nobody"})
        await peer.send({"return": {"stray": True}, "id": [1]})
        await peer.reply(request, {"served": request["execute"]})
        await shell_requests(peer)

    term = Term(p)
    try:
        with FaultServer(p.tmp, script) as server:
            term.start(str(server.path))
            typing_while_pending(term, probed, pending)
            pending.go()
            text = term.wait(served("query-status"))
            assert "stray" not in text
            warnings = [
                term.line_with("warning: dropped a reply with an unknown id 'nobody'"),
                term.line_with("warning: dropped a reply with an unknown id '[1]'"),
            ]
            term.wait_input("query-na")
            term.run("me", served("query-name"), before="query-na")
            assert term.history_entries() == ["query-status", "query-name"]
            code = term.quit()
        p.log_matches(server)
    finally:
        term.close()
    assert code == Exit.OK
    return (
        "the reply, and " + " / ".join(warnings) + "; the half-typed line is kept, "
        "then answered"
    ), str(code)


async def _late_answer(peer: Peer, probed: Cue, pending: Cue | None = None) -> None:
    """query-status is answered only once the next command has come."""
    await peer.negotiate()
    first = await shell_requests(peer, "query-status", probed)
    if pending is not None:
        pending.mark()
    second = await peer.recv()
    await peer.reply(first, {"late": True})
    await peer.reply(second, {"served": second["execute"]})
    await shell_requests(peer)


@row(
    "timeout-shell",
    AREA,
    "server never answers (`--timeout 0.5`), then answers late",
    SHELL,
    beside="timeout-stop",
)
def timeout_shell(p: Probe) -> tuple[str, str]:
    probed = Cue()

    async def script(peer: Peer) -> None:
        await _late_answer(peer, probed)

    term = Term(p)
    try:
        with FaultServer(p.tmp, script) as server:
            term.start(str(server.path), "--timeout", "0.5")
            term.ready()
            probed.wait()
            term.type("query-status")
            term.screen.keys("Enter")
            term.type("query-na")  # before or after the time is up: kept
            line = "no reply to query-status within 0.5 s (QEMU may still run it)"
            term.wait(line)
            term.wait_toolbar("connected")
            term.wait_input("query-na")
            text = term.run("me", served("query-name"), before="query-na")
            late = term.wait("warning: late reply to query-status: ok")
            assert '"late"' not in text and '"late"' not in late
            told = term.line_with("warning: late reply")
            assert term.history_entries() == ["query-status", "query-name"]
            code = term.quit()
        p.log_matches(server)
    finally:
        term.close()
    assert code == Exit.OK
    return (
        f"{line} / {told}; the later command gets its own reply, the half-typed "
        "line is kept"
    ), str(code)


@row(
    "ctrl-c-shell",
    AREA,
    "Ctrl-C while a command waits for its reply (answered late)",
    SHELL,
    beside="ctrl-c",
)
def ctrl_c_shell(p: Probe) -> tuple[str, str]:
    probed, pending = Cue(), Cue()

    async def script(peer: Peer) -> None:
        await _late_answer(peer, probed, pending)

    term = Term(p)
    try:
        with FaultServer(p.tmp, script) as server:
            term.start(str(server.path))
            typing_while_pending(term, probed, pending)
            term.wait("(Ctrl-C cancels)")  # the toolbar's spinner
            term.screen.keys("C-c")
            line = (
                "query-status: stopped waiting (QEMU may still run it; its reply "
                "will be shown when it comes)"
            )
            term.wait(line)
            term.wait_input("query-na")  # Ctrl-C stopped it, kept the line
            term.run("me", served("query-name"), before="query-na")
            term.wait("warning: late reply to query-status: ok")
            assert '"late"' not in term.everything()
            told = term.line_with("warning: late reply")
            assert term.history_entries() == ["query-status", "query-name"]
            code = term.quit()
        p.log_matches(server)
    finally:
        term.close()
    assert code == Exit.OK
    return (
        f"{line} / {told}; the half-typed line is kept, the later command gets "
        "its own reply"
    ), str(code)


@row(
    "events-first-shell",
    AREA,
    "events before negotiation ends (before and after qmp_capabilities)",
    SHELL,
    beside="events-first",
)
def events_first_shell(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.greet()
        await peer.send(event("EARLY", n=1))
        request = await peer.recv()
        await peer.send(event("EARLY", n=2))
        await peer.reply(request)
        await shell_requests(peer)

    term = Term(p)
    try:
        with FaultServer(p.tmp, script) as server:
            term.start(str(server.path))
            term.ready()
            text = term.wait(' EARLY {"n":2}')
            assert ' EARLY {"n":1}' in text
            pane = term.line_with("── events (")
            assert pane.startswith("── events (2)"), pane
            term.run("query-status", served("query-status"))
            assert term.history_entries() == ["query-status"]
            code = term.quit()
        p.log_matches(server)
    finally:
        term.close()
    assert code == Exit.OK
    return "the shell opens; both events are in its event pane", str(code)


@row(
    "slow-shell",
    AREA,
    "a slow server that sends one byte at a time",
    SHELL,
    beside="slow",
)
def slow_shell(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.trickle(json.dumps(GREETING).encode() + b"\n")
        request = await peer.recv()
        assert request["execute"] == "qmp_capabilities" and "id" not in request
        await peer.trickle(json.dumps({"return": {}}).encode() + b"\n")
        await shell_requests(peer, slow=True)

    term = Term(p)
    try:
        with FaultServer(p.tmp, script) as server:
            term.start(str(server.path))
            term.ready()
            term.run("query-status", served("query-status"))
            term.run("query-name", served("query-name"))
            assert term.history_entries() == ["query-status", "query-name"]
            code = term.quit()
        p.log_matches(server)
    finally:
        term.close()
    assert code == Exit.OK
    return "the prompt, then every reply, in order", str(code)


FLOOD = 50_000


@row(
    "flood-shell",
    AREA,
    f"{FLOOD} events while a command is pending",
    SHELL,
    beside="flood",
)
def flood_shell(p: Probe) -> tuple[str, str]:
    probed, pending = Cue(), Cue()

    async def script(peer: Peer) -> None:
        await peer.negotiate()
        request = await shell_requests(peer, "query-status", probed)
        await pending.reached()
        for i in range(FLOOD):
            peer.writer.write(json.dumps(event("FLOOD", i=i)).encode() + b"\n")
            if i % 1000 == 0:
                await peer.writer.drain()
        peer.server.sent.extend(
            json.dumps(event("FLOOD", i=i)).encode() + b"\n" for i in range(FLOOD)
        )
        await peer.reply(request, {"served": request["execute"]})
        await shell_requests(peer)

    term = Term(p)
    try:
        with FaultServer(p.tmp, script) as server:
            term.start(str(server.path))
            typing_while_pending(term, probed, pending)
            pending.go()
            term.wait(served("query-status"))
            text = term.wait(f' FLOOD {{"i":{FLOOD - 1}}}')
            pane = term.line_with("── events (")
            term.wait_input("query-na")
            term.run("me", served("query-name"), before="query-na")
            assert term.history_entries() == ["query-status", "query-name"]
            code = term.quit()
        p.log_matches(server)
    finally:
        term.close()
    assert code == Exit.OK
    assert "Traceback" not in text
    shown = pane.partition("(")[2].partition(")")[0]  # "newest 5 of 1000"
    return (
        f"the reply; the event pane shows the {shown} kept; the half-typed line is "
        f"kept; all {FLOOD} events in the wire log"
    ), str(code)
