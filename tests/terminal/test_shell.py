"""The interactive shell in a real terminal (tmux), against a real QEMU."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from qmpsh.shell.history import parse_entries
from tests.procs import Qemu, need, raw_qmp
from tests.terminal.tmux import Screen

PROMPT = "(qemu 7.2 none-machine)"  # tmux drops trailing spaces


def input_line(screen: Screen) -> str:
    """The last line that starts with the prompt: the one being edited ("" when
    tmux caught the screen between two drawings)."""
    lines = [line for line in screen.lines() if line.startswith(PROMPT)]
    return lines[-1] if lines else ""


def wait_input(screen: Screen, line: str) -> None:
    """Until the line being edited is *line* (one look could catch the
    screen between two drawings)."""
    screen.wait(lambda _: input_line(screen) == line)


def test_type_a_command_and_see_the_reply(
    screen: Screen, qemu: Qemu, private_dirs: Path
) -> None:
    screen.qmpsh(str(qemu.sock))
    text = screen.wait(PROMPT)
    assert "connected to QEMU 7.2" in text and "F1 lists the keys" in text
    assert " connected " in text  # the toolbar
    screen.send("query-status")
    screen.keys("Enter")
    screen.wait(
        '{"return": {"status": "running", "singlestep": false, "running": true}}'
    )
    # the history file has the command already, not only at exit
    history = private_dirs / "state" / "qmpsh" / "history"
    assert parse_entries(history.read_text()) == ["query-status"]
    assert (private_dirs / "config" / "qmpsh" / "config.toml").exists()
    screen.keys("F2")
    screen.send("qom-get path=/machine property=type")
    screen.keys("Enter")
    screen.wait('{\n  "return": "none-machine"\n}')
    assert (
        parse_entries(history.read_text())[-1] == "qom-get path=/machine property=type"
    )
    screen.keys("C-d")
    assert screen.wait_exit() == 0
    assert "Traceback" not in screen.text()


def test_events_appear_live_while_a_line_is_half_typed(
    screen: Screen, qemu: Qemu
) -> None:
    screen.qmpsh(str(qemu.sock))
    screen.wait("no events yet")
    screen.send("qom-get path=/mach")
    screen.wait(PROMPT + " " + "qom-get path=/mach")
    raw_qmp(qemu.sockets[1], [{"execute": "stop"}])
    screen.wait(lambda s: any(line.endswith(" STOP") for line in s.splitlines()))
    raw_qmp(qemu.sockets[1], [{"execute": "cont"}])
    text = screen.wait(
        lambda s: any(line.endswith(" RESUME") for line in s.splitlines())
    )
    lines = text.splitlines()
    stop = next(i for i, line in enumerate(lines) if line.endswith(" STOP"))
    assert lines[stop + 1].endswith(" RESUME")
    assert lines[stop][2] == ":" and lines[stop][8] == "." and lines[stop][12] == " "
    # nothing was entered or lost: the half-typed line is still there
    wait_input(screen, PROMPT + " qom-get path=/mach")
    screen.send("ine property=type")
    screen.keys("Enter")
    screen.wait('{"return": "none-machine"}')


def test_ctrl_c_cancels_a_pending_command(screen: Screen, qemu: Qemu) -> None:
    """A real command stays pending while QEMU is frozen with SIGSTOP."""
    screen.qmpsh(str(qemu.sock))
    screen.wait(PROMPT)
    os.kill(qemu.pid, signal.SIGSTOP)
    try:
        screen.send("qom-get path=/machine property=type")
        screen.keys("Enter")
        screen.wait("(Ctrl-C cancels)")  # the toolbar's spinner
        screen.keys("C-c")
        screen.wait(
            "qom-get: stopped waiting (QEMU may still run it; its reply will be "
            "shown when it comes)"
        )
    finally:
        os.kill(qemu.pid, signal.SIGCONT)
    screen.wait("warning: late reply to qom-get: ok")
    screen.send("query-name")
    screen.keys("Enter")
    text = screen.wait(PROMPT + ' query-name\n{"return": {}}')
    assert '"none-machine"' not in text


def test_lost_connection_then_reconnect(screen: Screen, qemu: Qemu) -> None:
    screen.qmpsh(str(qemu.sock), "--retries", "100", "--retry-delay", "0.2")
    screen.wait(PROMPT)
    screen.send("query-stat")
    screen.wait(PROMPT + " " + "query-stat")
    qemu.kill()
    text = screen.wait("connection lost: ")
    assert "Traceback" not in text
    screen.wait(lambda s: " reconnecting " in s or " lost " in s)
    wait_input(screen, PROMPT + " query-stat")
    again = Qemu(qemu.dir, monitors=2)
    try:
        screen.wait("reconnected to QEMU 7.2", timeout=120)
        screen.wait(lambda s: any(x.startswith(" connected ") for x in s.splitlines()))
        wait_input(screen, PROMPT + " query-stat")
        screen.send("us")
        screen.keys("Enter")
        screen.wait('{"return": {"status": "running"')
    finally:
        again.kill()


def test_quit_is_confirmed_and_ctrl_d_leaves(screen: Screen, qemu: Qemu) -> None:
    screen.qmpsh(str(qemu.sock))
    screen.wait(PROMPT)
    screen.send("quit")
    screen.keys("Enter")
    screen.wait("Send quit to QEMU 7.2")
    screen.send("n")
    screen.wait("quit was not sent")
    assert qemu.alive()
    screen.send("quit")
    screen.keys("Enter")
    screen.wait("Send quit to QEMU 7.2")
    screen.send("y")
    screen.wait("QEMU has quit")
    screen.keys("C-d")
    assert screen.wait_exit() == 0


def test_hmp_quit_is_confirmed_and_is_a_quit(screen: Screen, qemu: Qemu) -> None:
    """Through the ``hmp`` built-in: the same question as ``quit``, and QEMU
    quitting is said as such (no reconnecting to a QEMU that is gone)."""
    screen.qmpsh(str(qemu.sock))
    screen.wait(PROMPT)
    screen.send("hmp q")
    screen.keys("Enter")
    screen.wait("Send HMP q to QEMU 7.2")
    screen.send("n")
    screen.wait("HMP q was not sent")
    assert qemu.alive()
    screen.send("hmp q")
    screen.keys("Enter")
    screen.wait("Send HMP q to QEMU 7.2")
    screen.send("y")
    text = screen.wait("QEMU has quit: Ctrl-D leaves the shell (F6 reconnects)")
    assert "connection lost" not in text
    screen.keys("C-d")
    assert screen.wait_exit() == 0


def test_enter_at_a_confirmation_answers_its_default(
    screen: Screen, qemu: Qemu, private_dirs: Path
) -> None:
    """Enter at a [y/N] question is no; it used to go into the hidden input
    as new lines, which then came out as continuation lines."""
    screen.qmpsh(str(qemu.sock))
    screen.wait(PROMPT)
    screen.send("system_reset")
    screen.keys("Enter")
    screen.wait("Send system_reset to QEMU 7.2")
    screen.keys("Enter", "Enter")
    screen.wait("system_reset was not sent")
    screen.send("query-status")
    screen.keys("Enter")
    screen.wait(PROMPT + ' query-status\n{"return": {"status": "running"')
    # the habit: y, then Enter
    screen.send("system_reset")
    screen.keys("Enter")
    screen.wait("Send system_reset to QEMU 7.2")
    screen.keys("y", "Enter")
    screen.wait(PROMPT + ' system_reset\n{"return": {}}')
    screen.send("query-name")
    screen.keys("Enter")
    text = screen.wait(PROMPT + ' query-name\n{"return": {}}')
    assert "... " not in text
    wait_input(screen, PROMPT)
    history = private_dirs / "state" / "qmpsh" / "history"
    assert parse_entries(history.read_text()) == [
        "system_reset",
        "query-status",
        "system_reset",
        "query-name",
    ]


def test_lines_pasted_without_bracketed_paste_run_in_turn(
    screen: Screen, qemu: Qemu
) -> None:
    """tmux's paste-buffer without -p sends the lines as typed, each with
    Enter, faster than the first reply: they used to run into one line."""
    screen.qmpsh(str(qemu.sock))
    screen.wait(PROMPT)
    screen._run("set-buffer", "-b", "lines", "query-status\nquery-name\nquery-kvm\n")
    screen._run("paste-buffer", "-b", "lines", "-t", "main")
    text = screen.wait(PROMPT + ' query-kvm\n{"return": {"enabled": false')
    assert (
        PROMPT
        + ' query-status\n{"return": {"status": "running", "singlestep": false, '
        + '"running": true}}\n'
        + PROMPT
        + ' query-name\n{"return": {}}\n'
        + PROMPT
        + " query-kvm\n"
    ) in text
    assert "still running" not in text
    wait_input(screen, PROMPT)


def test_hmp_no_completion_menu_on_the_empty_prompt(screen: Screen, qemu: Qemu) -> None:
    screen.qmpsh("-H", str(qemu.sock))
    screen.wait("(qemu)")
    screen.send("balloo")  # the menu opens while typing, once the table is there
    screen.wait(lambda s: any(line.strip() == "balloon" for line in s.splitlines()))
    screen.keys("C-u")
    screen.send("info status")
    screen.keys("Enter")
    text = screen.wait("(qemu) info status\nVM status: running\n(qemu)")
    assert "announce_self" not in text  # it used to list every command here
    screen.keys("Tab")  # asked for: every command
    screen.wait("announce_self")
    screen.keys("Escape")
    screen.wait(lambda s: "announce_self" not in s)


def test_no_color_means_no_colour(screen: Screen, qemu: Qemu) -> None:
    screen.qmpsh(str(qemu.sock), env={"NO_COLOR": "1"})
    screen.wait(PROMPT)
    screen.send("query-status")
    screen.keys("Enter")
    screen.wait('{"return": {"status": "running"')
    coloured = screen._run("capture-pane", "-p", "-e", "-t", "main")
    reply = next(line for line in coloured.splitlines() if '"return"' in line)
    assert "\x1b[" not in reply


def test_signature_and_refusal_under_the_input(screen: Screen, qemu: Qemu) -> None:
    screen.qmpsh(str(qemu.sock))
    screen.wait(PROMPT)
    screen.send("device_del ")
    # the signature line appears once the schema is loaded (in the background)
    screen.wait(
        lambda s: any(x.startswith("device_del  id=str") for x in s.splitlines())
    )
    screen.send("devce=x")
    screen.keys("Enter")
    text = screen.wait(lambda s: "sends it anyway)" in s.replace("\n", ""))
    assert "did you mean 'id'?" in text.replace("\n", "")
    wait_input(screen, PROMPT + " device_del devce=x")
    screen.keys("Enter")
    screen.wait("GenericError: Parameter 'id' is missing")


def test_long_reply_in_less_and_ctrl_c_there(screen: Screen, qemu: Qemu) -> None:
    need("less")
    screen.qmpsh(str(qemu.sock), env={"PAGER": ""})  # the default: less
    screen.wait(PROMPT)
    screen.send("query-qmp-schema")
    screen.keys("Enter")
    # less shows the reply wrapped (one long line) and waits at its ':' prompt
    screen.wait(lambda s: s.rstrip().endswith("\n:") and '"meta-type"' in s)
    screen.keys("C-c")  # less's, not ours: the shell must survive it
    screen.keys("q")
    screen.wait(lambda s: s.rstrip().splitlines()[-1].startswith(" connected "))
    screen.send("query-name")
    screen.keys("Enter")
    screen.wait('query-name\n{"return": {}}')
    assert screen.exit_status() is None
