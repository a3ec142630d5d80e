"""The interactive shell on a real qemu-ga, in a real terminal (tmux)."""

from __future__ import annotations

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
