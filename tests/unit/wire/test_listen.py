"""Accept mode's clean-up of a stale socket file, without QEMU."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

import pytest

from qmpsh.core.errors import ConnectFailed
from qmpsh.wire import listen


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
