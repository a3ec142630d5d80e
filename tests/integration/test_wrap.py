"""``qmpsh wrap``: launch QEMU, talk to it, stop it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qmpsh.core.exitcodes import Exit
from tests.procs import ROOT, WrappedQemu, children, need, qmpsh, wait_for


@pytest.fixture(autouse=True)
def _qemu_installed() -> None:
    need("qemu-system-x86_64")


QMPSH_WRAP = (sys.executable, "-m", "qmpsh", "wrap")


def _answering_wrap() -> subprocess.Popen[bytes]:
    """``qmpsh wrap`` reading commands from a pipe, once QEMU has answered
    a first one (so QEMU is up)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        list(QMPSH_WRAP),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"query-status\n")
    proc.stdin.flush()
    assert b"running" in proc.stdout.readline()
    return proc


def test_default_machine(tmp_path: Path) -> None:
    # a temp dir of its own: other runs may make and remove theirs meanwhile
    private = tmp_path / "tmp"
    private.mkdir()
    done = qmpsh(
        "wrap",
        "-r",
        "-c",
        "qom-get path=/machine property=type",
        env={"TMPDIR": str(private)},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == "none-machine"
    assert list(private.iterdir()) == []  # the socket's temp dir is gone


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


def test_qemu_stopped_after_the_session() -> None:
    proc = _answering_wrap()
    [qemu] = children(proc.pid)
    cmdline = Path(f"/proc/{qemu}/cmdline").read_bytes()
    assert b"qemu-system-x86_64" in cmdline and b"qmpsh-wrap-" in cmdline
    assert proc.stdin is not None
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0
    with pytest.raises(ProcessLookupError):
        os.kill(qemu, 0)


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [
        (signal.SIGTERM, 128 + signal.SIGTERM, "qmpsh: terminated (SIGTERM)"),
        (signal.SIGHUP, 128 + signal.SIGHUP, "qmpsh: hung up (SIGHUP)"),
        (signal.SIGINT, Exit.INTERRUPTED, "qmpsh: interrupted"),
    ],
)
def test_a_signal_stops_qemu_cleanly(signum: int, code: int, said: str) -> None:
    """Killed while reading commands, qmpsh stops QEMU as at the end of its
    input (SIGTERM, waited for) and removes the socket's directory."""
    proc = _answering_wrap()
    qemu = WrappedQemu(proc.pid)
    try:
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == code, err
        assert err.decode() == said + "\n"
        assert qemu.stopped_by_qmpsh(), qemu.said()
        assert not qemu.dir.exists()
    finally:
        qemu.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigterm_while_qemu_starts(tmp_path: Path) -> None:
    """Before QEMU has connected, the signal stops the launch the same way;
    more signals while QEMU is shutting down do not cut that short.

    The "QEMU" is a shell that never connects, says when it is asked to
    quit, and takes until the test lets it go."""
    go = tmp_path / "go"
    stand_in = (
        'trap \'echo stopping >&2; while [ ! -e "$0" ]; do sleep 0.01; done; '
        "echo stopped >&2; exit 0' TERM; "
        "echo ready >&2; while :; do sleep 0.01; done"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [*QMPSH_WRAP, "-c", "query-status", "--", "sh", "-c", stand_in, str(go)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    qemu: WrappedQemu | None = None
    try:
        qemu = wrapped = WrappedQemu(proc.pid)
        wait_for(lambda: "ready" in wrapped.said(), what="the stand-in", proc=proc)
        proc.send_signal(signal.SIGTERM)
        wait_for(lambda: "stopping" in wrapped.said(), what="SIGTERM", proc=proc)
        proc.send_signal(signal.SIGTERM)
        proc.send_signal(signal.SIGHUP)
        go.touch()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == Exit.TERMINATED, err
        assert (out, err) == (b"", b"qmpsh: terminated (SIGTERM)\n")
        assert qemu.said() == "ready\nstopping\nstopped\n"
        assert not qemu.dir.exists()
    finally:
        go.touch()
        if qemu is not None:
            qemu.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigkill_still_takes_qemu_along() -> None:
    """The last resort: qmpsh killed outright, QEMU gets SIGKILL too
    (PR_SET_PDEATHSIG); only then does the directory stay."""
    proc = _answering_wrap()
    qemu = WrappedQemu(proc.pid)
    try:
        proc.kill()
        proc.wait(timeout=30)
        wait_for(lambda: not running(qemu.pid), what="QEMU to die")
        assert qemu.said() == ""  # no clean shutdown: it was killed
    finally:
        qemu.close()
        shutil.rmtree(qemu.dir, ignore_errors=True)


def running(pid: int) -> bool:
    """Whether *pid* exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_an_ignored_hangup_stays_ignored() -> None:
    """Started with SIGHUP ignored (``nohup``), qmpsh carries on."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        QMPSH_WRAP,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(b"query-status\n")
        proc.stdin.flush()
        assert b"running" in proc.stdout.readline()
        proc.send_signal(signal.SIGHUP)
        proc.stdin.write(b"query-name\n")  # answered: still there
        proc.stdin.flush()
        assert proc.stdout.readline() == b'{"return": {}}\n'
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
