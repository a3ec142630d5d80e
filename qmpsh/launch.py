"""Launching QEMU for ``qmpsh wrap``: a private socket, a child that dies with us.

qmpsh listens on a unix socket in a fresh 0700 temp dir and starts QEMU with
``-qmp unix:SOCK`` (QEMU connects to us, as qmp-shell-wrap does), so there is
no polling for a socket file: either QEMU connects, or it exits and we say
why from what it printed.  QEMU runs in its own session (Ctrl-C at the shell
does not reach it) and gets SIGKILL if qmpsh itself dies.
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

from qmpsh.address import UnixAddress
from qmpsh.client import Connection
from qmpsh.errors import QmpshError
from qmpsh.exitcodes import Exit

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


class Qemu:
    """A QEMU child process connected to a `Connection` in accept mode.

    A session `Target`: `open` starts QEMU, `close` stops it.
    """

    def __init__(self, command: Sequence[str], timeout: float = 30.0) -> None:
        self.command = list(command)
        self.timeout = timeout
        self.dir = Path(tempfile.mkdtemp(prefix="qmpsh-wrap-"))
        self.socket = self.dir / "qmp.sock"
        self.stderr_path = self.dir / "qemu.stderr"
        self.proc: asyncio.subprocess.Process | None = None

    async def open(self, conn: Connection) -> None:
        """Start QEMU and accept its QMP connection, or raise `LaunchFailed`."""
        timeout = self.timeout
        program = self.command[0]
        if shutil.which(program) is None:
            raise LaunchFailed(
                f"cannot start QEMU: {program!r} was not found (install "
                "qemu-system-x86, or give the QEMU command after --)"
            )
        await conn.listen(UnixAddress(str(self.socket)))
        argv = [*self.command, "-qmp", f"unix:{self.socket}"]
        with open(self.stderr_path, "wb") as err:
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
        accept = asyncio.ensure_future(conn.accept(timeout))
        exited = asyncio.ensure_future(self.proc.wait())
        done, _ = await asyncio.wait(
            {accept, exited}, return_when=asyncio.FIRST_COMPLETED
        )
        if accept in done:
            if accept.exception() is None:
                exited.cancel()
                return
            # a session that failed at once usually means QEMU is exiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(exited), 2)
            if not exited.done():
                exited.cancel()
                accept.result()  # raises the ConnectFailed
            raise LaunchFailed(self._exit_text(exited.result()))
        accept.cancel()
        with contextlib.suppress(BaseException):
            await accept
        raise LaunchFailed(self._exit_text(exited.result()))

    def _exit_text(self, status: int) -> str:
        try:
            lines = self.stderr_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            lines = []
        said = f": {lines[0]}" if lines else ""
        how = f"signal {-status}" if status < 0 else f"status {status}"
        return f"QEMU exited with {how} before connecting{said}"

    async def close(self, grace: float = 5.0) -> None:
        """Stop QEMU (SIGTERM, then SIGKILL) and remove the temp dir."""
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
        shutil.rmtree(self.dir, ignore_errors=True)
