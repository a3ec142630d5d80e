"""The interactive shell in-process (pipe input) against a real QEMU.

The terminal itself is tested in tests/terminal; here the same shell is
driven through prompt_toolkit's pipe input, which makes it easy to look at
its state (toggles, toolbar, event pane) while real QEMU answers.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

from prompt_toolkit.completion import WordCompleter
from prompt_toolkit.formatted_text import StyleAndTextTuples

from qmpsh.builtins.linemode import Problem, Run, ShellApi
from qmpsh.core.settings import Settings
from qmpsh.lang.parser import Request
from qmpsh.shell.eventpane import pane_lines
from qmpsh.shell.history import history_path, parse_entries
from qmpsh.shell.modes_api import Hooks
from qmpsh.shell.toolbar import SEP, fit, make_toolbar, toolbar_fields
from qmpsh.wire.reconnect import reopener
from qmpsh.wire.stream import UnixSocket
from qmpsh.wire.wirelog import WireLog
from tests.procs import Process, Qemu, need, qmpsh, raw_qmp, wait_for
from tests.replkit import Driver, connected, run, shell

PLAIN = Settings(color="never", history_import="")
#: what the shell says when Ctrl-C stops it waiting for a reply
STOPPED = (
    "stopped waiting (QEMU may still run it; its reply will be shown when it comes)"
)


def toolbar_text(d: Driver, hooks: Hooks | None = None, width: int = 0) -> str:
    """The toolbar as drawn (80 columns), or *width* columns wide."""
    segments = (hooks or Hooks()).toolbar_segments
    if width:
        fragments = fit(toolbar_fields(d.repl.shell, segments), width)
    else:
        fragments = make_toolbar(d.repl.shell, segments)()
    return "".join(fragment[1] for fragment in fragments)


def test_command_and_reply_with_the_target_in_the_prompt(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(qemu.sock)) as d:
            await d.printed("connected to QEMU 7.")
            assert d.repl.shell.prompt() == "(qemu 7.2 none-machine) "
            d.type("query-status", "enter")
            await d.printed('{"return": {"status": "running"')
            assert "(qemu 7.2 none-machine) query-status\n" in d.out.text
            d.type("f2", "qom-get path=/machine property=type", "enter")
            await d.printed('{\n  "return": "none-machine"\n}')
            d.type("nosuch-command", "enter")
            await d.printed(
                "CommandNotFound: The command nosuch-command has not been found"
            )
            assert "connected" in toolbar_text(d)
            # the prompt names the version: the toolbar's first field to go
            assert "QEMU 7.2" in toolbar_text(d, width=200)

    run(scenario)


def test_events_show_in_the_pane_while_a_line_is_half_typed(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(qemu.sock)) as d:
            d.type("qom-get path=/mach")
            await d.until(lambda: d.buffer_text == "qom-get path=/mach", "typing")
            await asyncio.to_thread(
                raw_qmp, qemu.sockets[1], [{"execute": "stop"}, {"execute": "cont"}]
            )

            def pane() -> str:
                return "".join(f[1] for f in pane_lines(d.repl.shell.ctx.events, 5))

            await d.until(lambda: "RESUME" in pane(), "RESUME in the pane")
            assert " STOP" in pane()
            assert d.buffer_text == "qom-get path=/mach"
            assert "STOP" not in d.out.text  # the pane, not the scrollback
            d.type("f4")  # inline: printed above the prompt
            await d.until(lambda: d.repl.shell.toggles.events == "inline", "inline")
            await asyncio.to_thread(raw_qmp, qemu.sockets[1], [{"execute": "stop"}])
            await d.printed(" STOP")
            assert d.buffer_text == "qom-get path=/mach"

    run(scenario)


def test_ctrl_c_cancels_a_pending_command_without_desync(
    qemu: Qemu, tmp_path: Path
) -> None:
    """QEMU is frozen with SIGSTOP so that a real command stays pending."""
    log = WireLog(str(tmp_path / "wire.jsonl"))

    async def scenario() -> None:
        async with shell(await connected(qemu.sock, log)) as d:
            os.kill(qemu.pid, signal.SIGSTOP)
            try:
                d.type("qom-get path=/machine property=type", "enter")
                await d.until(lambda: d.repl.shell.busy, "the command to be pending")
                assert "qom-get" in toolbar_text(
                    d
                ) and "Ctrl-C cancels" in toolbar_text(d)
                d.type("query-kvm", "enter")  # queued behind qom-get
                d.type("query-name")  # typed ahead, not entered: it stays
                await d.until(lambda: d.buffer_text == "query-name", "typing")
                assert list(d.repl.shell.queue) == ["query-kvm"]
                d.type("c-c")  # stops qom-get and drops what was queued
                await d.printed(
                    f"qom-get: {STOPPED}\ndropped 1 queued line: query-kvm\n"
                )
                assert d.buffer_text == "query-name"
                assert not d.repl.shell.queue
            finally:
                os.kill(qemu.pid, signal.SIGCONT)
            await d.printed("warning: late reply to qom-get: ok\n")
            d.type("enter")
            await d.printed("query-name\n")
            await d.idle()
            after = d.out.text.split("query-name\n", 1)[1]
            assert after.strip() == '{"return": {}}'
            assert '"none-machine"' not in d.out.text  # the late reply is never shown
            assert "none-machine) query-kvm" not in d.out.text  # dropped: never run

    run(scenario)
    log.close()
    lines = [
        json.loads(line) for line in (tmp_path / "wire.jsonl").read_text().splitlines()
    ]
    replies = [
        e["msg"] for e in lines if e["dir"] == "in" and "return" in e.get("msg", {})
    ]
    # the late reply did arrive, and was set aside by id
    assert any(r["return"] == "none-machine" for r in replies)
    sent = [e["msg"].get("execute") for e in lines if e["dir"] == "out"]
    assert "query-kvm" not in sent and sent[-1] == "query-name"


def test_a_command_left_pending_still_runs_and_its_late_reply_says_how(
    qemu: Qemu,
) -> None:
    """QMP cannot take a command back: QEMU (frozen with SIGSTOP) runs it
    when it goes on, so Ctrl-C only stops waiting, and the late reply's
    outcome is one line when it comes, a success or an error."""
    add = "object-add qom-type=memory-backend-ram id=mem0 size=1048576"

    async def pending_then_ctrl_c(d: Driver, line: str, name: str) -> None:
        said = f"{name}: {STOPPED}"
        before = d.out.text.count(said)
        os.kill(qemu.pid, signal.SIGSTOP)
        try:
            d.type(line, "enter")
            await d.until(lambda: d.repl.shell.busy, "the command to be pending")
            d.type("c-c")
            await d.until(lambda: d.out.text.count(said) == before + 1, said)
            assert "cancelled" not in d.out.text
        finally:
            os.kill(qemu.pid, signal.SIGCONT)

    async def scenario() -> None:
        async with shell(await connected(qemu.sock)) as d:
            await pending_then_ctrl_c(d, add, "object-add")
            await d.printed("warning: late reply to object-add: ok\n")
            objects = qemu.qmp(
                {"execute": "qom-list", "arguments": {"path": "/objects"}}
            )
            assert "mem0" in [p["name"] for p in objects[0]["return"]]
            await pending_then_ctrl_c(d, add, "object-add")  # mem0 is there now
            await d.printed("warning: late reply to object-add: GenericError: ")
            late = d.out.text.split("warning: late reply to object-add: GenericError")
            assert "'mem0'" in late[1].split("\n")[0]
            # through the hmp built-in, named by its command line
            await pending_then_ctrl_c(d, "hmp info status", "HMP info status")
            await d.printed("warning: late reply to HMP info status: ok\n")
            assert "VM status" not in d.out.text  # one line, not the output
            d.type("query-name", "enter")
            await d.printed('query-name\n{"return": {}}')

    run(scenario)


def test_the_prompt_follows_the_server_after_reconnecting(tmp_path: Path) -> None:
    """Reconnected to a storage daemon on the socket a q35 QEMU had: the
    prompt no longer names the machine the old server had."""
    first = Qemu(tmp_path / "vm", machine=("-M", "q35", "-S"))
    daemon = Process(tmp_path / "qsd")
    settings = PLAIN.replace(retries=50, retry_delay=0.1)

    async def scenario() -> None:
        reopen = reopener(UnixSocket(str(first.sock)), 10)
        async with shell(await connected(first.sock), settings, reopen=reopen) as d:
            assert d.repl.shell.prompt() == "(qemu 7.2 pc-q35-7.2-machine) "
            first.kill()
            await d.printed("connection lost: ")
            argv = [
                need("qemu-storage-daemon"),
                "--chardev",
                f"socket,path={first.sock},server=on,wait=off,id=m0",
                "--monitor",
                "chardev=m0",
            ]
            await asyncio.to_thread(daemon.spawn, argv, [first.sock])
            await d.printed("reconnected to QEMU 7.2", timeout=60)
            target = d.repl.shell.link.target
            # the probe has asked the daemon (which has no query-name)
            await d.until(
                lambda: (
                    target.commands is not None and "query-name" not in target.commands
                ),
                "the new server's commands",
            )
            assert d.repl.shell.prompt() == "(qemu 7.2) "

    try:
        run(scenario)
    finally:
        daemon.kill()
        first.kill()


def test_events_never_tear_a_reply(qemu: Qemu) -> None:
    """Inline events flood in while a long pretty reply is printed."""
    settings = PLAIN.replace(event_display="inline", paging=False, pretty=True)
    stop = threading.Event()

    def flood() -> None:
        while not stop.is_set():
            raw_qmp(qemu.sockets[1], [{"execute": "stop"}, {"execute": "cont"}] * 20)

    async def scenario() -> None:
        async with shell(await connected(qemu.sock), settings) as d:
            flooder = threading.Thread(target=flood)
            flooder.start()
            try:
                await d.printed(" RESUME")
                d.type("query-qmp-schema", "enter")
                await d.printed("query-qmp-schema\n")
                await d.idle()
            finally:
                stop.set()
                await asyncio.to_thread(flooder.join)
            after = d.out.text.split("query-qmp-schema\n", 1)[1].split("\n")
            # events may come first; then the reply, whole, in one piece
            while not after[0].startswith("{"):
                assert after.pop(0).endswith(("STOP", "RESUME")), after[0]
            end = after.index("}")
            reply = json.loads("\n".join(after[: end + 1]))
            assert len(reply["return"]) > 100
            assert all(
                line.endswith(("STOP", "RESUME")) for line in after[end + 1 : -1]
            )

    run(scenario)


def test_batch_mode_never_asks(qemu: Qemu) -> None:
    done = qmpsh("-c", "quit", str(qemu.sock))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"return": {}}
    wait_for(lambda: not qemu.alive(), 30, "QEMU to quit")


def test_dangerous_commands_are_confirmed(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(qemu.sock)) as d:
            d.type("quit", "enter")
            await d.until(lambda: d.repl.shell.question is not None, "the question")
            assert d.repl.shell.question.startswith("Send quit to QEMU 7.2")  # type: ignore[union-attr]
            d.type("x")  # anything but y is no
            await d.printed("quit was not sent")
            assert raw_qmp(qemu.sockets[1], [{"execute": "query-name"}]) == [
                {"return": {}}
            ]
            d.type('human-monitor-command command-line="q"', "enter")
            await d.until(lambda: d.repl.shell.question is not None, "the question")
            assert "HMP q" in d.repl.shell.question  # type: ignore[operator]
            d.type("c-c")
            await d.printed("HMP q was not sent")
            d.type("quit", "enter")
            await d.until(lambda: d.repl.shell.question is not None, "the question")
            d.type("y")
            await d.printed("QEMU has quit")
            await asyncio.to_thread(
                wait_for, lambda: not qemu.alive(), 30, "QEMU to exit"
            )

    run(scenario)


async def asked(d: Driver) -> None:
    await d.until(lambda: d.repl.shell.question is not None, "the question")


def test_enter_at_a_confirmation_answers_no_and_leaves_the_input_alone(
    qemu: Qemu,
) -> None:
    """Enter takes the default of a [y/N] question; no key typed at a
    question reaches the input (it used to collect Enter as new lines)."""

    async def scenario() -> None:
        async with shell(await connected(qemu.sock)) as d:
            d.type("system_reset", "enter")
            await asked(d)
            d.type("enter", "enter")
            await d.printed("system_reset was not sent\n")
            await d.idle()
            assert d.repl.shell.question is None and d.buffer_text == ""
            d.type("query-status", "enter")
            await d.printed('(qemu 7.2 none-machine) query-status\n{"return": {')
            # the habit: y, then Enter
            d.type("system_reset", "enter")
            await asked(d)
            d.type("y", "enter")
            await d.printed('system_reset\n{"return": {}}')
            await d.idle()
            assert d.buffer_text == ""
            d.type("query-name", "enter")
            await d.printed('(qemu 7.2 none-machine) query-name\n{"return": {}}')
            assert "... " not in d.out.text
        assert parse_entries(history_path().read_text()) == [
            "system_reset",
            "query-status",
            "system_reset",
            "query-name",
        ]

    run(scenario)


def test_lines_entered_while_a_command_runs_run_after_it_in_order(
    qemu: Qemu,
) -> None:
    """Typed ahead (or pasted without bracketed paste): each line is queued,
    then echoed and run in turn; a queued dangerous command still asks.
    QEMU is frozen with SIGSTOP so that the first command stays pending."""

    async def scenario() -> None:
        async with shell(await connected(qemu.sock)) as d:
            os.kill(qemu.pid, signal.SIGSTOP)
            try:
                d.type("qom-get path=/machine property=type", "enter")
                await d.until(lambda: d.repl.shell.busy, "the command to be pending")
                # as a terminal sends a paste without bracketed paste mode
                d.type("query-name\rsystem_reset\rquery-kvm\r")
                d.type("query-st")  # typed ahead, not entered
                await d.until(lambda: d.buffer_text == "query-st", "typing")
                queued = ["query-name", "system_reset", "query-kvm"]
                assert list(d.repl.shell.queue) == queued
                assert d.repl.shell.message is None
            finally:
                os.kill(qemu.pid, signal.SIGCONT)
            await asked(d)
            assert d.repl.shell.question.startswith("Send system_reset")  # type: ignore[union-attr]
            d.type("n")
            await d.printed('query-kvm\n{"return": {"enabled": false')
            await d.idle()
            assert d.out.text.split("F1 lists the keys; Ctrl-D quits.\n")[1] == (
                "(qemu 7.2 none-machine) qom-get path=/machine property=type\n"
                '{"return": "none-machine"}\n'
                "(qemu 7.2 none-machine) query-name\n"
                '{"return": {}}\n'
                "(qemu 7.2 none-machine) system_reset\n"
                "system_reset was not sent\n"
                "(qemu 7.2 none-machine) query-kvm\n"
                '{"return": {"enabled": false, "present": true}}\n'
            )
            # the half-typed line is still there; no stale warning under it
            assert d.buffer_text == "query-st" and d.repl.shell.message is None
        assert parse_entries(history_path().read_text()) == [
            "qom-get path=/machine property=type",
            "query-name",
            "system_reset",
            "query-kvm",
        ]

    run(scenario)


def test_queued_lines_come_back_to_the_input_when_the_connection_is_lost(
    qemu: Qemu,
) -> None:
    """Lines queued behind a command that loses the connection are not lost:
    they come back into the input, each on its own line, before what was
    being typed, and run (in turn) once reconnected."""
    settings = PLAIN.replace(retries=50, retry_delay=0.1)

    async def scenario() -> None:
        conn = await connected(qemu.sock)
        reopen = reopener(UnixSocket(str(qemu.sock)), 10)
        async with shell(conn, settings, reopen=reopen) as d:
            os.kill(qemu.pid, signal.SIGSTOP)
            d.type("query-status", "enter")
            await d.until(lambda: d.repl.shell.busy, "the command to be pending")
            d.type("query-name\rquery-kvm\rquery-uu")
            await d.until(lambda: d.buffer_text == "query-uu", "typing")
            qemu.kill()
            await d.printed("connection lost: ")
            await d.until(lambda: d.repl.shell.message is not None, "the reason")
            assert d.buffer_text == "query-name\nquery-kvm\nquery-uu"
            kind, text = d.repl.shell.message  # type: ignore[misc]
            assert kind == "error" and text.startswith("not connected (")
            assert text.endswith("; the line is kept for later")
            assert not d.repl.shell.queue
            again = await asyncio.to_thread(Qemu, qemu.dir, monitors=2)
            try:
                await d.printed("reconnected to QEMU 7.2", timeout=60)
                d.type("id", "enter")
                await d.printed('query-uuid\n{"return": {}}\n{"return": {"enabled"')
                await d.printed('{"return": {"UUID": "')
            finally:
                again.kill()

    run(scenario)


def test_builtins_that_need_the_connection_stay_while_it_is_down(
    qemu: Qemu,
) -> None:
    settings = PLAIN.replace(retries=50, retry_delay=0.1)

    async def scenario() -> None:
        conn = await connected(qemu.sock)
        reopen = reopener(UnixSocket(str(qemu.sock)), 10)
        async with shell(conn, settings, reopen=reopen) as d:
            qemu.kill()
            await d.printed("connection lost: ")
            d.type("jobs", "enter")
            await d.until(lambda: d.repl.shell.message is not None, "the reason")
            assert d.repl.shell.message[1].startswith("not connected (")  # type: ignore[index]
            assert d.buffer_text == "jobs"
            assert "jobs: not connected" not in d.out.text
            # the ones that do not need it still run
            d.type("c-c", "help keys", "enter")
            await d.printed("quit (on an empty line)")
            d.type("events", "enter")
            await d.printed("(qemu 7.2 none-machine) events\n")
            d.type("jobs")
            again = await asyncio.to_thread(Qemu, qemu.dir, monitors=2)
            try:
                await d.printed("reconnected to QEMU 7.2", timeout=60)
                d.type("enter")
                await d.printed(
                    ") jobs\nno jobs\n"
                )  # the prompt may lack the machine yet
                await d.idle()
                assert d.buffer_text == ""
            finally:
                again.kill()

    run(scenario)


def test_no_confirmation_when_turned_off(qemu: Qemu) -> None:
    async def scenario() -> None:
        settings = PLAIN.replace(confirm=False)
        async with shell(await connected(qemu.sock), settings) as d:
            d.type("system_reset", "enter")
            await d.printed('system_reset\n{"return": {}}')
            assert d.repl.shell.question is None

    run(scenario)


def test_lost_connection_reconnects_and_keeps_the_line(
    qemu: Qemu, tmp_path: Path
) -> None:
    address = UnixSocket(str(qemu.sock))
    settings = PLAIN.replace(retries=50, retry_delay=0.1)

    async def scenario() -> None:
        conn = await connected(qemu.sock)
        reopen = reopener(address, 10)
        async with shell(conn, settings, reopen=reopen) as d:
            d.type("query-status")
            qemu.kill()
            await d.printed("connection lost: ")
            assert "reconnecting" in toolbar_text(d) or "lost" in toolbar_text(d)
            d.type("enter")
            await d.until(lambda: d.repl.shell.message is not None, "the error")
            assert "not connected" in d.repl.shell.message[1]  # type: ignore[index]
            assert d.buffer_text == "query-status"
            again = await asyncio.to_thread(Qemu, qemu.dir, monitors=2)
            try:
                await d.printed("reconnected to QEMU 7.2", timeout=60)
                assert toolbar_text(d).startswith(" connected ")
                d.type("enter")
                await d.printed('query-status\n{"return": {"status": "running"')
            finally:
                again.kill()

    run(scenario)


def test_f6_says_why_it_does_not_reconnect(qemu: Qemu) -> None:
    async def scenario() -> None:
        reopen = reopener(UnixSocket(str(qemu.sock)), 10)
        settings = PLAIN.replace(retries=0)
        async with shell(await connected(qemu.sock), settings, reopen=reopen) as d:
            d.type("f6")
            await d.until(lambda: d.repl.shell.message is not None, "a note")
            assert d.repl.shell.message == ("note", "already connected")
            qemu.kill()
            await d.printed("connection lost: ")
            d.type("f6")
            await d.until(
                lambda: (
                    d.repl.shell.message
                    == ("note", "reconnecting is off (--retries 0)")
                ),
                "the reason",
            )

    run(scenario)


def test_the_shell_stops_following_the_connection_when_it_ends(qemu: Qemu) -> None:
    settings = PLAIN.replace(retries=5, retry_delay=0.1)

    async def scenario() -> None:
        conn = await connected(qemu.sock)
        reopen = reopener(UnixSocket(str(qemu.sock)), 10)
        async with shell(conn, settings, reopen=reopen) as d:
            d.type("c-d")
            assert await d.task == 0
            qemu.kill()  # lost after the shell has gone: not the shell's to say
            async with asyncio.timeout(30):
                while conn.state != "lost":
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.3)  # past the first reconnection attempt
            assert "connection lost" not in d.out.text
            assert "reconnect" not in d.out.text

    run(scenario)


def test_long_output_goes_through_the_pager(qemu: Qemu, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    settings = PLAIN.replace(
        pager=f"sh -c 'cat > {paged}.part && mv {paged}.part {paged}'"
    )

    async def scenario() -> None:
        async with shell(await connected(qemu.sock), settings) as d:
            d.type("query-version", "enter")
            await d.printed('{"return": {"qemu":')
            assert not paged.exists()  # short: printed
            d.type("query-qmp-schema", "enter")
            await d.until(paged.exists, "the pager")
            await d.idle()
            assert json.loads(paged.read_text())["return"][0]["name"]
            assert '"meta-type"' not in d.out.text

    run(scenario)


def test_a_missing_pager_prints_and_says_so(qemu: Qemu) -> None:
    settings = PLAIN.replace(pager="/nonexistent/pager")

    async def scenario() -> None:
        async with shell(await connected(qemu.sock), settings) as d:
            d.type("query-qmp-schema", "enter")
            await d.printed("cannot run the pager /nonexistent/pager")
            assert '"meta-type"' in d.out.text

    run(scenario)


def test_verbose_shows_requests_and_full_errors(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(qemu.sock)) as d:
            d.type("f3", "qom-get path=/nosuch property=x", "enter")
            await d.printed('{"execute": "qom-get", "arguments": {"path": "/nosuch"')
            await d.printed("DeviceNotFound: Device '/nosuch' not found")
            await d.printed('{"error": {"class": "DeviceNotFound"')
            reply = d.repl.shell.ctx.session.last_reply
            assert reply is not None
            assert reply["error"]["class"] == "DeviceNotFound"

    run(scenario)


# -- the hooks other features plug into ------------------------------------


def test_validator_hook_and_sending_anyway(qemu: Qemu) -> None:
    seen: list[str] = []

    def validator(text: str, request: Request) -> Problem | None:
        seen.append(text)
        if request.command == "query-stat":
            return Problem("query-stat is not a command; did you mean query-status?", 6)
        return None

    async def scenario() -> None:
        async with shell(
            await connected(qemu.sock), hooks=Hooks(validator=validator)
        ) as d:
            d.type("query-stat", "enter")
            await d.until(lambda: d.repl.shell.message is not None, "the problem")
            assert d.repl.shell.message == (
                "error",
                "query-stat is not a command; did you mean query-status? "
                "(Enter again, or a leading !, sends it anyway)",
            )
            assert d.repl.shell.buffer.cursor_position == 6
            d.type("enter")
            await d.printed(
                "CommandNotFound: The command query-stat has not been found"
            )
            d.type("query-name", "enter")
            await d.printed('{"return": {}}')
            assert seen == ["query-stat", "query-stat", "query-name"]

    run(scenario)


def test_toolbar_segments_and_completer_hooks(qemu: Qemu) -> None:
    calls: list[int] = []

    def segment() -> StyleAndTextTuples:
        calls.append(1)
        return [("class:toolbar", "job j1 42%")]

    hooks = Hooks(
        completer=WordCompleter(["query-status", "query-name"], WORD=True),
        toolbar_segments=[segment, lambda: ""],
    )

    async def scenario() -> None:
        async with shell(await connected(qemu.sock), hooks=hooks) as d:
            assert "job j1 42%" in toolbar_text(d, hooks)
            # an empty segment takes no field (no two separators in a row)
            assert SEP[1] * 2 not in toolbar_text(d, hooks)
            await d.until(lambda: calls, "the app to draw the segment")
            d.type("query-st", "tab")
            await d.until(lambda: d.buffer_text == "query-status", "completion")
            d.type("enter")
            await d.printed('{"return": {"status": "running"')

    run(scenario)


class Hmp:
    """A line mode as HMP mode might be written: every line is HMP."""

    mode = "hmp"

    def prompt(self) -> None:
        return None

    def check(self, text: str) -> Run:
        async def job(api: ShellApi) -> int:
            message: dict[str, Any] = {
                "execute": "human-monitor-command",
                "arguments": {"command-line": text},
            }
            reply = await api.send(message)
            if "return" in reply:
                api.out(reply["return"].rstrip("\n"))
                return 0
            return api.show_reply(reply)

        return Run(job, text.split()[0] if text.strip() else "")


def test_line_handler_hook_replaces_the_shorthand(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(qemu.sock), hooks=Hooks(line_mode=Hmp())) as d:
            assert d.repl.shell.prompt() == "(qemu 7.2 none-machine hmp) "
            d.type("info version", "enter")
            await d.printed("\n7.2.")
            d.type("transaction(", "enter")  # not special in this mode
            await d.printed("unknown command: 'transaction('")
            d.type("q", "enter")  # dangerous HMP commands are confirmed too
            await d.until(lambda: d.repl.shell.question is not None, "the question")
            d.type("n")
            await d.printed("HMP q was not sent")

    run(scenario)


def test_event_filter_hook_hides_events_from_the_pane_only(qemu: Qemu) -> None:
    hooks = Hooks(event_filter=lambda event: event.name != "STOP")

    async def scenario() -> None:
        async with shell(await connected(qemu.sock), hooks=hooks) as d:
            await asyncio.to_thread(
                raw_qmp, qemu.sockets[1], [{"execute": "stop"}, {"execute": "cont"}]
            )
            events = d.repl.shell.ctx.events
            await d.until(lambda: len(events) == 2, "both events")
            pane = "".join(
                f[1] for f in pane_lines(filter(d.repl.shell.display.shown, events), 5)
            )
            assert pane.endswith(" RESUME") and "STOP" not in pane
            d.type("events", "enter")  # the history keeps everything
            await d.printed('"event": "STOP"')

    run(scenario)


class Progress:
    """A line mode whose job shows a live area until an event arrives."""

    mode = "test"

    def __init__(self) -> None:
        self.go = asyncio.Event()

    def prompt(self) -> str:
        return "(test) "

    def check(self, text: str) -> Run:
        async def job(api: ShellApi) -> int:
            api.live("progress \x1b[1m50%\x1b[0m")
            await self.go.wait()
            api.out("done")
            return 0

        return Run(job, "progress")


def test_live_area_lasts_while_the_job_runs() -> None:
    mode = Progress()

    async def scenario() -> None:
        async with shell(hooks=Hooks(line_mode=mode)) as d:
            d.type("go", "enter")
            await d.until(lambda: d.repl.shell.live_text is not None, "the live area")
            assert d.repl.shell.live_text == "progress \x1b[1m50%\x1b[0m"
            mode.go.set()
            await d.printed("(test) go\ndone")
            await d.until(lambda: d.repl.shell.live_text is None, "no live area")

    run(scenario)


def paste(text: str) -> str:
    """*text* as a terminal sends a paste (bracketed paste mode)."""
    return f"\x1b[200~{text}\x1b[201~"


def test_pasted_lines_run_in_turn(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(qemu.sock)) as d:
            d.type(
                paste("query-name\n# a comment\nqom-get path=/machine property=type\n")
            )
            await d.until(lambda: d.buffer_text.endswith("type\n"), "the paste")
            assert not d.repl.shell.busy  # a paste never runs by itself
            d.type("enter")
            await d.printed('{"return": "none-machine"}')
            after = d.out.text.split("property=type\n", 1)[1]
            assert after.split("\n")[:2] == [
                '{"return": {}}',
                '{"return": "none-machine"}',
            ]
            # a bad line among them: nothing runs, the cursor goes to it
            d.type(paste("query-name\nx a.b=1 a=2"), "enter")
            await d.until(lambda: d.repl.shell.message is not None, "the problem")
            assert d.repl.shell.message[1].startswith("2:9: 'a' is given both")  # type: ignore[index]
            assert d.repl.shell.buffer.cursor_position == len("query-name\nx a.b=1 ")
            # an unfinished command at the end: Enter goes on to a new line
            d.type("c-c", paste("query-name\ntransaction("), "enter")
            await d.until(
                lambda: d.buffer_text == "query-name\ntransaction(\n", "newline"
            )

    run(scenario)


def test_ctrl_c_stops_a_waiting_builtin(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(qemu.sock)) as d:
            d.type("wait NEVER_COMES --timeout 600", "enter")
            await d.until(lambda: d.repl.shell.busy, "the wait to be running")
            d.type("c-c")
            await d.printed("wait: cancelled\n")
            assert "late reply" not in d.out.text  # no request was pending
            d.type("query-name", "enter")
            await d.printed('query-name\n{"return": {}}')

    run(scenario)


def test_watch_redraws_above_the_prompt_and_leaves_the_last_result(
    qemu: Qemu,
) -> None:
    async def scenario() -> None:
        async with shell(await connected(qemu.sock)) as d:
            d.type("watch -n 0.1 -c 3 query-nonsense", "enter")
            await d.until(lambda: d.repl.shell.live_text is not None, "the drawing")
            assert "Every 0.1s: query-nonsense" in d.repl.shell.live_text  # type: ignore[operator]
            # an error reply is shown, and watching goes on to the last run
            await d.printed("CommandNotFound: The command query-nonsense")
            await d.idle()
            assert d.repl.shell.live_text is None
            assert d.out.text.count("Every 0.1s: query-nonsense") == 1

    run(scenario)


def test_history_hides_secrets_unless_asked(qemu: Qemu) -> None:
    path = history_path()

    async def scenario(settings: Settings, name: str) -> None:
        async with shell(await connected(qemu.sock), settings) as d:
            d.type(f"object-add qom-type=secret id={name} data=hunter2", "enter")
            await d.printed('{"return": {}}')
            d.type("up")  # the session's own history has it as typed
            await d.until(lambda: "hunter2" in d.buffer_text, "the line as typed")

    asyncio.run(scenario(PLAIN, "s0"))
    assert parse_entries(path.read_text()) == [
        "object-add qom-type=secret id=s0 data=<redacted>"
    ]
    asyncio.run(scenario(PLAIN.replace(redact=False), "s1"))  # --log-secrets
    assert parse_entries(path.read_text())[-1].endswith("id=s1 data=hunter2")


def test_history_hides_a_qom_set_secret_in_the_form_it_refuses(qemu: Qemu) -> None:
    """``qom set PATH PROPERTY VALUE`` (the built-in wants PATH.PROPERTY)
    is refused, and still stored, its value hidden all the same."""
    path = history_path()

    async def scenario() -> None:
        async with shell(await connected(qemu.sock), PLAIN) as d:
            d.type("qom set /objects/s0 data hunter2", "enter")
            await d.printed("expected get PATH.PROPERTY")
            d.type("qom set /objects/s0.data 'hunter 3'", "enter")
            await d.printed("DeviceNotFound")  # no such object

    asyncio.run(scenario())
    text = path.read_text()
    assert "hunter" not in text
    assert parse_entries(text) == [
        "qom set /objects/s0 data <redacted>",
        "qom set /objects/s0.data <redacted>",
    ]
