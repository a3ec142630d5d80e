"""A real terminal for tests: a private tmux server with a fixed-size window.

Tests type with `Screen.send`/`Screen.keys` and wait for what is drawn with
`Screen.wait`, which polls ``tmux capture-pane`` until the text appears or a
generous timeout passes (the machine may be loaded); never fixed sleeps.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.procs import ROOT, need

WIDTH, HEIGHT = 110, 32
TIMEOUT = 60.0


class Screen:
    def __init__(self, directory: Path) -> None:
        self.tmux = need("tmux")
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        #: the server's socket, in the test's own directory
        self.socket = str(self.dir / "tmux.sock")
        # read when the server starts: a program that ends at once (a failed
        # start-up) leaves its pane and what it printed, for the test to see
        self.conf = self.dir / "tmux.conf"
        self.conf.write_text("set-option -g remain-on-exit on\n")
        self.started = False

    def _run(self, *args: str) -> str:
        done = subprocess.run(
            [self.tmux, "-S", self.socket, "-f", str(self.conf), *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def start(
        self,
        argv: Sequence[str],
        env: dict[str, str] | None = None,
        raw_log: Path | None = None,
    ) -> None:
        """Run *argv* in the window, with PROMPT_TOOLKIT_NO_CPR=1.  With
        *raw_log*, every byte the program writes to the terminal (escape
        sequences and all) is appended to that file, from its first."""
        full = {
            "PYTHONPATH": str(ROOT),
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "TERM": "screen-256color",
            "LANG": "C.UTF-8",
            "PAGER": "cat",
        }
        for var in (
            "XDG_CONFIG_HOME",
            "XDG_STATE_HOME",
            "XDG_CACHE_HOME",
            "HOME",
            "PATH",
        ):
            if var in os.environ:
                full[var] = os.environ[var]
        full.update(env or {})
        self.status_file = self.dir / "exit-status"
        # tmux does not always learn a dead pane's status: record it ourselves
        wrapper = f'"$@"; echo $? > {shlex.quote(str(self.status_file))}'
        command = shlex.join(
            [
                "env",
                *(f"{k}={v}" for k, v in full.items()),
                "sh",
                "-c",
                wrapper,
                "sh",
                *argv,
            ]
        )
        size = ("-x", str(WIDTH), "-y", str(HEIGHT), "-c", str(ROOT))
        if raw_log is None:
            self._run("new-session", "-d", "-s", "main", *size, command)
        else:  # an idle pane, its output piped to the log, then the program
            self._run("new-session", "-d", "-s", "main", *size, "cat")
            log = shlex.quote(str(raw_log))
            self._run("pipe-pane", "-O", "-t", "main", f"cat >> {log}")
            self._run("respawn-pane", "-k", "-t", "main", command)
        self.started = True
        self._run("set-option", "-t", "main", "remain-on-exit", "on")

    def qmpsh(
        self, *args: str, env: dict[str, str] | None = None, raw_log: Path | None = None
    ) -> None:
        self.start([sys.executable, "-m", "qmpsh", *args], env, raw_log)

    def resize(self, width: int = WIDTH, height: int = HEIGHT) -> None:
        """Make the window *width* x *height*, as a user resizing the
        terminal does (the program gets SIGWINCH)."""
        self._run("resize-window", "-t", "main", "-x", str(width), "-y", str(height))

    def text(self) -> str:
        return self._run("capture-pane", "-p", "-t", "main")

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.text().splitlines()]

    def send(self, text: str) -> None:
        """Type *text* literally."""
        self._run("send-keys", "-t", "main", "-l", "--", text)

    def keys(self, *names: str) -> None:
        """Press keys by tmux name: Enter, C-c, C-d, F2, M-Up..."""
        self._run("send-keys", "-t", "main", *names)

    def wait(
        self,
        what: str | Callable[[str], object],
        timeout: float = TIMEOUT,
        capture: Callable[[], str] | None = None,
    ) -> str:
        """Wait until the screen shows *what* (text, or a predicate on the
        screen's text); return the screen.  *capture* reads the screen
        (default: the visible part, `text`)."""
        check = (lambda s: what in s) if isinstance(what, str) else what
        read = capture or self.text
        deadline = time.monotonic() + timeout
        while True:
            screen = read()
            if check(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out waiting for {what!r}; screen:\n{screen}"
                )
            time.sleep(0.05)

    def exit_status(self) -> int | None:
        """The program's exit status once it has ended, else None."""
        try:
            text = self.status_file.read_text()
        except FileNotFoundError:
            return None
        return int(text) if text.endswith("\n") else None

    def wait_exit(self, timeout: float = TIMEOUT) -> int:
        deadline = time.monotonic() + timeout
        while (status := self.exit_status()) is None:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the program did not exit; screen:\n{self.text()}"
                )
            time.sleep(0.05)
        return status

    def close(self) -> None:
        if self.started:
            subprocess.run(
                [self.tmux, "-S", self.socket, "kill-server"],
                capture_output=True,
                timeout=30,
            )
