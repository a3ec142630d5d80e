"""Rows of the matrix: input without a bound (a line without end, signals
while reading it, a FIFO nobody writes), under an address-space limit so
that a regression fails instead of taking the machine down.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from qmpsh.core.exitcodes import Exit
from tests.faults.matrix import Probe, one_line, row
from tests.faults.rows_secrets import vnc_qemu
from tests.procs import ROOT, wait_for

# -- bounded input ---------------------------------------------------------------


def _limited() -> None:
    """In the child: at most 4 GiB of address space, so that a regression
    (a line read whole) fails instead of taking the machine down."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def _spawn(p: Probe, *args: str, stdin: int | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "qmpsh", *args],
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
        preexec_fn=_limited,
    )


@row(
    "input-dev-zero-file",
    "bad input",
    "`-f /dev/zero` (a line without end; under a 4 GiB address-space limit)",
)
def input_dev_zero_file(p: Probe) -> tuple[str, str]:
    with vnc_qemu(p) as vm:
        child = _spawn(p, "-c", "query-status", "-f", "/dev/zero", str(vm.sock))
        out, err = child.communicate(timeout=60)
    p.saw(out.decode(), err.decode())
    assert child.returncode == Exit.PARSE_ERROR
    line = one_line(err.decode())
    assert "longer than 16777216 bytes (--line-limit)" in line
    assert out.decode().startswith('{"return": {"status"')  # the line before ran
    p.nothing_lost()
    return line, str(child.returncode)


def read_so_far(pid: int) -> int:
    """Bytes the process *pid* has read (``rchar`` of /proc/PID/io)."""
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("rchar:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def has_open(pid: int, path: Path) -> bool:
    """Whether the process *pid* holds *path* open."""
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    return any(_target(fd) == str(path) for fd in fds)


def _target(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except OSError:
        return ""


def _signalled(
    p: Probe, sig: signal.Signals, *args: str, stdin: int | None, fifo: Path | None
) -> str:
    """Start qmpsh, wait until it reads (64 MiB of stdin) or holds *fifo*
    open, send *sig*: its one line on stderr."""
    with vnc_qemu(p) as vm:
        child = _spawn(p, *args, str(vm.sock), stdin=stdin)
        if fifo is None:
            wait_for(lambda: read_so_far(child.pid) > 64 << 20, 30, "reading", child)
        else:
            wait_for(lambda: has_open(child.pid, fifo), 30, "the FIFO open", child)
            time.sleep(0.2)  # now waiting for a writer (nothing to see)
        assert child.poll() is None, child.communicate()
        child.send_signal(sig)
        out, err = child.communicate(timeout=15)
    p.saw(out.decode(), err.decode())
    expected = {signal.SIGTERM: 143, signal.SIGINT: 130, signal.SIGHUP: 129}[sig]
    assert child.returncode == expected, err
    return one_line(err.decode())


@row(
    "input-dev-zero-signals",
    "bad input",
    "`< /dev/zero` with `--line-limit 1073741824`, then SIGTERM, SIGINT, SIGHUP",
    beside="input-dev-zero-file",
)
def input_dev_zero_signals(p: Probe) -> tuple[str, str]:
    said = []
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        fd = os.open("/dev/zero", os.O_RDONLY)
        try:
            said.append(
                _signalled(p, sig, "--line-limit", "1073741824", stdin=fd, fifo=None)
            )
        finally:
            os.close(fd)
    assert said == [
        "qmpsh: terminated (SIGTERM)",
        "qmpsh: interrupted",
        "qmpsh: hung up (SIGHUP)",
    ]
    p.nothing_lost()
    return "each ends it at once: " + ", ".join(f"`{s}`" for s in said), "143, 130, 129"


@row(
    "input-fifo-no-writer",
    "bad input",
    "`-f FIFO` with no writer, then SIGTERM; and a writer that comes later",
    beside="input-dev-zero-file",
)
def input_fifo_no_writer(p: Probe) -> tuple[str, str]:
    fifo = p.tmp / "fifo"
    os.mkfifo(fifo)
    said = _signalled(p, signal.SIGTERM, "-f", str(fifo), stdin=None, fifo=fifo)
    assert said == "qmpsh: terminated (SIGTERM)"
    with vnc_qemu(p) as vm:
        child = _spawn(p, "-f", str(fifo), str(vm.sock))
        with open(fifo, "w") as writer:  # blocks until qmpsh opens it
            writer.write("query-status\n")
        out, err = child.communicate(timeout=30)
    p.saw(out.decode(), err.decode())
    assert child.returncode == Exit.OK and '"status"' in out.decode()
    p.nothing_lost()
    return (
        f"waits (interruptible: `{said}`); a writer that comes later is read"
    ), "143, 0"
