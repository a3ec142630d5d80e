"""What variables and aliases cost a batch line, as ratios to plain parsing.

    .venv/bin/python bench/variables.py [--lines N] [--runs N]

For each of a few lines: `qmpsh.lang.parser.parse` alone (the baseline,
measured in the same run), then what batch mode does with a line since
variables and aliases exist (the line's parts found by
`qmpsh.lang.anatomy.anatomy`, `qmpsh.lang.bound.prepare` with an alias
table, then `qmpsh.lang.bound.parse_bound` with bound variables).  A line
without ``$``, ``NAME =`` or an alias should cost about what it did (ratio
near 1); one with references pays for tokenizing once more and the
substitution.  CPU seconds (``time.process_time``), best of the runs.

Not part of the test suite: no pass/fail, just figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qmpsh.lang.aliases import Alias  # noqa: E402
from qmpsh.lang.anatomy import anatomy  # noqa: E402
from qmpsh.lang.bound import parse_bound, prepare  # noqa: E402
from qmpsh.lang.parser import parse  # noqa: E402
from qmpsh.lang.variables import Variables  # noqa: E402

#: (the line with variables or an alias, the same request written plainly)
LINES = (
    ("qom-get path=/machine property=type", "qom-get path=/machine property=type"),
    (
        "blockdev-add driver=qcow2 node-name=n file.driver=file file.filename=/x",
        "blockdev-add driver=qcow2 node-name=n file.driver=file file.filename=/x",
    ),
    ("guest-file-read handle=$h count=4096", "guest-file-read handle=5 count=4096"),
    ("h = guest-file-open path=/etc/hostname", "guest-file-open path=/etc/hostname"),
    ("qom-get path=${j[0].path} property=type", "qom-get path=/machine property=type"),
    ("mtype /machine", "qom-get path=/machine property=type"),
)

ALIASES = {"mtype": Alias("mtype", "qom-get path=$1 property=type")}


def best(run: Callable[[], object], count: int, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        for _ in range(count):
            run()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=20_000, help="Lines per run.")
    parser.add_argument("--runs", type=int, default=5, help="Runs per line.")
    args = parser.parse_args()
    variables = Variables()
    variables.bind("h", 5)
    variables.bind("j", [{"path": "/machine"}])
    for line, plain in LINES:

        def bound(line: str = line) -> object:
            prepared = prepare(anatomy(line, targets=False), ALIASES)
            return parse_bound(prepared.text, None, variables)

        base = best(lambda plain=plain: parse(plain), args.lines, args.runs)  # type: ignore[misc]
        took = best(bound, args.lines, args.runs)
        print(
            f"{line[:45]!r:48} {took / base:5.2f}x parse alone "
            f"({took / args.lines * 1e6:.1f} vs {base / args.lines * 1e6:.1f} us)"
        )


if __name__ == "__main__":
    main()
