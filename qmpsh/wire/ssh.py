"""The ``ssh://[USER@]HOST[:PORT]/PATH`` transport: a QMP unix socket on
another host, reached through the system's OpenSSH client.

`SshTunnel.open` runs ``ssh -N -T -L LOCAL:PATH HOST``, LOCAL being a
socket in a private 0700 temp dir, and connects to LOCAL once ssh has made
it: each connection there is one SSH channel to PATH on the host.  So the
host needs nothing but sshd (OpenSSH's ``-W`` cannot reach a unix socket,
and ``socat`` there is not a given), and the user's ssh configuration
applies as it does to ``ssh HOST``: ``~/.ssh/config`` (Host aliases,
HostName, Port, User, IdentityFile, ProxyJump...), the agent and
known_hosts.  ``$QMPSH_SSH_COMMAND`` or the ``ssh_command`` setting replaces
``ssh`` (`configure`).  qmpsh adds only what the tunnel needs, and
``ControlMaster=no`` (a shared master would own the forwarding and keep it
after we are gone).

ssh never asks for anything through qmpsh: it runs with BatchMode=yes in its
own session, except for the first `open` of the interactive shell, before
its UI owns the terminal, where ssh runs in the terminal's foreground (its
own process group) and may ask there for a passphrase or about a host key;
the terminal comes back to qmpsh once the tunnel is up.  When ssh will not
ask, it starts before the session's modules load (`SshTunnel.prestart`:
the login overlaps qmpsh's own start-up).  While the tunnel
lives, a new `open` reuses it (a restarted QEMU: no new login); once ssh has
exited, it starts a new one.  What went wrong is told from ssh's exit and
messages, and a remote PATH that cannot be reached is looked at with
``ls`` through ssh (`qmpsh.wire.sshtext`).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shlex
import shutil
import signal
import tempfile
from typing import TYPE_CHECKING

from qmpsh.core.errors import ConnectFailed, ConnectionLost, QmpshError
from qmpsh.core.exitcodes import Exit
from qmpsh.core.text import os_text
from qmpsh.wire.address import AddressError, UnixAddress
from qmpsh.wire.sshproc import SshProcess, own_terminal
from qmpsh.wire.sshtext import exit_text, lost_text, path_text
from qmpsh.wire.transport import Transport

# asyncio, socket and the unix transport are imported where they are used:
# a one-shot command starts ssh (`SshTunnel.prestart`) before loading them
if TYPE_CHECKING:
    import socket

    from qmpsh.core.settings import Settings

FORM = "ssh://[USER@]HOST[:PORT]/PATH/TO/qmp.sock"
_ADDRESS = re.compile(
    r"ssh://(?:(?P<user>[^@/]*)@)?(?P<host>\[[^\]/]*\]|[^:/]*)"
    r"(?::(?P<port>[^/]*))?(?P<path>/.*)?",
    re.DOTALL,
)
_PORT = re.compile(r"[0-9]{1,5}")
_BAD_CHAR = re.compile(r"[\x00-\x1f\x7f]")
#: how long an open waits for the greeting's first byte (or the end that
#: says the remote path could not be reached) before handing the socket on
PEEK_WAIT = 0.25
#: how long a tunnel that closed may take to tell whether ssh is exiting
#: (the link dropped) or lives on (QEMU's end closed): ssh exits within
#: milliseconds of its link, unless the machine is very busy
EXIT_WAIT = 1.5


class TunnelFailed(ConnectFailed):
    """Why `SshTunnel.open` failed, said already (`failed` passes it on)."""


class Interrupted(QmpshError):
    """Ctrl-C while ssh was asking on the terminal."""

    exit_code = Exit.INTERRUPTED


def parse(text: str) -> SshTunnel:
    """The transport for ``ssh://[USER@]HOST[:PORT]/PATH``, or `AddressError`."""
    match = _ADDRESS.fullmatch(text)
    if match is None or _BAD_CHAR.search(text):
        raise AddressError(f"cannot read {text!r}: expected {FORM}")
    user, host, port_text, path = match.group("user", "host", "port", "path")
    if user == "" or (user and (" " in user)):
        raise AddressError(f"bad user name in {text!r}: expected {FORM}")
    if host.startswith("["):
        host = host[1:-1]
    if not host or " " in host or "[" in host or "]" in host:
        raise AddressError(f"no host in {text!r}: expected {FORM}")
    port = None
    if port_text is not None:
        if not _PORT.fullmatch(port_text) or not 0 < int(port_text) < 65536:
            raise AddressError(
                f"bad port {port_text!r} in {text!r}: expected a number from 1 to 65535"
            )
        port = int(port_text)
    if path is None or path.rstrip("/") == "":
        raise AddressError(f"no socket path in {text!r}: expected {FORM}")
    if ":" in path:
        raise AddressError(
            f"the socket path in {text!r} has a ':', which ssh cannot forward "
            "to: give another path to it (a symbolic link)"
        )
    if len(path.encode()) > 107:
        raise AddressError(f"the socket path in {text!r} is too long for a unix socket")
    return SshTunnel(text, host, path, user=user, port=port)


class SshTunnel(Transport):
    """``ssh -N -L`` to a unix socket on *host*; see the module's docstring."""

    kind = "reached through SSH, which forwards bytes but not file descriptors"

    def __init__(
        self,
        text: str,
        host: str,
        path: str,
        user: str | None = None,
        port: int | None = None,
    ) -> None:
        self.text = text
        self.host = host
        self.path = path
        self.user = user
        self.port = port
        self.command = ["ssh"]
        #: the first open may let ssh ask on the terminal
        self.may_ask = False
        #: the interactive shell's (`configure`)
        self.interactive = False
        #: why ssh runs with BatchMode=yes: "script", "shell" (reconnecting);
        #: "" when it may ask (the shell's first open)
        self.batch = "script"
        self.connect_timeout: float | None = None
        self.proc: SshProcess | None = None
        self.dir = ""
        self.local = ""

    @property
    def name(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SshTunnel) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"SshTunnel({self.text!r})"

    def configure(self, settings: Settings, interactive: bool = False) -> None:
        text = settings.ssh_command
        try:
            command = shlex.split(text)
        except ValueError as err:
            raise AddressError(
                f"cannot split ssh_command ($QMPSH_SSH_COMMAND or the config "
                f"file) {text!r}: {str(err).lower()}"
            ) from None
        self.command = [os.path.expanduser(word) for word in command] or ["ssh"]
        self.may_ask = self.interactive = interactive
        self.connect_timeout = settings.connect_timeout

    def argv(self, options: list[str], command: tuple[str, ...] = ()) -> list[str]:
        """The ssh command line with *options*, the host and *command*."""
        argv = [*self.command, *options]
        if self.user:
            argv += ["-l", self.user]
        if self.port:
            argv += ["-p", str(self.port)]
        return [*argv, "--", self.host, *command]

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    # -- opening -----------------------------------------------------------

    def prestart(self) -> None:
        """Start ssh now, before the event loop, when it will not ask on
        the terminal: its login then overlaps the rest of qmpsh's start;
        `open` takes it on."""
        if not self.may_ask and not self.alive:
            with contextlib.suppress(QmpshError):  # open says it again
                self._spawn(None, self.connect_timeout)

    def _spawn(self, terminal: int | None, timeout: float | None) -> SshProcess:
        self._remove_dir()
        if terminal is not None:
            self.batch = ""
        else:
            self.batch = "shell" if self.interactive else "script"
        self.dir = tempfile.mkdtemp(prefix="qmpsh-ssh-")
        self.local = os.path.join(self.dir, "qmp.sock")
        options = ["-N", "-T", "-o", "ExitOnForwardFailure=yes"]
        options += ["-o", "StreamLocalBindUnlink=yes", "-o", "ControlMaster=no"]
        options += ["-o", "ControlPath=none", "-L", f"{self.local}:{self.path}"]
        if terminal is None:
            options += ["-o", "BatchMode=yes"]
        if timeout is not None:
            options += ["-o", f"ConnectTimeout={max(1, math.ceil(timeout))}"]
        try:
            self.proc = SshProcess(self.argv(options), terminal)
        except OSError as err:
            if terminal is not None:
                os.close(terminal)
            self._remove_dir()
            raise TunnelFailed(
                f"cannot reach {self}: cannot run {self.command[0]}: {os_text(err)} "
                "(install openssh-client, or set $QMPSH_SSH_COMMAND)"
            ) from None
        return self.proc

    async def open(self, timeout: float | None, agent: bool = False) -> socket.socket:
        import asyncio

        from qmpsh.wire.stream import open_socket

        loop = asyncio.get_running_loop()
        deadline = math.inf if timeout is None else loop.time() + timeout
        if not self.alive:
            await self.close()
            terminal = own_terminal() if self.may_ask else None
            self._spawn(terminal, timeout)
        self.may_ask = False  # the shell's UI owns the terminal from now on
        proc = self.proc
        assert proc is not None
        proc.watch()
        try:  # asking on the terminal takes what the user takes
            await self._wait_ready(None if proc.terminal is not None else timeout)
        finally:
            proc.hand_back()
        while True:
            left = max(deadline - loop.time(), 0.001)
            try:
                sock = await open_socket(UnixAddress(self.local), left, agent)
                break
            except ConnectFailed:
                # ssh binds before it listens; or it has just exited
                if not self.alive or loop.time() >= deadline:
                    raise await self._gone() from None
                await asyncio.sleep(0.005)
        first = await _peek(sock, min(PEEK_WAIT, left / 4))
        if first is False:  # closed at once: PATH cannot be reached (or ssh died)
            sock.close()
            if await self._exited(EXIT_WAIT):
                raise await self._gone()
            raise TunnelFailed(await self._diagnose(max(left, 3.0)))
        return sock

    async def _wait_ready(self, timeout: float | None) -> None:
        """Until ssh has made the local socket; `ConnectFailed` saying why
        not when it exits first or *timeout* passes."""
        import asyncio

        assert self.proc is not None
        loop = asyncio.get_running_loop()
        deadline = math.inf if timeout is None else loop.time() + timeout
        delay = 0.001
        while not os.path.exists(self.local):
            if self.proc.returncode is not None:
                raise await self._gone()
            if loop.time() >= deadline:
                await self.close()
                raise TunnelFailed(
                    f"cannot reach {self}: ssh had not logged in to {self.host} "
                    f"and made the tunnel after {timeout:g} s"
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.01)  # ssh says nothing when it is ready

    async def _exited(self, wait: float) -> bool:
        """Whether ssh has exited, or does within *wait* seconds."""
        return self.proc is not None and await self.proc.exited(wait)

    async def _gone(self) -> QmpshError:
        """The error for ssh having exited while opening."""
        assert self.proc is not None
        status, said = await self.proc.said()
        await self.close()
        if status == -signal.SIGINT and not self.batch:
            return Interrupted("interrupted")
        return TunnelFailed(exit_text(self.text, self.host, status, said, self.batch))

    async def _diagnose(self, timeout: float) -> str:
        """What the remote path is, asked with ``ls`` through ssh."""
        import asyncio

        command = ("ls", "-ldL", "--", shlex.quote(self.path))
        options = ["-T", "-o", "BatchMode=yes", "-o", "ControlMaster=no"]
        options += ["-o", "ControlPath=none"]
        listing = complaint = ""
        found = False
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv(options, command),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError:
            proc = None
        if proc is not None:
            try:
                out, err = await asyncio.wait_for(proc.communicate(), timeout)
                listing = out.decode(errors="replace").strip()
                complaint = err.decode(errors="replace")
                found = proc.returncode != 255
            except TimeoutError:
                proc.kill()
                await proc.wait()
        return path_text(self.text, self.host, self.path, listing, complaint, found)

    # -- failing and closing -----------------------------------------------

    async def failed(self, error: QmpshError) -> QmpshError:
        """ssh's own words when it exited: the link to the host dropped."""
        if self.proc is None or not isinstance(error, ConnectFailed | ConnectionLost):
            return error
        if isinstance(error, TunnelFailed | Interrupted):
            return error
        if not await self._exited(EXIT_WAIT):
            return error  # the tunnel is up: QEMU's end it was
        status, said = await self.proc.said()
        if isinstance(error, ConnectionLost):
            return ConnectionLost(lost_text(self.text, self.host, status, said))
        return ConnectFailed(exit_text(self.text, self.host, status, said, self.batch))

    async def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            await proc.stop()
        self._remove_dir()

    def _remove_dir(self) -> None:
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = ""


async def _peek(sock: socket.socket, wait: float) -> bool | None:
    """Whether *sock* has data (True), has been closed (False), or neither
    within *wait* seconds (None); reads nothing."""
    import asyncio
    import socket

    loop = asyncio.get_running_loop()
    readable: asyncio.Future[None] = loop.create_future()

    def ready() -> None:
        if not readable.done():
            readable.set_result(None)

    loop.add_reader(sock.fileno(), ready)
    try:
        await asyncio.wait_for(readable, wait)
    except TimeoutError:
        return None
    finally:
        loop.remove_reader(sock.fileno())
    try:
        return bool(sock.recv(1, socket.MSG_PEEK))
    except BlockingIOError:
        return None
    except OSError:
        return False
