"""Batch parsing speed: `qmpsh.lang.parser.parse` over many lines.

    .venv/bin/python bench/parse.py [--lines N] [--runs N] [LINE...]

Parses N lines (100k by default) of each of a few typical batch lines (or
the LINEs given): bare values, dotted keys, quoted values, bracketed
literals.  CPU seconds (``time.process_time``, so that other processes on
the machine count less), best and median of the runs, and microseconds per
line at the best.

Not part of the test suite: no pass/fail, just figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qmpsh.lang.parser import Request, parse  # noqa: E402

LINES = (
    "qom-get path=/machine property=type",
    "blockdev-add driver=qcow2 node-name=n file.driver=file file.filename=/x",
    "device_add driver=e1000 id=\"a name with spaces\" romfile=''",
    "x-foo list=[1, 2, 3] obj={\"a\": 1, 'b': True}  # c",
)


def seconds(line: str, count: int) -> float:
    lines = [line] * count
    start = time.process_time()
    for text in lines:
        parse(text)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000, help="Lines per run.")
    parser.add_argument("--runs", type=int, default=7, help="Runs per line.")
    parser.add_argument("line", nargs="*", help="Lines to parse instead.")
    args = parser.parse_args()
    for line in args.line or LINES:
        if not isinstance(parse(line), Request):
            sys.exit(f"not a request: {line!r}")
        runs = [seconds(line, args.lines) for _ in range(args.runs)]
        best = min(runs)
        print(
            f"{line[:50]!r}: best {best:.3f} s, median {statistics.median(runs):.3f} s "
            f"for {args.lines} lines ({best / args.lines * 1e6:.2f} us per line)"
        )


if __name__ == "__main__":
    main()
