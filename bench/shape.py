"""-o's renderers on the largest reply QEMU sends, ``query-qmp-schema``
(1051 objects of QEMU 7.2, 200 KB of JSON): each format's time as a ratio to
compact JSON (today's output, ``-o json``) measured in the same run.

    .venv/bin/python bench/shape.py [--runs N]

Target: every format within 10 times compact JSON (a table sizes every
cell twice; YAML and CSV are pure Python walks), and the JMESPath query
``[?meta-type=='command'].name`` within 2 times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qmpsh.core.query import compile_query
from qmpsh.core.shape import shaped
from tests.schemas import captured


def timed(run: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    value = captured()["schema"]
    query = compile_query("[?\"meta-type\"=='command'].name")
    base = timed(lambda: shaped(value, "json"), runs)
    print(
        f"{len(value)} objects; compact JSON: {base * 1000:.1f} ms (median of {runs})"
    )
    cases: dict[str, Callable[[], Any]] = {
        "pretty": lambda: shaped(value, "pretty"),
        "table": lambda: shaped(value, "table"),
        "table, 110 columns": lambda: shaped(value, "table", 110),
        "yaml": lambda: shaped(value, "yaml"),
        "csv": lambda: shaped(value, "csv"),
        "--query": lambda: query.apply(value),
    }
    for name, run in cases.items():
        took = timed(run, runs)
        print(f"{name:20} {took * 1000:8.1f} ms  {took / base:5.2f} x compact JSON")


if __name__ == "__main__":
    main()
