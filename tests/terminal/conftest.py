"""Fixtures for the real-terminal tests: a tmux screen and a QEMU with two
monitors (the second one lets a test poke QEMU independently of qmpsh)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.procs import Qemu
from tests.terminal.tmux import Screen


@pytest.fixture
def screen(tmp_path: Path) -> Iterator[Screen]:
    term = Screen(tmp_path / "tmux")
    try:
        yield term
    finally:
        term.close()


@pytest.fixture
def qemu(tmp_path: Path) -> Iterator[Qemu]:
    vm = Qemu(tmp_path / "qemu", monitors=2)
    try:
        yield vm
    finally:
        vm.kill()
