#!/usr/bin/env python3
"""Fan-out over a fleet: one qmpsh over N QEMU processes at once.

    .venv/bin/python bench/fleet.py [--vms N] [--runs R] [--quick]

Starts N ``qemu-system-x86_64 -M none -nodefaults -display none`` (each
with ``-qmp unix:...,server=on,wait=off``; started at once, then waited
for), and measures, in the same run:

- ``qmpsh -c query-status GLOB`` over all N against the same on one of
  them: wall time (target: at most 4x) and the qmpsh process's peak RSS
  (GNU time's %M; target: at most 2x);
- the same over all N against a shell loop running ``qmp-shell`` once per
  socket (what operators do today; target: at least 20x faster), and a
  loop of ``qmpsh`` one-shots for comparison;
- a typed line (``qom-get path=/machine property=type``: batch typing
  loads the schema from the on-disk cache) over N against one: peak RSS,
  which shows whether N targets of one build share one schema;
- ``--parallel`` 8 and N against the default (32), for the default's sake.

Medians of R runs (the loops: one run).  Figures vary with the machine;
the ratios are what is judged (the README's Performance section holds a
real run's table).  ``--quick`` (5 VMs, one run) is the smoke test's.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.run import ENV, Sample, precompile, run_timed, tool  # noqa: E402

QEMU = "qemu-system-x86_64"


def start_vms(directory: Path, n: int) -> list[subprocess.Popen[bytes]]:
    """N QEMU processes, started at once; returns when every socket listens."""
    procs = []
    for i in range(n):
        sock = directory / f"vm{i:03d}.sock"
        argv = [QEMU, "-M", "none", "-nodefaults", "-display", "none", "-qmp"]
        argv.append(f"unix:{sock},server=on,wait=off")
        procs.append(
            subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    deadline = time.monotonic() + 120
    for i, proc in enumerate(procs):
        sock = directory / f"vm{i:03d}.sock"
        while not sock.exists():
            if proc.poll() is not None:
                raise RuntimeError(f"{QEMU} exited {proc.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{sock}: no socket after 120 s")
            time.sleep(0.02)
    return procs


def stop_vms(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        with contextlib.suppress(OSError):
            proc.kill()
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)


def qmpsh(*args: str) -> list[str]:
    return [sys.executable, "-m", "qmpsh", *args]


def median_of(runs: int, argv: Sequence[str], env: dict[str, str]) -> Sample:
    samples = [run_timed(argv, env=env) for _ in range(runs)]
    return Sample(
        statistics.median(s.seconds for s in samples),
        int(statistics.median(s.max_rss_kib for s in samples)),
    )


def loop(
    argv_head: Sequence[str], socks: Sequence[Path], stdin: Path, env: dict[str, str]
) -> float:
    """One process per socket, in turn, as a shell loop runs them."""
    script = 'cmd="$1"; shift; for s in "$@"; do $cmd "$s" < "$IN" > /dev/null || exit 1; done'
    head = " ".join(argv_head)
    return run_timed(
        ["sh", "-c", script, "sh", head, *map(str, socks)],
        env={**env, "IN": str(stdin)},
    ).seconds


def fmt_s(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="5 VMs, one run")
    args = parser.parse_args(argv)
    n, runs = (5, 1) if args.quick else (args.vms, args.runs)
    precompile()
    qmp_shell = tool("qmp-shell")
    rows: list[tuple[str, str, str]] = []
    verdicts: list[str] = []
    with tempfile.TemporaryDirectory(prefix="qmpsh-fleet-") as tmp:
        base = Path(tmp)
        for sub in ("config", "cache", "state"):
            (base / sub).mkdir()
        env = {
            **ENV,
            "PYTHONPATH": str(ROOT),
            "XDG_CONFIG_HOME": str(base / "config"),
            "XDG_CACHE_HOME": str(base / "cache"),
            "XDG_STATE_HOME": str(base / "state"),
        }
        vms = base / "vms"
        vms.mkdir()
        started = time.monotonic()
        procs = start_vms(vms, n)
        boot = time.monotonic() - started
        try:
            socks = sorted(vms.glob("vm*.sock"))
            glob = str(vms / "vm*.sock")
            one = str(socks[0])
            status = base / "status.txt"
            status.write_text("query-status\n")
            typed = "qom-get path=/machine property=type"
            # warm: byte code, the schema cache (one build for all)
            run_timed(qmpsh("-c", typed, one), env=env)

            single = median_of(runs, qmpsh("-c", "query-status", one), env)
            fleet = median_of(runs, qmpsh("-c", "query-status", glob), env)
            rows.append(
                (
                    "query-status, one VM",
                    fmt_s(single.seconds),
                    f"{single.max_rss_kib / 1024:.1f} MiB",
                )
            )
            rows.append(
                (
                    f"query-status, {n} VMs (fan-out)",
                    fmt_s(fleet.seconds),
                    f"{fleet.max_rss_kib / 1024:.1f} MiB",
                )
            )
            for parallel in (8, n):
                if parallel == 32:
                    continue
                other = median_of(
                    runs,
                    qmpsh("--parallel", str(parallel), "-c", "query-status", glob),
                    env,
                )
                rows.append(
                    (
                        f"query-status, {n} VMs, --parallel {parallel}",
                        fmt_s(other.seconds),
                        f"{other.max_rss_kib / 1024:.1f} MiB",
                    )
                )
            t1 = median_of(runs, qmpsh("-c", typed, one), env)
            tn = median_of(runs, qmpsh("-c", typed, glob), env)
            rows.append(
                (
                    f"{typed}, one VM",
                    fmt_s(t1.seconds),
                    f"{t1.max_rss_kib / 1024:.1f} MiB",
                )
            )
            rows.append(
                (
                    f"{typed}, {n} VMs",
                    fmt_s(tn.seconds),
                    f"{tn.max_rss_kib / 1024:.1f} MiB",
                )
            )
            shell_loop = loop([qmp_shell], socks, status, env)
            qmpsh_loop = loop([sys.executable, "-m", "qmpsh"], socks, status, env)
            rows.append(
                (f"shell loop: qmp-shell once per VM ({n})", fmt_s(shell_loop), "-")
            )
            rows.append(
                (f"shell loop: qmpsh once per VM ({n})", fmt_s(qmpsh_loop), "-")
            )
        finally:
            stop_vms(procs)

    def verdict(name: str, value: float, limit: float, at_most: bool) -> None:
        ok = value <= limit if at_most else value >= limit
        sign = "<=" if at_most else ">="
        verdicts.append(
            f"| {name} | {value:.2f} | {sign} {limit:g} | {'ok' if ok else 'MISSED'} |"
        )

    verdict(f"wall: {n} VMs / one", fleet.seconds / single.seconds, 4, True)
    verdict(
        f"wall: qmp-shell loop / fan-out ({n} VMs)",
        shell_loop / fleet.seconds,
        20,
        False,
    )
    verdict(f"peak RSS: {n} VMs / one", fleet.max_rss_kib / single.max_rss_kib, 2, True)
    verdict(
        f"peak RSS, typed line: {n} VMs / one", tn.max_rss_kib / t1.max_rss_kib, 2, True
    )
    print(
        f"{n} VMs started at once in {boot:.1f} s; medians of {runs} run(s) (loops: one); "
        f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d')}"
    )
    print()
    print("| case | wall | peak RSS |")
    print("|---|---|---|")
    for case, wall, rss in rows:
        print(f"| {case} | {wall} | {rss} |")
    print()
    print("| ratio | value | target | |")
    print("|---|---|---|---|")
    for line in verdicts:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
