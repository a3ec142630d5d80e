"""Fixtures for every test: private XDG directories, a clean environment;
a qemu-storage-daemon with a backing chain, for the block-job tests; a
qemu-ga, for the guest-agent tests of the integration and terminal suites;
and an sshd, for ssh:// (one per run: its keys take a while to make)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.blockchain import Chain, StorageDaemon
from tests.procs import GuestAgent, agent_with_exec
from tests.sshd import Sshd


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point XDG config/state/cache at a temp dir; forget QMP_SOCKET (and
    LIBVIRT_DEFAULT_URI)."""
    home = tmp_path / "home"
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        path = home / sub
        path.mkdir(parents=True)
        monkeypatch.setenv(var, str(path))
    monkeypatch.delenv("QMP_SOCKET", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("QMPSH_SSH_COMMAND", raising=False)
    monkeypatch.delenv("LIBVIRT_DEFAULT_URI", raising=False)
    yield home


@pytest.fixture
def qsd(tmp_path: Path) -> Iterator[StorageDaemon]:
    """qemu-storage-daemon serving a fresh ``base <- mid <- top`` `Chain`."""
    daemon = StorageDaemon(tmp_path / "qsd", Chain(tmp_path / "img"))
    try:
        yield daemon
    finally:
        daemon.kill()


@pytest.fixture
def qga(tmp_path: Path) -> Iterator[GuestAgent]:
    """``qemu-ga`` on a unix socket, host-touching commands blocked."""
    agent = GuestAgent(tmp_path / "qga")
    try:
        yield agent
    finally:
        agent.kill()


@pytest.fixture
def qga_exec(tmp_path: Path) -> Iterator[GuestAgent]:
    """``qemu-ga`` that runs programs (on the host, as the test's user) and
    reads files: guest-exec, guest-exec-status, guest-file-open/read/close."""
    agent = agent_with_exec(tmp_path / "qga")
    try:
        yield agent
    finally:
        agent.kill()


@pytest.fixture(scope="session")
def sshd() -> Iterator[Sshd]:
    """An OpenSSH server on 127.0.0.1 (`tests.sshd`), reached as ``testhost``
    with ``QMPSH_SSH_COMMAND=sshd.command()``."""
    server = Sshd()
    try:
        yield server
    finally:
        server.stop()
