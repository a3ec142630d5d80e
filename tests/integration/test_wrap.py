"""``qmpsh wrap``: launch QEMU, talk to it, stop it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qmpsh.exitcodes import Exit
from tests.procs import ROOT, need, qmpsh


@pytest.fixture(autouse=True)
def _qemu_installed() -> None:
    need("qemu-system-x86_64")


def _wrap_dirs() -> set[str]:
    import tempfile

    return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("qmpsh-wrap-")}


def test_default_machine() -> None:
    before = _wrap_dirs()
    done = qmpsh("wrap", "-r", "-c", "qom-get path=/machine property=type")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == "none-machine"
    assert _wrap_dirs() == before  # the socket's temp dir is gone


def test_custom_command_line_and_stdin() -> None:
    done = qmpsh(
        "wrap",
        "--",
        "qemu-system-x86_64",
        "-M",
        "q35",
        "-S",
        "-nodefaults",
        "-display",
        "none",
        input="query-status\n",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["return"]["status"] == "prelaunch"


def test_qemu_exits_early() -> None:
    start = time.monotonic()
    done = qmpsh("wrap", "-c", "query-status", "--", "-M", "no-such-machine")
    assert done.returncode == Exit.LAUNCH_ERROR
    assert (
        "QEMU exited with status 1" in done.stderr
        and "unsupported machine type" in done.stderr
    )
    assert done.stderr.count("\n") == 1
    assert time.monotonic() - start < 10


def test_qemu_missing() -> None:
    done = qmpsh("wrap", "-c", "query-status", "--", "/nonexistent/qemu")
    assert done.returncode == Exit.LAUNCH_ERROR
    assert "not found" in done.stderr and done.stderr.count("\n") == 1


def test_extra_options_join_the_default_line() -> None:
    done = qmpsh(
        "wrap",
        "-r",
        "-c",
        "qom-get path=/machine property=type",
        "--",
        "-M",
        "q35",
        "-S",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout).startswith("pc-q35")


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def test_qemu_stopped_after_the_session() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "qmpsh", "wrap"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"query-status\n")
    proc.stdin.flush()
    assert b"running" in proc.stdout.readline()  # QEMU is up and answering
    children = _children(proc.pid)
    assert len(children) == 1
    cmdline = Path(f"/proc/{children[0]}/cmdline").read_bytes()
    assert b"qemu-system-x86_64" in cmdline and b"qmpsh-wrap-" in cmdline
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0
    with pytest.raises(ProcessLookupError):
        os.kill(children[0], 0)
