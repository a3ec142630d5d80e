"""The ssh process behind an ``ssh://`` tunnel (`qmpsh.wire.ssh`).

`SshProcess` starts ssh without the event loop, so that a one-shot command
can start it before qmpsh has finished starting (ssh's login then overlaps
Python's imports); it keeps the end of what ssh prints (read from the loop
once there is one, so that ssh never blocks on a full pipe), tells when ssh
has exited (by polling: no child watcher involved) and stops it.  ssh runs
in a session of its own (Ctrl-C at the shell does not reach it), or, when
it may ask on the terminal, in a process group of its own that is the
terminal's foreground until `SshProcess.hand_back`; and it gets SIGTERM
when qmpsh dies without stopping it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: ssh may start before asyncio is loaded
    import asyncio

#: the most of ssh's stderr that is kept
KEPT = 16384


class SshProcess:
    """A running ssh; `OSError` from the constructor when it cannot run."""

    def __init__(self, argv: Sequence[str], terminal: int | None = None) -> None:
        self.terminal = terminal
        setup = _child_setup(terminal, _die_with_us())
        self.proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=setup,
        )
        assert self.proc.stderr is not None
        self._fd = self.proc.stderr.fileno()
        os.set_blocking(self._fd, False)
        self._said = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    def watch(self) -> None:
        """Read what ssh prints as it comes (from the running loop on)."""
        import asyncio

        loop = asyncio.get_running_loop()
        if self._loop is not loop and self.proc.stderr is not None:
            self._unwatch()
            loop.add_reader(self._fd, self._read)
            self._loop = loop

    def _unwatch(self) -> None:
        if self._loop is not None:
            with contextlib.suppress(Exception):  # the loop may be closed
                self._loop.remove_reader(self._fd)
            self._loop = None

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._unwatch()
                return
            self._said += chunk
            del self._said[:-KEPT]

    async def exited(self, wait: float) -> bool:
        """Whether ssh has exited, or does within *wait* seconds."""
        import asyncio

        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        delay = 0.001
        while self.proc.poll() is None:
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.02)
        return True

    async def said(self) -> tuple[int, str]:
        """ssh's exit status and the end of what it printed, once exited."""
        while not await self.exited(60):
            pass
        self._read()
        status = self.proc.returncode
        assert status is not None
        return status, self._said.decode(errors="replace")

    def hand_back(self) -> None:
        """Make qmpsh's process group the terminal's foreground again."""
        if self.terminal is None:
            return
        old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # we are in the background
        try:
            os.tcsetpgrp(self.terminal, os.getpgrp())
        except OSError:
            pass
        finally:
            signal.signal(signal.SIGTTOU, old)
            os.close(self.terminal)
            self.terminal = None

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL 2 s later; idempotent."""
        self.hand_back()
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()
            if not await self.exited(2):
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.exited(5)
        self._unwatch()
        if self.proc.stderr is not None:
            self.proc.stderr.close()


def own_terminal() -> int | None:
    """The controlling terminal, opened, when this process is in its
    foreground (ssh may then ask there); else None."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if os.tcgetpgrp(fd) == os.getpgrp():
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _die_with_us() -> Callable[[], object] | None:
    """prctl(PR_SET_PDEATHSIG, SIGTERM), loaded here (not in the child)."""
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, signal.SIGTERM)


def _child_setup(
    terminal: int | None, die_with_us: Callable[[], object] | None
) -> Callable[[], None]:
    def setup() -> None:  # pragma: no cover - runs in the child
        if terminal is None:
            os.setsid()
        else:
            os.setpgid(0, 0)
            signal.signal(signal.SIGTTOU, signal.SIG_IGN)
            with contextlib.suppress(OSError):
                os.tcsetpgrp(terminal, os.getpgrp())
            signal.signal(signal.SIGTTOU, signal.SIG_DFL)
        if die_with_us is not None:
            die_with_us()

    return setup
