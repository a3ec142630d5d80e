"""Accept mode without QEMU: the clean-up of a stale socket file, and the
`Listen` transport with a fake QEMU that connects."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import stat
from pathlib import Path

import pytest

from qmpsh.core.errors import ConnectFailed
from qmpsh.wire import listen
from qmpsh.wire.address import TcpAddress, UnixAddress
from qmpsh.wire.connection import Connection
from qmpsh.wire.listen import Listen
from tests.procs import listening
from tests.unit.wire.qmpfake import serve_qmp


def stale_socket(tmp_path: Path) -> Path:
    path = tmp_path / "qmp.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))  # bound, never listening: connecting is refused
    return path


def test_stale_socket_is_removed(tmp_path: Path) -> None:
    path = stale_socket(tmp_path)
    listen.clear_stale_socket(str(path))
    assert not path.exists()


def test_stale_socket_that_cannot_be_removed_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = stale_socket(tmp_path)

    def refuse(target: str) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), target)

    monkeypatch.setattr(os, "unlink", refuse)  # the os module qmpsh.wire.listen uses
    with pytest.raises(ConnectFailed) as info:
        listen.clear_stale_socket(str(path))
    assert info.value.message == (
        f"cannot listen on {path}: cannot remove the stale socket there: "
        "permission denied"
    )


# -- the Listen transport, with a fake QEMU that connects --------------------


async def _qemu_connects(path: Path, greet: bool = True) -> None:
    """Connect to *path* once something listens there; then speak QMP."""
    for _ in range(500):
        if path.exists():
            break
        await asyncio.sleep(0.01)
    sock = socket.socket(socket.AF_UNIX)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, str(path))
    if greet:
        await serve_qmp(sock)
    else:
        await asyncio.sleep(5)  # connected, silent
        sock.close()


def test_listen_accepts_qemu_and_removes_its_socket(tmp_path: Path) -> None:
    path = tmp_path / "accept.sock"

    async def session() -> None:
        conn = Connection()
        qemu = asyncio.ensure_future(_qemu_connects(path))
        await conn.connect(Listen(UnixAddress(str(path)), announce=False), 5)
        assert conn.connected and conn.address == str(path)
        assert conn.transport is not None and conn.transport.fd_passing
        assert not listening(path)  # one connection: no longer listening
        reply = await conn.execute({"execute": "query-status"})
        assert reply["return"]["status"] == "running"
        await conn.close()
        await qemu
        assert not path.exists()

    asyncio.run(session())


@pytest.mark.parametrize("greet", [False, None])
def test_nothing_connected_is_one_line(tmp_path: Path, greet: bool | None) -> None:
    """Nobody came, or someone came and said nothing: as accept mode said."""
    path = tmp_path / "accept.sock"

    async def session() -> str:
        conn = Connection()
        qemu = None
        if greet is not None:
            qemu = asyncio.ensure_future(_qemu_connects(path, greet))
        try:
            with pytest.raises(ConnectFailed) as info:
                await conn.connect(Listen(UnixAddress(str(path))), 0.3)
            return info.value.message
        finally:
            await conn.close()
            if qemu is not None:
                qemu.cancel()

    assert asyncio.run(session()) == f"nothing connected to {path} within 0.3 s"
    assert not path.exists()


def test_listen_on_a_busy_tcp_port_is_one_line() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]

        async def session() -> str:
            conn = Connection()
            with pytest.raises(ConnectFailed) as info:
                await conn.connect(Listen(TcpAddress("127.0.0.1", port)), 1)
            return info.value.message

        message = asyncio.run(session())
    assert message == (
        f"cannot listen on 127.0.0.1:{port}: error while attempting to bind on "
        f"address ('127.0.0.1', {port}): address already in use"
    )


def test_the_socket_is_private_whatever_the_umask(tmp_path: Path) -> None:
    """umask 000 would make it 0777: anyone could connect and play QEMU."""
    path = tmp_path / "private.sock"
    old = os.umask(0)
    try:
        listener = Listen(UnixAddress(str(path)), announce=False)
        asyncio.run(listener.start())
        try:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        finally:
            asyncio.run(listener.close())
    finally:
        os.umask(old)
    assert os.umask(old) == old  # the umask is as it was


def test_a_directory_others_may_write_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)  # not sticky: anyone may replace the socket
    with pytest.raises(ConnectFailed) as caught:
        asyncio.run(Listen(UnixAddress(str(shared / "q.sock"))).start())
    assert caught.value.message == (
        f"cannot listen on {shared}/q.sock: its directory {shared} may be written "
        "by others (mode 0777, not sticky), who could replace the socket: use a "
        "private directory"
    )
    os.chmod(shared, 0o1777)  # sticky, as /tmp: fine
    listener = Listen(UnixAddress(str(shared / "q.sock")))
    asyncio.run(listener.start())
    asyncio.run(listener.close())
