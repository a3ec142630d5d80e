"""bench/through_libvirt.py keeps working (tiny sizes; its figures are not
judged here)."""

from __future__ import annotations

import subprocess
import sys

from tests.libvirtd import LibvirtDaemon
from tests.procs import ROOT


def test_the_libvirt_bench_runs(libvirtd: LibvirtDaemon) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "through_libvirt.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    for row in (
        "plain libvirt-python loop",
        "qmpsh libvirt:DOMAIN",
        "virsh qemu-monitor-command",
    ):
        assert f"| {row}" in done.stdout
    assert "qmpsh/plain" in done.stdout and "virsh/qmpsh" in done.stdout
