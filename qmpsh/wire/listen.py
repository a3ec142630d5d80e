"""Accept mode (``qmpsh --listen ADDRESS``): the `Listen` transport waits
for QEMU to connect to us.

QEMU started with ``-qmp unix:SOCK`` (no ``server=on``) connects to SOCK as
a client, as it does for qmp-shell-wrap; this lets qmpsh be ready before
QEMU starts, and see every event from the first one.  A stale unix socket
file (nothing listening) is replaced; one that something still listens on
is refused.  qmpsh accepts one connection and stops listening; the socket
file is removed when the session ends.

A unix socket is created with mode 0600 whatever the umask (only its owner
can connect: anyone else could pretend to be QEMU), and is refused in a
directory that others may write to without the sticky bit (they could put
their own socket in its place).  ``qmpsh wrap`` listens the same way
(`qmpsh.wire.launch`).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import stat

from qmpsh.core.errors import ConnectFailed, QmpshError
from qmpsh.core.text import os_text
from qmpsh.wire.address import Address, TcpAddress, UnixAddress
from qmpsh.wire.transport import NoGreeting, Transport


def clear_stale_socket(path: str) -> None:
    """Remove *path* if it is a unix socket nobody listens on; raise
    `ConnectFailed` if it is something else or still in use."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as err:  # a directory on the way that we may not search...
        raise ConnectFailed(f"cannot listen on {path}: {os_text(err)}") from None
    if not stat.S_ISSOCK(st.st_mode):
        raise ConnectFailed(f"cannot listen on {path}: it exists and is not a socket")
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(path)
        except OSError as err:
            if err.errno != errno.ECONNREFUSED:
                raise ConnectFailed(
                    f"cannot listen on {path}: {os_text(err)}"
                ) from None
        else:
            raise ConnectFailed(
                f"cannot listen on {path}: something is already listening there"
            )
    try:
        os.unlink(path)
    except OSError as err:
        raise ConnectFailed(
            f"cannot listen on {path}: cannot remove the stale socket there: "
            f"{os_text(err)}"
        ) from None


class Listen(Transport):
    """Listen on an address and accept one connection: QEMU's."""

    reopens = False  # QEMU connected once; it will not again
    may_be_agent = False  # nothing that dials out answers as a guest agent

    def __init__(self, address: Address, announce: bool = True) -> None:
        self.address = address
        #: tell (`note`) what we wait for
        self.announce = announce
        self.fd_passing = isinstance(address, UnixAddress)
        self.kind = "a unix socket" if self.fd_passing else "TCP"
        self._listening: list[socket.socket] = []
        self._created: str | None = None

    @property
    def name(self) -> str:
        return str(self.address)

    async def open(self, timeout: float | None, agent: bool = False) -> socket.socket:
        """Listen, say so, and wait up to *timeout* (None: for ever) for
        QEMU to connect."""
        await self.start()
        if self.announce:
            scheme = "unix" if isinstance(self.address, UnixAddress) else "tcp"
            self.note(
                f"waiting for QEMU to connect to {self.address} "
                f"(start it with -qmp {scheme}:{self.address})"
            )
        return await self.accept(timeout)

    async def start(self) -> None:
        """Bind and listen (replacing a stale socket file), or raise
        `ConnectFailed`."""
        await self.close()
        address = self.address
        try:
            if isinstance(address, UnixAddress):
                clear_stale_socket(address.path)
                self._listening = [_bind_unix(address.path)]
                self._created = address.path
            else:
                self._listening = await _bind_tcp(address)
        except OSError as err:
            raise ConnectFailed(f"cannot listen on {address}: {os_text(err)}") from None

    async def accept(self, timeout: float | None) -> socket.socket:
        """The first connection within *timeout* (None: no limit); then
        stop listening."""
        loop = asyncio.get_running_loop()
        waits = [asyncio.ensure_future(loop.sock_accept(s)) for s in self._listening]
        try:
            done, _ = await asyncio.wait(
                waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for wait in waits:
                wait.cancel()
            self._stop_listening()
        if not done:
            raise ConnectFailed(
                f"nothing connected to {self.address} within {timeout:g} s"
            )
        conn: socket.socket | None = None
        failure: OSError | None = None
        for wait in done:
            try:
                sock, _ = wait.result()
            except OSError as err:
                failure = err
                continue
            if conn is None:
                conn = sock
            else:  # came at the same moment on another address: not QEMU
                sock.close()
        if conn is None:
            assert failure is not None
            why = os_text(failure)
            raise ConnectFailed(f"cannot accept a connection on {self.address}: {why}")
        conn.setblocking(False)
        return conn

    async def failed(self, error: QmpshError) -> QmpshError:
        if isinstance(error, NoGreeting):  # said as in accept mode before
            return ConnectFailed(
                f"nothing connected to {self.address} within {error.seconds:g} s"
            )
        return error

    def _stop_listening(self) -> None:
        for sock in self._listening:
            sock.close()
        self._listening = []

    async def close(self) -> None:
        self._stop_listening()
        if self._created is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._created)
            self._created = None


def check_socket_dir(path: str) -> None:
    """Raise `ConnectFailed` when others may replace files in the directory
    of *path*: writable by group or others, without the sticky bit (as
    ``/tmp`` has), and not the user's own private one."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        st = os.stat(directory)
    except OSError as err:
        raise ConnectFailed(f"cannot listen on {path}: {os_text(err)}") from None
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o022 and not mode & stat.S_ISVTX:
        raise ConnectFailed(
            f"cannot listen on {path}: its directory {directory} may be written "
            f"by others (mode {mode:04o}, not sticky), who could replace the "
            "socket: use a private directory"
        )


def _bind_unix(path: str) -> socket.socket:
    return bind_unix(path)


def bind_unix(path: str, backlog: int = 1) -> socket.socket:
    """A unix socket listening at *path* (up to *backlog* connections
    waiting), mode 0600 whatever the umask (set while binding: the file is
    born private; nothing can connect before ``listen``).  Also the
    proxy's (`qmpsh.proxy.server`)."""
    check_socket_dir(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(path)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:  # asyncio's words, as qmpsh said before
            raise OSError(
                errno.EADDRINUSE, f"Address {path!r} is already in use"
            ) from None
        raise
    finally:
        os.umask(old)
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


async def _bind_tcp(address: TcpAddress) -> list[socket.socket]:
    """Every address *address*'s host has, bound and listening (as
    ``asyncio.start_server`` would, with its wording of a failure)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(
        address.host, address.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    socks: list[socket.socket] = []
    try:
        for family, kind, proto, _, sockaddr in dict.fromkeys(infos):
            try:
                sock = socket.socket(family, kind, proto)
            except OSError:  # a family this host does not have
                continue
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, True)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, True)
            try:
                sock.bind(sockaddr)
            except OSError as err:
                raise OSError(
                    err.errno,
                    f"error while attempting to bind on address {sockaddr!r}: "
                    f"{(err.strerror or '').lower()}",
                ) from None
            sock.listen(1)
            sock.setblocking(False)
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    return socks
