"""Launching QEMU for ``qmpsh wrap``: the `Qemu` transport, a private socket,
a child that dies with us.

qmpsh listens on a unix socket in a fresh 0700 temp dir (`qmpsh.wire.listen`)
and starts QEMU with ``-qmp unix:SOCK`` (QEMU connects to us, as
qmp-shell-wrap does), so there is no polling for a socket file: either QEMU
connects, or it exits and we say why from what it printed (`Qemu.failed`).  QEMU runs in its own session (Ctrl-C at the shell
does not reach it).  However the session ends (Ctrl-D, the end of the input,
Ctrl-C, or SIGTERM and SIGHUP: see qmpsh.cli.stopsignals), `Qemu.close` asks it
to quit and removes the directory; only if qmpsh is killed outright
(SIGKILL) does QEMU get SIGKILL too (PR_SET_PDEATHSIG), the directory left.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qmpsh.core.errors import ConnectFailed, QmpshError
from qmpsh.core.exitcodes import Exit
from qmpsh.wire.address import UnixAddress
from qmpsh.wire.listen import Listen
from qmpsh.wire.transport import Transport

if TYPE_CHECKING:
    import socket

DEFAULT_QEMU = ("qemu-system-x86_64", "-M", "none", "-nodefaults", "-display", "none")


class LaunchFailed(QmpshError):
    exit_code = Exit.LAUNCH_ERROR


def qemu_command(args: Sequence[str]) -> list[str]:
    """The QEMU command line for ``wrap`` arguments.

    No arguments: the default machine.  Arguments that start with an option
    are added to the default command line (a later ``-M`` wins over the
    default one); otherwise the first one names the program and the rest
    are its whole command line.
    """
    if not args or args[0].startswith("-"):
        return [*DEFAULT_QEMU, *args]
    return list(args)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    os.setsid()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


class Qemu(Transport):
    """A QEMU child process that connects to us: the ``wrap`` transport.

    `open` makes the private directory, listens there and starts QEMU;
    `close` stops it and removes the directory (so that nothing is made
    before the session's signal handlers are in place).
    """

    fd_passing = True  # QEMU's end of a unix socket
    kind = "a unix socket"
    reopens = False  # a QEMU that went away is not started again
    may_be_agent = False

    def __init__(self, command: Sequence[str]) -> None:
        self.command = list(command)
        self.dir: Path | None = None
        self.proc: asyncio.subprocess.Process | None = None
        self._listen: Listen | None = None

    @property
    def name(self) -> str:
        """The private socket, once there is one."""
        return str(self._listen) if self._listen is not None else self.command[0]

    async def open(self, timeout: float | None, agent: bool = False) -> socket.socket:
        """Start QEMU and accept its QMP connection within *timeout*, or
        raise `LaunchFailed` (or `ConnectFailed`, which `failed` turns into
        QEMU's exit status when it exited)."""
        await self.close()
        program = self.command[0]
        if shutil.which(program) is None:
            raise LaunchFailed(
                f"cannot start QEMU: {program!r} was not found (install "
                "qemu-system-x86, or give the QEMU command after --)"
            )
        try:
            self.dir = Path(tempfile.mkdtemp(prefix="qmpsh-wrap-"))
        except OSError as exc:
            raise LaunchFailed(
                f"cannot make a directory for the socket: {exc.strerror}"
            ) from None
        sock = self.dir / "qmp.sock"
        self._listen = listen = Listen(UnixAddress(str(sock)), announce=False)
        await listen.start()
        argv = [*self.command, "-qmp", f"unix:{sock}"]
        with open(self.dir / "qemu.stderr", "wb") as err:
            try:
                self.proc = await asyncio.create_subprocess_exec(
                    *argv,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=err,
                    stderr=err,
                    preexec_fn=_die_with_parent,
                )
            except OSError as exc:
                raise LaunchFailed(f"cannot start {program}: {exc.strerror}") from None
        accept = asyncio.ensure_future(listen.accept(timeout))
        exited = asyncio.ensure_future(self.proc.wait())
        done, _ = await asyncio.wait(
            {accept, exited}, return_when=asyncio.FIRST_COMPLETED
        )
        if accept in done:
            exited.cancel()
            return accept.result()  # or the ConnectFailed, for `failed`
        accept.cancel()
        with contextlib.suppress(BaseException):
            await accept
        raise LaunchFailed(self._exit_text(exited.result()))

    async def failed(self, error: QmpshError) -> QmpshError:
        """A session that failed at once usually means QEMU is exiting: its
        exit status and first line of stderr say why."""
        if not isinstance(error, ConnectFailed) or self.proc is None:
            return error
        if self._listen is not None:
            error = await self._listen.failed(error)
        try:
            status = await asyncio.wait_for(self.proc.wait(), 2)
        except TimeoutError:
            return error
        return LaunchFailed(self._exit_text(status))

    def _exit_text(self, status: int) -> str:
        assert self.dir is not None
        try:
            text = (self.dir / "qemu.stderr").read_text(errors="replace")
            lines = text.strip().splitlines()
        except OSError:
            lines = []
        said = f": {lines[0]}" if lines else ""
        how = f"signal {-status}" if status < 0 else f"status {status}"
        return f"QEMU exited with {how} before connecting{said}"

    async def close(self, grace: float = 5.0) -> None:
        """Stop QEMU (SIGTERM, then SIGKILL after *grace* seconds) and
        remove the temp dir."""
        proc = self.proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if self._listen is not None:
            await self._listen.close()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
