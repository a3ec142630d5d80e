"""The interactive shell in the reliability matrix: a real terminal (tmux).

`Term` runs ``qmpsh ADDRESS -l LOG`` in a fixed-size tmux window with its
own XDG directories and HOME under the row's temp dir (so that every row
has its own history file), and waits for what is drawn, never for a fixed
time.  `Cue` lets a test and a scripted server take turns: the script
stops at a point (a command received) until the test has typed what it
wants in the meantime.  `shell_requests` answers what the shell asks by
itself when it connects (machine type, command list, schema), so that a
scripted server looks like a small QEMU to it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qmpsh.shell.history import parse_entries
from tests.faults.matrix import Probe
from tests.faults.server import Peer
from tests.terminal.tmux import TIMEOUT, Screen

#: the machine type the scripted server reports, and so the shell's prompt
MACHINE = "fault-machine"
FAULT_PROMPT = f"(qemu 7.2 {MACHINE})"
QEMU_PROMPT = "(qemu 7.2 none-machine)"
COMMANDS = ("query-status", "query-name", "query-kvm", "stop", "cont")


class Cue:
    """A point where a server script waits for the test (thread-safe)."""

    def __init__(self) -> None:
        self._reached = threading.Event()
        self._go = threading.Event()

    @property
    def released(self) -> bool:
        return self._go.is_set()

    def mark(self) -> None:
        """In the script: say the point is reached, and go on."""
        self._reached.set()

    async def reached(self) -> None:
        """In the script: say the point is reached, wait for `go`."""
        self._reached.set()
        while not self._go.is_set():
            await asyncio.sleep(0.01)

    def wait(self, timeout: float = TIMEOUT) -> None:
        """In the test: until the script has reached the point."""
        assert self._reached.wait(timeout), "the server never reached the cue"

    def go(self) -> None:
        self._go.set()


async def shell_requests(
    peer: Peer,
    until: str | None = None,
    probed: Cue | None = None,
    slow: bool = False,
) -> dict[str, Any]:
    """Answer requests as a small QEMU would, until one named *until* comes
    (returned unanswered).  The shell's own start-up queries get plausible
    answers (``query-qmp-schema`` is refused: the shell does without), any
    other command ``{"return": {"served": NAME}}``.  *probed* is marked
    once the schema was asked for (the last start-up query).  *slow* sends
    every answer one byte at a time."""
    while True:
        request = await peer.recv()
        name = request.get("execute")
        if name == until:
            return request
        message: dict[str, Any]
        if name == "qom-get":
            message = {"return": MACHINE}
        elif name == "query-commands":
            message = {"return": [{"name": n} for n in COMMANDS]}
        elif name == "query-qmp-schema":
            message = {"error": {"class": "CommandNotFound", "desc": "no schema here"}}
        else:
            message = {"return": {"served": name}}
        if "id" in request:
            message["id"] = request["id"]
        if slow:
            await peer.trickle(json.dumps(message).encode() + b"\n")
        else:
            await peer.send(message)
        if name == "query-qmp-schema" and probed is not None:
            probed.mark()


class Term:
    """qmpsh's shell in a tmux window, for one row."""

    def __init__(
        self, p: Probe, prompt: str = FAULT_PROMPT, name: str = "tmux"
    ) -> None:
        self.p = p
        #: HOME, with the XDG directories in it (a second `Term` of the same
        #: row, with another *name*, finds the same history)
        self.home = p.tmp / "shell-home"
        self.screen = Screen(p.tmp / name)
        self.prompt = prompt

    @property
    def history(self) -> Path:
        return self.home / "state" / "qmpsh" / "history"

    def history_entries(self) -> list[str]:
        return parse_entries(self.history.read_text()) if self.history.exists() else []

    def start(
        self,
        *args: str,
        log: bool = True,
        env: dict[str, str] | None = None,
        raw_log: Path | None = None,
    ) -> None:
        dirs = {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_STATE_HOME": str(self.home / "state"),
            "XDG_CACHE_HOME": str(self.home / "cache"),
        }
        for path in dirs.values():
            Path(path).mkdir(parents=True, exist_ok=True)
        extra = ("-l", str(self.p.log)) if log else ()
        self.screen.qmpsh(*args, *extra, env={**dirs, **(env or {})}, raw_log=raw_log)

    # -- looking -------------------------------------------------------------

    def everything(self) -> str:
        """All that was drawn, the scrollback too, wrapped lines joined."""
        return self.screen._run("capture-pane", "-p", "-J", "-S", "-", "-t", "main")

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.everything().splitlines()]

    def wait(
        self, what: str | Callable[[str], object], timeout: float = TIMEOUT
    ) -> str:
        """Until the screen (scrollback included) shows *what*."""
        return self.screen.wait(what, timeout, capture=self.everything)

    def line_with(self, text: str) -> str:
        """The first line holding *text*."""
        return next(line for line in self.lines() if text in line)

    def input_line(self) -> str:
        """What is typed after the prompt, on the line being edited ("" when
        tmux caught the screen between two drawings, with no prompt line)."""
        lines = [x for x in self.screen.lines() if x.startswith(self.prompt)]
        return lines[-1][len(self.prompt) :].strip() if lines else ""

    def wait_input(self, text: str) -> None:
        """Until the line being edited holds *text* (a single look could
        catch the screen between two drawings)."""
        self.wait(lambda _: self.input_line() == text)

    def toolbar(self) -> str:
        return [x for x in self.screen.lines() if x.strip()][-1]

    def wait_toolbar(self, state: str) -> None:
        """Until the toolbar's first field starts with *state*."""
        self.wait(lambda _: self.toolbar().startswith(f" {state}"))

    # -- typing ----------------------------------------------------------------

    def ready(self) -> None:
        self.wait(self.prompt)
        self.wait_toolbar("connected")

    def type(self, text: str, before: str = "") -> None:
        """Type *text* (not Enter) after *before* (what the input holds) and
        wait until it shows in the input."""
        self.screen.send(text)
        self.wait_input(before + text)

    def run(self, text: str, reply: str, before: str = "") -> str:
        """Type *text*, press Enter, wait for *reply*; the screen."""
        self.type(text, before)
        self.screen.keys("Enter")
        return self.wait(reply)

    def quit(self) -> int:
        """Ctrl-D on an empty line: the exit status, after checking the
        whole screen for tracebacks."""
        self.screen.keys("C-u", "C-d")
        code = self.screen.wait_exit()
        self.p.saw(self.everything())
        return code

    def pane_dead(self) -> bool:
        return (
            self.screen._run("display", "-p", "-t", "main", "#{pane_dead}").strip()
            == "1"
        )

    def pid(self) -> int:
        """The qmpsh process (the pane runs ``sh -c 'qmpsh ...; echo $?'``)."""
        shell = int(self.screen._run("display", "-p", "-t", "main", "#{pane_pid}"))
        children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
        assert len(children) == 1, children
        return int(children[0])

    def kill9(self) -> None:
        os.kill(self.pid(), signal.SIGKILL)
        self.screen.wait_exit()

    def close(self) -> None:
        self.screen.close()
