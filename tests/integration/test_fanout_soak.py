"""The fleet soak: fan-out over 20 QEMUs, one of them killed and started
again every few seconds, for 5 minutes.

Deselected by default (marked slow); run it with

    .venv/bin/python -m pytest -m slow tests/integration/test_fanout_soak.py

(``QMPSH_FLEET_SOAK_SECONDS`` changes the length, e.g. 30).  While a
loop runs ``qmpsh -c query-status -c query-name GLOB`` again and again,
a thread kills the victim (SIGKILL: its socket file stays, nothing
listens) and starts it again, in turn.  Every run must account for
every target exactly once (its two replies, in order, or one line on
stderr), only the victim may fail, a victim that was dead for the whole
run must be reported, and the exit code must be the worst; the peak RSS
of the last runs must be that of the first ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.integration.test_fanout import start_fleet
from tests.procs import ROOT, Qemu

#: runs may differ this much in peak RSS (the interpreter's own noise)
RSS_SLACK_KIB = 4096


class Victim:
    """Kills and restarts one QEMU in turn; says whether it was dead
    throughout a stretch of time (`generation` unchanged and dead)."""

    def __init__(self, vm: Qemu, every: float) -> None:
        self.vm = vm
        self.every = every
        self.generation = 0
        self.dead = False
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            with self.lock:
                if self.dead:
                    self.vm = Qemu(self.vm.dir, monitors=2)
                else:
                    self.vm.kill()
                self.dead = not self.dead
                self.generation += 1

    def state(self) -> tuple[int, bool]:
        with self.lock:
            return self.generation, self.dead


@pytest.mark.slow
@pytest.mark.timeout(0)
def test_fleet_soak(tmp_path: Path) -> None:
    seconds = float(os.environ.get("QMPSH_FLEET_SOAK_SECONDS", "300"))
    vms = start_fleet(tmp_path, 20)
    victim = Victim(vms[0], every=3.0)
    labels = sorted(str(vm.sock) for vm in vms)
    pattern = str(tmp_path / "vm*" / "qmp0.sock")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    peaks: list[int] = []
    runs = reported = 0
    victim.thread.start()
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            before = victim.state()
            proc = subprocess.Popen(
                [sys.executable, "-m", "qmpsh", "-c", "query-status", "-c", "query-name", pattern],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )  # fmt: skip
            assert proc.stdout is not None and proc.stderr is not None
            out = proc.stdout.read().decode()
            err = proc.stderr.read().decode()
            _, status, usage = os.wait4(proc.pid, 0)
            code = os.waitstatus_to_exitcode(status)
            proc.returncode = code
            after = victim.state()
            peaks.append(usage.ru_maxrss)
            runs += 1
            replies: dict[str, list[dict[str, object]]] = {}
            for line in out.splitlines():
                message = json.loads(line)
                replies.setdefault(str(message.pop("target")), []).append(message)
            failed = {
                label
                for label in labels
                for said in err.splitlines()
                if said.startswith(f"qmpsh: {label}: ")
            }
            assert failed <= {str(vms[0].sock)}, err
            for label in labels:
                got = replies.get(label, [])
                if label in failed:
                    assert len(got) <= 2, (label, got)  # lost midway: some came
                    continue
                assert len(got) == 2, (label, got, err)
                assert "status" in got[0]["return"], got  # type: ignore[operator]
                assert got[1] == {"return": {}}, got
            if before == after and before[1]:  # dead throughout the run
                assert failed == {str(vms[0].sock)}, err
            if failed:
                reported += 1
                assert code in (4, 5), (code, err)
            else:
                assert code == 0, (code, err)
    finally:
        victim.stop.set()
        victim.thread.join(timeout=60)
        victim.vm.kill()
        for vm in vms[1:]:
            vm.kill()
    quarter = max(1, len(peaks) // 4)
    first, last = max(peaks[:quarter]), max(peaks[-quarter:])
    print(
        f"fleet soak {seconds:g} s: {runs} runs, the victim reported in "
        f"{reported}; peak RSS first quarter {first} KiB, last {last} KiB"
    )
    assert reported > 0
    assert last - first < RSS_SLACK_KIB, (first, last)
