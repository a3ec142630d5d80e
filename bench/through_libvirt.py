#!/usr/bin/env python3
"""qmpsh's libvirt: transport against libvirt's own ways, in the same run.

Run by hand, as root (it starts a private libvirtd: tests/libvirtd.py)::

    .venv/bin/python bench/through_libvirt.py              # 1000 query-status, 5 rounds
    .venv/bin/python bench/through_libvirt.py --quick      # 50 commands, 1 round
    .venv/bin/python bench/through_libvirt.py --realtime   # at real-time priority

Each round times, one after the other, three programs sending COUNT
``query-status`` to the same running TCG domain:

- plain: a Python process importing libvirt-python and calling
  ``libvirt_qemu.qemuMonitorCommand`` in a loop (the floor: what libvirt
  costs);
- qmpsh: ``qmpsh libvirt:DOMAIN`` in batch mode, the commands on stdin;
- virsh: ``virsh qemu-monitor-command`` once per command, as scripts do
  today; VIRSH_CALLS of them are timed and the time scaled to COUNT.

Each is a whole process, start-up included.  Targets: qmpsh <= 1.2 x plain,
and virsh >= 10 x qmpsh.  The ratios are of the medians over the rounds;
the table also gives the median of each round's own ratio, which a busy
machine disturbs less (the three run within seconds of each other).  On a
machine shared with other work, libvirt's own latency (a call crosses
libvirtd's threads and QEMU's) moves with every process that gets a CPU
first: a call took 1.7-2.5 ms there when quiet and 4-8 ms under a load
average of 30.  ``--realtime`` gives this benchmark's processes the CPU
first, for figures that stand for a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

PLAIN = """\
import sys, libvirt, libvirt_qemu
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName(sys.argv[2])
for _ in range(int(sys.argv[3])):
    libvirt_qemu.qemuMonitorCommand(dom, '{"execute": "query-status"}', 0)
"""

QMPSH_TARGET = 1.2
VIRSH_TARGET = 10.0


def timed(argv: list[str], stdin: Path | None = None) -> float:
    """Wall time of one run of *argv* (which must succeed)."""
    with open(stdin or "/dev/null", "rb") as fin:
        start = time.perf_counter()
        done = subprocess.run(
            argv,
            stdin=fin,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=600,
        )
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(
            f"bench: {argv[0]} exited {done.returncode}: {done.stderr.decode()[-300:]}"
        )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="commands per program")
    parser.add_argument("--runs", type=int, default=5, help="rounds")
    parser.add_argument("--virsh-calls", type=int, default=50, help="virsh runs timed")
    parser.add_argument("--quick", action="store_true", help="50 commands, 1 round")
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="run everything (libvirtd, QEMU, the programs) at the lowest "
        "real-time priority, as `chrt -r 1` would: figures that hold on a "
        "machine busy with other work",
    )
    args = parser.parse_args()
    if args.realtime:  # inherited by every process started from here
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(1))
    if args.quick:
        args.count, args.runs, args.virsh_calls = 50, 1, 5

    from tests.libvirt_domain import Domain
    from tests.libvirtd import LibvirtDaemon

    work = Path(tempfile.mkdtemp(prefix="qmpsh-bench-lv-"))
    plain = work / "plain.py"
    plain.write_text(PLAIN)
    commands = work / "commands"
    commands.write_text("query-status\n" * args.count)
    with LibvirtDaemon() as daemon:
        domain = Domain(daemon)
        py = sys.executable
        programs: dict[str, Callable[[], float]] = {
            "plain": lambda: timed(
                [py, str(plain), daemon.uri, domain.name, str(args.count)]
            ),
            "qmpsh": lambda: timed(
                [
                    py,
                    "-m",
                    "qmpsh",
                    "--libvirt-uri",
                    daemon.uri,
                    f"libvirt:{domain.name}",
                ],
                stdin=commands,
            ),
            "virsh": lambda: (
                sum(
                    timed(
                        [
                            "virsh",
                            "-c",
                            daemon.uri,
                            "qemu-monitor-command",
                            domain.name,
                            '{"execute": "query-status"}',
                        ]
                    )
                    for _ in range(args.virsh_calls)
                )
                * args.count
                / args.virsh_calls
            ),
        }
        for run in programs.values():  # warm: caches, byte code, QEMU
            run()
        times: dict[str, list[float]] = {name: [] for name in programs}
        for _ in range(args.runs):
            for name, run in programs.items():
                times[name].append(run())
        domain.close()

    med = {name: statistics.median(values) for name, values in times.items()}
    per_round_plain = statistics.median(
        q / p for q, p in zip(times["qmpsh"], times["plain"], strict=True)
    )
    per_round_virsh = statistics.median(
        v / q for v, q in zip(times["virsh"], times["qmpsh"], strict=True)
    )
    ratio_plain = med["qmpsh"] / med["plain"]
    ratio_virsh = med["virsh"] / med["qmpsh"]
    print(
        f"{args.count} query-status to a running TCG domain, medians of {args.runs} "
        f"rounds (virsh: {args.virsh_calls} runs timed, scaled to {args.count})"
        + (", at real-time priority" if args.realtime else "")
        + "\n"
    )
    rows = [
        ("plain libvirt-python loop", med["plain"], "-", "-"),
        (
            "qmpsh libvirt:DOMAIN (batch)",
            med["qmpsh"],
            f"qmpsh/plain {ratio_plain:.2f} (per round {per_round_plain:.2f})",
            f"<= {QMPSH_TARGET} x plain: {'yes' if ratio_plain <= QMPSH_TARGET else 'NO'}",
        ),
        (
            "virsh qemu-monitor-command",
            med["virsh"],
            f"virsh/qmpsh {ratio_virsh:.1f} (per round {per_round_virsh:.1f})",
            f">= {VIRSH_TARGET:g} x qmpsh: {'yes' if ratio_virsh >= VIRSH_TARGET else 'NO'}",
        ),
    ]
    print("| program | time | ratio | target |")
    print("|---|---|---|---|")
    for name, seconds, ratio, target in rows:
        print(f"| {name} | {seconds:.3f} s | {ratio} | {target} |")
    for name, values in times.items():
        print(f"\n{name}: " + " ".join(f"{v:.3f}" for v in values), end="")
    print()


if __name__ == "__main__":
    main()
