"""The interactive shell on a real qemu-ga, in a real terminal (tmux)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.procs import GuestAgent
from tests.terminal.tmux import Screen

PROMPT = "(qga)"


def test_agent_commands_complete_in_a_menu(screen: Screen, qga: GuestAgent) -> None:
    screen.qmpsh(str(qga.sock))
    text = screen.wait(PROMPT)
    assert "connected to a guest agent at " in text
    screen.send("guest-ex")
    screen.keys("Tab")
    # the menu lists the agent's own commands, the disabled ones marked
    menu = screen.wait(lambda s: "guest-exec-status" in s and "disabled in" in s)
    row = next(x for x in menu.splitlines() if "guest-exec " in x)
    assert "disabled in this agent" in row
    screen.keys("C-u")
    screen.send("guest-get-t")
    screen.keys("Tab")
    screen.wait(PROMPT + " guest-get-time")
    screen.keys("Enter")
    screen.wait(lambda s: '{"return": ' in s.split(PROMPT + " guest-get-time")[-1])
    screen.keys("C-d")
    assert screen.wait_exit() == 0
    assert "Traceback" not in screen.text()


def test_guest_run_in_the_shell(
    screen: Screen, qga_exec: GuestAgent, tmp_path: Path
) -> None:
    (tmp_path / "f").write_bytes(b"hello file")
    screen.qmpsh(str(qga_exec.sock))
    screen.wait(PROMPT)
    screen.send(f"guest-file-open path={tmp_path / 'f'}")
    screen.keys("Enter")
    found = screen.wait(lambda s: re.search(r'\{"return": (\d+)\}', s) is not None)
    match = re.search(r'\{"return": (\d+)\}', found)
    assert match is not None
    screen.send(f"guest-file-read handle={match[1]}")
    screen.keys("Enter")
    screen.wait('"buf-b64": "aGVsbG8gZmlsZQ==", "buf-text": "hello file"')
    screen.send("guest-run /bin/sh -c 'echo hi; printf \"\\033[31mred\" >&2; exit 3'")
    screen.keys("Enter")
    text = screen.wait("/bin/sh exited with code 3")
    after = text.split("guest-run /bin/sh")[-1]
    assert "\nhi\n" in after
    assert "^[[31mred" in after  # the program's escape shown, not obeyed
    screen.send("guest-run /bin/echo done")
    screen.keys("Enter")
    screen.wait("/bin/echo exited with code 0")
    # Ctrl-C stops waiting, not the program, and says how to see its end
    screen.send("guest-run /bin/sleep 30")
    screen.keys("Enter")
    screen.wait("(qga) guest-run /bin/sleep 30")
    screen.keys("C-c")
    screen.wait("it goes on in the guest (guest-exec-status pid=")
    screen.wait(PROMPT)
    screen.keys("C-d")
    assert screen.wait_exit() == 0
    assert "Traceback" not in screen.text()
