"""Variables and aliases in the interactive shell (tmux, real QEMU): bind a
reply, use it, see a misspelt name refused under the input; define an
alias, complete it with Tab, run it; one from the config file."""

from __future__ import annotations

import os
from pathlib import Path

from tests.procs import Qemu
from tests.terminal.tmux import Screen

PROMPT = "(qemu 7.2 none-machine)"  # tmux drops trailing spaces


def after_last_prompt(screen: str, typed: str) -> str:
    return screen.split(f"{PROMPT} {typed}")[-1]


def test_define_use_and_complete(screen: Screen, qemu: Qemu) -> None:
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "qmpsh" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[aliases]\nprops = "qom-list-properties typename=$1"\n')
    screen.qmpsh(str(qemu.sock))
    screen.wait(PROMPT)
    screen.send("t = qom-get path=/machine property=type")
    screen.keys("Enter")
    screen.wait('{"return": "none-machine"}')
    # a misspelt name: said under the input, which stays
    screen.send("qom-list-properties typename=$tt")
    screen.keys("Enter")
    screen.wait("undefined variable $tt (did you mean $t?)")
    screen.keys("C-e", "C-u")  # the cursor went to the column said
    screen.send("vars t")
    screen.keys("Enter")
    screen.wait('$t = "none-machine"')
    # an alias of the session, offered by Tab, run with its parameter
    screen.send("alias whatis = qom-get path=$1 property=type")
    screen.keys("Enter")
    screen.send("whati")
    screen.keys("Tab")
    screen.wait(f"{PROMPT} whatis")
    screen.send(" /machine")
    screen.keys("Enter")
    screen.wait(
        lambda s: (
            '{"return": "none-machine"}' in after_last_prompt(s, "whatis /machine")
        )
    )
    # the config file's, with the variable
    screen.send("props $t")
    screen.keys("Enter")
    screen.wait(lambda s: '"name":' in after_last_prompt(s, "props $t"))
    screen.keys("C-d")
    assert screen.wait_exit() == 0
    assert "Traceback" not in screen.text()


def test_pasted_lines_use_what_the_lines_before_them_bind(
    screen: Screen, qemu: Qemu
) -> None:
    """A paste is checked line by line before any runs: a line using a
    variable that a line above binds is checked when its turn comes."""
    screen.qmpsh(str(qemu.sock))
    screen.wait(PROMPT)
    lines = "m = qom-get path=/machine property=type\nqom-list-properties typename=$m\n"
    # bracketed: the lines land in the input together, Enter runs them
    screen._run("set-buffer", "-b", "lines", lines.rstrip("\n"))
    screen._run("paste-buffer", "-p", "-b", "lines", "-t", "main")
    screen.wait("qom-list-properties typename=$m")
    screen.keys("Enter")
    screen.wait(lambda s: '"name":' in s.split("typename=$m")[-1])
    # one by one (no bracketed paste): each queued, checked at its turn
    screen.keys("C-l")
    screen._run(
        "set-buffer", "-b", "lines", lines.replace("m", "n", 1).replace("$m", "$n")
    )
    screen._run("paste-buffer", "-b", "lines", "-t", "main")
    screen.wait(lambda s: '"name":' in s.split("typename=$n")[-1])
    assert "undefined variable" not in screen.text()
    screen.keys("C-d")
    assert screen.wait_exit() == 0
