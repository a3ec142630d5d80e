"""The long soak: 10 minutes of mixed commands and events on one session.

Deselected by default (marked slow); run it with

    .venv/bin/python -m pytest -m slow tests/faults/test_soak.py

(``QMPSH_SOAK_SECONDS`` changes the length).  A 20 s version runs in the
normal suite as a row of the reliability matrix.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.faults.rows_load import RSS_SLACK_KIB, soak
from tests.procs import Qemu


@pytest.mark.slow
@pytest.mark.timeout(0)
def test_soak(tmp_path: Path) -> None:
    seconds = float(os.environ.get("QMPSH_SOAK_SECONDS", "600"))
    vm = Qemu(tmp_path / "qemu")
    try:
        figures = soak(vm, tmp_path / "wire.jsonl", seconds)
    finally:
        vm.kill()
    print(f"soak {seconds:g} s: {figures}")
    assert figures.rss_end_kib - figures.rss_start_kib < RSS_SLACK_KIB, figures
