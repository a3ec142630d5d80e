"""SIGTERM and SIGHUP end the shell as Ctrl-D does, in a real terminal.

The terminal is put back as it was (cooked mode, the toolbar erased), the
exit status is 128 + the signal's number, and under ``qmpsh wrap`` QEMU is
asked to quit (SIGTERM, waited for) and its socket directory removed.  A
hang-up is a real one: the terminal's master side is closed under qmpsh.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Sequence
from pathlib import Path

from tests.procs import ROOT, Qemu, WrappedQemu, children, need
from tests.terminal.tmux import TIMEOUT, Screen

PROMPT = "(qemu 7.2 none-machine)"
#: after qmpsh, the pane's shell says how it ended and how the terminal is set
AFTER = 'echo "exit=$?"; stty -a; echo "end of stty"'


def run_then_stty(screen: Screen, *args: str) -> None:
    """Run ``qmpsh ARGS`` in *screen*, then show its status and ``stty -a``."""
    screen.start(
        ["sh", "-c", f'"$@"; {AFTER}', "sh", sys.executable, "-m", "qmpsh", *args]
    )


def qmpsh_pid(screen: Screen) -> int:
    """The qmpsh process: under the pane's shell and `run_then_stty`'s."""
    pid = int(screen._run("display", "-p", "-t", "main", "#{pane_pid}"))
    for _ in range(2):
        [pid] = children(pid)
    assert b"qmpsh" in Path(f"/proc/{pid}/cmdline").read_bytes()
    return pid


def cooked(text: str) -> bool:
    """Whether ``stty -a`` in *text* shows line editing and echo on."""
    return bool(
        re.search(r"(?<![-\w])icanon\b", text) and re.search(r"(?<![-\w])echo\b", text)
    )


def sigterm_in_tmux(screen: Screen) -> str:
    """SIGTERM to the shell once it is drawn; all the pane shows (the
    scrollback too) once its shell has printed the exit status and the
    terminal's settings."""
    screen.wait(lambda s: PROMPT in s and " connected " in s)
    os.kill(qmpsh_pid(screen), signal.SIGTERM)
    screen.wait("end of stty")
    return screen._run("capture-pane", "-p", "-J", "-S", "-", "-t", "main")


def check_left_cleanly(text: str) -> None:
    assert cooked(text), text
    assert "│" not in text and "── events" not in text  # toolbar and pane erased
    assert "Traceback" not in text and "Terminated" not in text
    assert "exit=143" in text
    assert "qmpsh: terminated (SIGTERM)" in text


def test_sigterm_stops_wrapped_qemu_and_restores_the_terminal(screen: Screen) -> None:
    need("qemu-system-x86_64")
    run_then_stty(screen, "wrap")
    screen.wait(lambda s: PROMPT in s and " connected " in s)
    qemu = WrappedQemu(qmpsh_pid(screen))
    try:
        check_left_cleanly(sigterm_in_tmux(screen))
        assert qemu.stopped_by_qmpsh(), qemu.said()
        assert not qemu.dir.exists()
    finally:
        qemu.close()


def test_sigterm_restores_the_terminal(screen: Screen, qemu: Qemu) -> None:
    run_then_stty(screen, str(qemu.sock))
    check_left_cleanly(sigterm_in_tmux(screen))
    assert qemu.alive()  # a QEMU qmpsh did not start is left alone


class PtySession:
    """``python -m qmpsh ARGS`` on a pseudo-terminal of its own, as its
    controlling terminal (it is the session leader, as in a terminal
    window), so that closing the master side hangs up on it."""

    def __init__(self, args: Sequence[str], tmp: Path) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 32, 110, 0, 0))
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "TERM": "screen-256color",
            "LANG": "C.UTF-8",
            "HOME": str(tmp),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qmpsh", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
            env=env,
            cwd=ROOT,
        )
        os.close(slave)
        self.seen = b""

    def wait(self, *texts: bytes) -> None:
        """Read what qmpsh draws until all of *texts* have shown."""
        deadline = time.monotonic() + TIMEOUT
        while not all(text in self.seen for text in texts):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {texts}: {self.seen!r}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 1 << 16)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"qmpsh ended: {self.seen!r}")
                self.seen += chunk

    def hang_up(self) -> int:
        """Close the terminal under qmpsh; its exit status."""
        os.close(self.master)
        self.master = -1
        return self.proc.wait(timeout=TIMEOUT)

    def close(self) -> None:
        if self.master >= 0:
            os.close(self.master)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test_hangup_stops_wrapped_qemu(tmp_path: Path) -> None:
    need("qemu-system-x86_64")
    term = PtySession(["wrap"], tmp_path)
    qemu: WrappedQemu | None = None
    try:
        term.wait(PROMPT.encode(), b" connected ")
        qemu = WrappedQemu(term.proc.pid)
        assert term.hang_up() == 128 + signal.SIGHUP
        assert qemu.stopped_by_qmpsh(), qemu.said()
        assert not qemu.dir.exists()
    finally:
        if qemu is not None:
            qemu.close()
        term.close()


def test_hangup_ends_the_shell(tmp_path: Path, qemu: Qemu) -> None:
    term = PtySession([str(qemu.sock)], tmp_path)
    try:
        term.wait(PROMPT.encode(), b" connected ")
        assert term.hang_up() == 128 + signal.SIGHUP
        assert qemu.alive()
    finally:
        term.close()
