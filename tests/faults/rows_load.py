"""Rows of the matrix: many clients at once, and a soak against a real QEMU."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from qmpsh.core.exitcodes import Exit
from tests.faults.driver import Batch
from tests.faults.matrix import Probe, row
from tests.faults.rows_input import qemu
from tests.procs import ROOT, Qemu

AREA = "load"
CLIENTS = 100
#: the harness's guard: no client may run longer than this (none hangs forever)
GUARD = 180.0


def start_clients(sock: Path, count: int, *args: str) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "qmpsh", "-c", "query-status", *args, str(sock)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            env=env,
        )
        for _ in range(count)
    ]


def outcomes(procs: list[subprocess.Popen[bytes]]) -> Counter[str]:
    """How each client ended: "answered" or "busy"; anything else fails."""
    deadline = time.monotonic() + GUARD
    seen: Counter[str] = Counter()
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
            stderr = err.decode()
            assert "Traceback" not in stderr, stderr
            if proc.returncode == Exit.OK:
                assert json.loads(out)["return"]["status"] == "running"
                assert stderr == ""
                seen["answered"] += 1
            else:
                assert proc.returncode == Exit.CONNECT_ERROR, (proc.returncode, stderr)
                assert stderr.count("\n") == 1 and "busy" in stderr, stderr
                seen["busy"] += 1
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return seen


@row("load-100", AREA, f"{CLIENTS} `qmpsh -c` started at once on one QEMU monitor")
def load_100(p: Probe) -> tuple[str, str]:
    with qemu(p) as vm:
        seen = outcomes(start_clients(vm.sock, CLIENTS))
        # QEMU still serves a client afterwards
        assert vm.qmp({"execute": "query-status"}, sock=vm.sock)[0]["return"]["running"]
    assert sum(seen.values()) == CLIENTS
    p.saw("")
    p.nothing_lost()
    return (
        "each one gets its answer, or past `--connect-timeout` says the monitor "
        "is busy; none hangs"
    ), "0 or 4"


BUSY = 20


@row(
    "load-busy",
    AREA,
    f"{BUSY} clients while another client holds the monitor (`--connect-timeout 1`)",
)
def load_busy(p: Probe) -> tuple[str, str]:
    with qemu(p) as vm, socket.socket(socket.AF_UNIX) as holder:
        holder.connect(str(vm.sock))
        assert holder.recv(1) == b"{"
        seen = outcomes(start_clients(vm.sock, BUSY, "--connect-timeout", "1"))
    assert seen == Counter(busy=BUSY)
    p.saw("")
    p.nothing_lost()
    return "every one exits with one line saying the monitor is busy", "4"


# -- the soak -------------------------------------------------------------------

CYCLE = ["stop", "cont", "query-status", "qom-list path=/machine", "query-commands"]


@dataclass
class Soak:
    cycles: int
    replies: int
    events: int
    rss_start_kib: int
    rss_end_kib: int
    rss_max_kib: int


def soak(vm: Qemu, log: Path, seconds: float) -> Soak:
    """Mixed commands and events through one batch qmpsh for *seconds*.

    Checks that every command got its reply in order and that the wire log
    holds every request, reply and event; returns the memory figures.
    """
    # --no-validate: the soak counts the session's own messages; loading the
    # schema (once, for the first line with arguments) would add its own
    batch = Batch(str(vm.sock), "--no-validate", "-l", str(log))
    samples: list[int] = []
    cycles = 0
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            batch.send(*CYCLE)
            for command in CYCLE:
                reply = json.loads(batch.read_line())
                assert "return" in reply, (command, reply)
            cycles += 1
            samples.append(batch.rss_kib())
        code, rest, err = batch.finish()
    finally:
        batch.close()
    assert code == 0 and rest == "" and err == "", (code, rest, err)
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    sent = [e["msg"] for e in entries if e["dir"] == "out"][1:]
    received = [e["msg"] for e in entries if e["dir"] == "in"][2:]
    answers = [m for m in received if "event" not in m]
    events = [m["event"] for m in received if "event" in m]
    assert len(sent) == len(answers) == cycles * len(CYCLE)
    assert events == ["STOP", "RESUME"] * cycles
    warm = samples[len(samples) // 4 :] or samples
    return Soak(
        cycles,
        len(answers),
        len(events),
        int(statistics.median(warm[: max(1, len(warm) // 4)])),
        int(statistics.median(warm[-max(1, len(warm) // 4) :])),
        max(samples),
    )


#: growth of the resident set allowed between the start and the end of a soak
RSS_SLACK_KIB = 4096
SHORT_SOAK = 20.0


@row("soak", AREA, f"a {SHORT_SOAK:g} s soak: mixed commands and events on one session")
def short_soak(p: Probe) -> tuple[str, str]:
    with qemu(p) as vm:
        figures = soak(vm, p.log, SHORT_SOAK)
    assert figures.cycles >= 10
    assert figures.rss_end_kib - figures.rss_start_kib < RSS_SLACK_KIB, figures
    p.saw("")
    p.nothing_lost()
    return (
        "every reply and event received and in the wire log; resident memory "
        f"flat (grew less than {RSS_SLACK_KIB // 1024} MiB)"
    ), "0"
