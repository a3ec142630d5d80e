"""The shell and its terminal, when the terminal does unusual things: Ctrl-Z
and ``fg``, a terminal that goes away without a hang-up, a tiny window.
Real QEMU, a real terminal (tmux, or a pty of the test's own)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from qmpsh.core.exitcodes import Exit
from qmpsh.shell.history import parse_entries
from tests.procs import ROOT, Qemu, children, need
from tests.terminal.tmux import TIMEOUT, Screen

PROMPT = "(qemu 7.2 none-machine)"


def _state(pid: int) -> str:
    """The process state letter (R, S, T for stopped...)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rpartition(")")[2].split()[0]


def _wait(predicate: object, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _qmpsh_under(shell_pid: int) -> int:
    """The qmpsh process below *shell_pid* (the pane's)."""
    found: list[int] = []

    def descendants(pid: int) -> list[int]:
        below = children(pid)
        return below + [d for child in below for d in descendants(child)]

    def look() -> bool:
        found[:] = [
            pid
            for pid in descendants(shell_pid)
            if b"-m\0qmpsh" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        return len(found) == 1

    _wait(look, "qmpsh to start")
    return found[0]


def test_ctrl_z_suspends_and_fg_restores_the_shell(screen: Screen, qemu: Qemu) -> None:
    """Ctrl-Z stops qmpsh with the terminal given back to the user's shell
    (cooked mode: bash reads ``fg`` as typed); ``fg`` brings it back in raw
    mode, redrawn, with the half-typed line as it was."""
    bash = need("bash")
    screen.start([bash, "--norc", "--noprofile", "-i"], env={"PS1": "bash$ "})
    screen.wait("bash$")
    screen.send(f"{sys.executable} -m qmpsh {qemu.sock}")
    screen.keys("Enter")
    screen.wait(lambda s: PROMPT in s and " connected " in s)
    pane = int(screen._run("display", "-p", "-t", "main", "#{pane_pid}"))
    qmpsh = _qmpsh_under(pane)
    screen.send("query-sta")
    screen.wait(f"{PROMPT} query-sta")

    screen.keys("C-z")
    screen.wait("Stopped")  # bash's job report
    _wait(lambda: _state(qmpsh) == "T", "qmpsh to be stopped")
    text = screen.text()
    assert "\x1a" not in text and "^Z" not in text.split("Stopped")[0][-40:]
    assert " connected " not in text.splitlines()[-1]  # the toolbar was erased

    screen.send("stty -a | grep -o -- '-*icanon'")  # the terminal is bash's again
    screen.keys("Enter")
    screen.wait(lambda s: "\nicanon" in s or s.startswith("icanon"))
    screen.send("fg")
    screen.keys("Enter")
    _wait(lambda: _state(qmpsh) != "T", "qmpsh to run again")
    # redrawn: the prompt with the half-typed line, the toolbar
    screen.wait(lambda s: f"{PROMPT} query-sta" in s and " connected " in s)
    screen.send("tus")  # raw mode again: each key is taken as typed
    screen.wait(f"{PROMPT} query-status")
    screen.keys("Enter")
    screen.wait(
        '{"return": {"status": "running", "singlestep": false, "running": true}}'
    )
    screen.keys("C-d")
    screen.wait(lambda s: s.rstrip().endswith("bash$"))
    screen.send("echo status=$?")
    screen.keys("Enter")
    screen.wait("status=0")
    assert "Traceback" not in screen._run("capture-pane", "-p", "-S", "-", "-t", "main")


class DetachedPty:
    """qmpsh on a pseudo-terminal that is NOT its controlling terminal, so
    that closing the master side makes its reads and writes fail (EOF, EIO)
    without any SIGHUP: a terminal that vanished without a hang-up.  Its
    stderr is a pipe, to read the line it leaves."""

    def __init__(self, args: list[str], home: Path) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 32, 110, 0, 0))
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "TERM": "screen-256color",
            "LANG": "C.UTF-8",
            "NO_COLOR": "1",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qmpsh", *args],
            stdin=slave,
            stdout=slave,
            stderr=subprocess.PIPE,
            start_new_session=True,  # no controlling terminal at all
            env=env,
            cwd=ROOT,
        )
        os.close(slave)
        self.seen = b""

    def wait(self, text: bytes) -> None:
        deadline = time.monotonic() + TIMEOUT
        while text not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"timed out waiting for {text!r}: {self.seen!r}"
            if select.select([self.master], [], [], left)[0]:
                self.seen += os.read(self.master, 1 << 16)

    def type(self, text: bytes) -> None:
        os.write(self.master, text)

    def vanish(self) -> tuple[int, str]:
        """Close the terminal under qmpsh (no signal); its exit status and
        what it said on stderr."""
        os.close(self.master)
        self.master = -1
        _, err = self.proc.communicate(timeout=TIMEOUT)
        return self.proc.returncode, err.decode()

    def close(self) -> None:
        if self.master >= 0:
            os.close(self.master)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def test_a_terminal_that_vanished_ends_the_shell_as_a_hang_up(
    qemu: Qemu, private_dirs: Path
) -> None:
    term = DetachedPty([str(qemu.sock)], private_dirs)
    try:
        term.wait(b" connected ")
        term.type(b"query-status\r")
        term.wait(b'"running": true}}')
        term.type(b"query-na")  # half typed when the terminal goes
        term.wait(b"query-na")
        code, err = term.vanish()
    finally:
        term.close()
    assert code == Exit.HANGUP == 128 + signal.SIGHUP
    assert err == "qmpsh: hung up (the terminal went away)\n"
    history = private_dirs / "state" / "qmpsh" / "history"
    assert parse_entries(history.read_text()) == ["query-status"]
    assert qemu.alive()


def test_a_tiny_window_keeps_the_input_line_in_sight(
    screen: Screen, qemu: Qemu
) -> None:
    """At 10x3 the prompt shortens to ``> `` and the lines under the input
    (the command's signature) give way: the input and the toolbar stay."""
    screen.qmpsh(str(qemu.sock))
    screen.wait(lambda s: PROMPT in s and " connected " in s)
    screen.send("query-sta")
    screen.wait(f"{PROMPT} query-sta")
    screen.resize(10, 3)
    screen.wait(lambda _: screen.lines()[:2] == ["> query-st", "  a"])
    assert screen.lines()[2].startswith(" connected")
    screen.send("tus")
    screen.wait(lambda _: screen.lines()[:2] == ["> query-st", "  atus"])
    screen.resize(40, 8)  # room for the first word of the prompt
    screen.wait(lambda _: "(qemu) query-status" in screen.lines())
    screen.resize()
    screen.wait(f"{PROMPT} query-status")
    screen.keys("Enter")
    screen.wait(
        '{"return": {"status": "running", "singlestep": false, "running": true}}'
    )
    screen.keys("C-d")
    assert screen.wait_exit() == 0
