"""bench/fleet.py keeps working (5 VMs, one run; its figures are not judged here)."""

from __future__ import annotations

import subprocess
import sys

from tests.procs import ROOT, need


def test_the_fleet_bench_runs() -> None:
    need("qemu-system-x86_64")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "fleet.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    for row in (
        "| query-status, one VM |",
        "| query-status, 5 VMs (fan-out) |",
        "| shell loop: qmp-shell once per VM (5) |",
        "| wall: 5 VMs / one |",
        "| wall: qmp-shell loop / fan-out (5 VMs) |",
        "| peak RSS: 5 VMs / one |",
        "| peak RSS, typed line: 5 VMs / one |",
    ):
        assert row in done.stdout, done.stdout
