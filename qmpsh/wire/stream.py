"""The transports that connect to a server's socket: `UnixSocket` and `TcpSocket`.

They read the ADDRESSes without a scheme (a path, ``HOST:PORT``,
``[IPv6]:PORT``) and those with ``unix:`` or ``tcp:`` (`parse`, their row of
`qmpsh.wire.transport.SCHEMES`).  qmpsh makes the connected socket itself
(and hands it to ``qemu.qmp``) so that a missing socket, a refusal, a busy
monitor and a timeout each get their own one-line message before any QMP
is spoken.
"""

from __future__ import annotations

import asyncio
import errno
import math
import os
import socket
import stat
from typing import Any

from qmpsh.core.errors import ConnectFailed
from qmpsh.core.text import os_text
from qmpsh.wire.address import Address, TcpAddress, UnixAddress, parse_address
from qmpsh.wire.transport import Transport


def parse(text: str) -> UnixSocket | TcpSocket:
    """The transport for an ADDRESS without a scheme, or with ``unix:`` or
    ``tcp:``; `qmpsh.wire.address.AddressError` when it is none of those."""
    address = parse_address(text)
    if isinstance(address, UnixAddress):
        return UnixSocket(address.path)
    return TcpSocket(address.host, address.port)


class UnixSocket(Transport):
    """Connect to a unix socket: QEMU's ``-qmp unix:PATH,server=on``, or a
    guest agent's (qemu-ga's own, or the chardev of QEMU's virtio-serial
    port).  Descriptors can be passed through it."""

    fd_passing = True
    kind = "a unix socket"

    def __init__(self, path: str) -> None:
        self.address = UnixAddress(path)

    @property
    def name(self) -> str:
        return str(self.address)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnixSocket) and other.address == self.address

    def __hash__(self) -> int:
        return hash(self.address)

    def __repr__(self) -> str:
        return f"UnixSocket({self.address.path!r})"

    async def open(self, timeout: float | None, agent: bool = False) -> socket.socket:
        return await open_socket(self.address, _limit(timeout), agent)


class TcpSocket(Transport):
    """Connect to ``HOST:PORT``: QEMU's ``-qmp tcp:HOST:PORT,server=on``."""

    kind = "TCP"

    def __init__(self, host: str, port: int) -> None:
        self.address = TcpAddress(host, port)

    @property
    def name(self) -> str:
        return str(self.address)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TcpSocket) and other.address == self.address

    def __hash__(self) -> int:
        return hash(self.address)

    def __repr__(self) -> str:
        return f"TcpSocket({self.address.host!r}, {self.address.port})"

    async def open(self, timeout: float | None, agent: bool = False) -> socket.socket:
        return await open_socket(self.address, _limit(timeout), agent)


def _limit(timeout: float | None) -> float:
    return math.inf if timeout is None else timeout


def no_socket_text(path: str, agent: bool = False) -> str:
    """Why there is nothing at *path*, with the option that would make the
    socket: QEMU's -qmp, or for a guest agent (*agent*) qemu-ga's own or
    the chardev of QEMU's virtio-serial port."""
    if agent:
        return (
            f"no socket at {path} (is qemu-ga running with -m unix-listen -p "
            f"{path}, or QEMU with -chardev socket,path={path},server=on,wait=off "
            "for the guest agent's virtio-serial port?)"
        )
    return (
        f"no socket at {path} (is QEMU running with "
        f"-qmp unix:{path},server=on,wait=off?)"
    )


async def open_socket(
    address: Address, timeout: float, agent: bool = False
) -> socket.socket:
    """A connected, non-blocking socket, or `ConnectFailed` saying why not;
    *agent*: a guest agent is expected (-N), which the messages name."""
    loop = asyncio.get_running_loop()
    if isinstance(address, UnixAddress):
        path = address.path
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise ConnectFailed(no_socket_text(path, agent)) from None
        except OSError as err:
            raise ConnectFailed(f"cannot reach {path}: {os_text(err)}") from None
        if not stat.S_ISSOCK(st.st_mode):
            raise ConnectFailed(f"{path} exists but is not a socket")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        await _connect_unix(loop, sock, address, timeout, agent)
        return sock
    assert isinstance(address, TcpAddress)
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(address.host, address.port, type=socket.SOCK_STREAM),
            timeout,
        )
    except (socket.gaierror, TimeoutError):
        raise ConnectFailed(f"cannot resolve host {address.host!r}") from None
    last: ConnectFailed | None = None
    for family, kind, proto, _, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            await _connect_sock(loop, sock, sockaddr, address, timeout, agent)
        except ConnectFailed as err:
            last = err
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise last or ConnectFailed(f"cannot resolve host {address.host!r}")


async def _connect_sock(
    loop: asyncio.AbstractEventLoop,
    sock: socket.socket,
    target: Any,
    address: Address,
    timeout: float,
    agent: bool,
) -> None:
    try:
        await asyncio.wait_for(loop.sock_connect(sock, target), timeout)
    except TimeoutError:
        sock.close()
        raise ConnectFailed(
            f"timed out connecting to {address} after {timeout:g} s"
        ) from None
    except OSError as err:
        sock.close()
        raise _connect_error(err, address, agent) from None


def _connect_error(err: OSError, address: Address, agent: bool) -> ConnectFailed:
    if err.errno == errno.ECONNREFUSED:
        if isinstance(address, UnixAddress):
            who = "qemu-ga or QEMU" if agent else "QEMU"
            return ConnectFailed(
                f"nothing is listening on {address} ({who} has exited and "
                "left its socket file behind?)"
            )
        return ConnectFailed(f"connection refused by {address}")
    return ConnectFailed(f"cannot connect to {address}: {os_text(err)}")


async def _connect_unix(
    loop: asyncio.AbstractEventLoop,
    sock: socket.socket,
    address: UnixAddress,
    timeout: float,
    agent: bool,
) -> None:
    """Connect a non-blocking unix socket, waiting while the server is busy.

    QEMU serves one monitor client at a time and leaves the others in its
    listen queue; when that queue is full, connect(2) on a unix socket fails
    with EAGAIN at once (it does not wait as TCP does), so retry until the
    timeout instead of reporting the monitor as gone.
    """
    deadline = loop.time() + timeout
    delay = 0.005
    while True:
        try:
            sock.connect(address.path)
            return
        except BlockingIOError:
            if loop.time() + delay >= deadline:
                sock.close()
                busy = (
                    "the guest agent is busy (qemu-ga serves one client at a time"
                    if agent
                    else "the monitor is busy (QEMU serves one QMP client at a time"
                )
                raise ConnectFailed(
                    f"timed out connecting to {address} after {timeout:g} s: "
                    f"{busy} and its queue of waiting clients stayed full)"
                ) from None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)
        except OSError as err:
            sock.close()
            raise _connect_error(err, address, agent) from None
