"""qmpsh.wire.launch without starting QEMU: the private directory's lifetime."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest

from qmpsh.wire.launch import LaunchFailed, Qemu


def test_nothing_is_made_before_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The directory comes with `open`, under the session's signal handlers:
    a qmpsh stopped before that leaves nothing behind."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    qemu = Qemu(["true"])
    assert list(tmp.iterdir()) == []
    asyncio.run(qemu.close())
    assert list(tmp.iterdir()) == []


def test_no_directory_for_the_socket_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))

    async def launch() -> None:
        await Qemu(["true"]).open(30)

    with pytest.raises(LaunchFailed) as failed:
        asyncio.run(launch())
    assert failed.value.message == (
        "cannot make a directory for the socket: No such file or directory"
    )
