"""The benchmark script keeps working (tiny sizes; its figures are not judged here)."""

from __future__ import annotations

import subprocess
import sys

from tests.procs import ROOT, need


def test_bench_quick_runs_and_prints_every_case() -> None:
    need("qemu-system-x86_64")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    table = done.stdout
    for case in (
        "batch:",
        "one-shot start-up",
        "one-shot peak memory",
        "pretty query-qmp-schema",
    ):
        assert case in table
    assert "qmpsh/raw" in table and "qmpsh/qmp-shell" in table


def test_bench_ssh_runs() -> None:
    need("sshd")
    need("socat")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ssh.py"), "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "one-shot query-status over ssh" in done.stdout


def test_bench_proxy_runs() -> None:
    need("qemu-system-x86_64")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "proxy.py"), "-n", "200", "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "proxy/direct (the faster direct):" in done.stdout
    assert "every reply checked" in done.stdout
