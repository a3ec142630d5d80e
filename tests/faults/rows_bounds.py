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

from qmpsh.core.exitcodes import Exit
from tests.faults.matrix import Probe, one_line, row
from tests.faults.rows_secrets import vnc_qemu
from tests.procs import (
    ROOT,
)

# -- bounded input ---------------------------------------------------------------


def _limited() -> None:
    """In the child: at most 2 GiB of address space, so that a regression
    (a line read whole) fails instead of taking the machine down."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


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
    "`-f /dev/zero` (a line without end; under a 2 GiB address-space limit)",
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


def _signalled(p: Probe, sig: signal.Signals, *args: str, stdin: int | None) -> str:
    """Start qmpsh, let it read for a moment, send *sig*: its stderr."""
    with vnc_qemu(p) as vm:
        child = _spawn(p, *args, str(vm.sock), stdin=stdin)
        time.sleep(1)  # reading (a fixed wait: nothing to see while it reads)
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
            said.append(_signalled(p, sig, "--line-limit", "1073741824", stdin=fd))
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
    said = _signalled(p, signal.SIGTERM, "-f", str(fifo), stdin=None)
    assert said == "qmpsh: terminated (SIGTERM)"
    with vnc_qemu(p) as vm:
        child = _spawn(p, "-f", str(fifo), str(vm.sock))
        time.sleep(0.5)
        with open(fifo, "w") as writer:  # blocks until qmpsh reads: it waits
            writer.write("query-status\n")
        out, err = child.communicate(timeout=30)
    p.saw(out.decode(), err.decode())
    assert child.returncode == Exit.OK and '"status"' in out.decode()
    p.nothing_lost()
    return (
        f"waits (interruptible: `{said}`); a writer that comes later is read"
    ), "143, 0"
