"""Fixtures that start real QEMU processes (killed at teardown)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.procs import Qemu


@pytest.fixture
def qemu(tmp_path: Path) -> Iterator[Qemu]:
    """``qemu-system-x86_64 -M none`` with two unix QMP sockets and a TCP one.

    qmpsh uses ``qemu.sock``; the tests use the second socket to look and
    poke independently of qmpsh.
    """
    vm = Qemu(tmp_path / "qemu", monitors=2, tcp=True)
    try:
        yield vm
    finally:
        vm.kill()


@pytest.fixture
def q35(tmp_path: Path) -> Iterator[Qemu]:
    """``qemu-system-x86_64 -M q35 -S`` (one CPU, stopped) with two QMP sockets."""
    vm = Qemu(tmp_path / "q35", machine=("-M", "q35", "-S"), monitors=2)
    try:
        yield vm
    finally:
        vm.kill()
