"""QEMU's manual in help and completion: what it costs, against baselines
measured in the same run.

    .venv/bin/python bench/manual.py [--runs N]

- first help: a fresh ``python`` process that finds, reads and indexes the
  installed ``qemu-qmp-ref(7)`` and renders ``help block-commit`` (the lazy
  path: only the entries shown are parsed), against the same process
  rendering it from the schema alone.  Target: the difference under 300 ms.
- help from the disk cache: the same, the parsed manual read from the cache.
- the whole page parsed at once (what the shell does in the background, in
  slices), and the cache file's size and load time.
- completion per keystroke with the manual's words in the menu, against
  the same keystrokes without them, measured in pairs (bench/completion.py's
  sweep): p99 and the ratio.
  Target: p99 under 5 ms, as without.

Figures, not pass/fail.  The page is the installed one (nothing of it is
kept in this repository).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROBE = """
import time, sys
t0 = time.perf_counter()
from qmpsh.builtins import helptext
from qmpsh.schema.cache import ManualCache
from qmpsh.schema.manual.service import open_manual
from tests import schemas
schema = schemas.system()
t1 = time.perf_counter()
manual = None
if {with_manual}:
    cache = ManualCache() if {cached} else None
    manual = open_manual("qemu", cache=cache)
lines = helptext.command_help(schema, "block-commit", None, 80, manual)
t2 = time.perf_counter()
print(t2 - t1, len(lines))
"""


def probe(with_manual: bool, cached: bool, env: dict[str, str]) -> float:
    """Seconds from the schema in hand to ``help block-commit``'s lines, in a
    fresh process (nothing of the manual in memory)."""
    code = PROBE.format(with_manual=with_manual, cached=cached)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    return float(done.stdout.split()[0])


def help_times(runs: int) -> dict[str, float]:
    """Median seconds: schema alone, manual from the page, from the cache."""
    import os

    from qmpsh.schema.cache import ManualCache
    from qmpsh.schema.manual.service import open_manual

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_CACHE_HOME": tmp, "PYTHONPATH": str(ROOT)}
        manual = open_manual("qemu")
        cache = ManualCache(Path(tmp) / "qmpsh" / "manual")
        cache.store(Path(manual.source), manual.to_cache())
        out: dict[str, list[float]] = {"schema": [], "page": [], "cache": []}
        for _ in range(runs):
            out["schema"].append(probe(False, False, env))
            out["page"].append(probe(True, False, env))
            out["cache"].append(probe(True, True, env))
    return {k: statistics.median(v) for k, v in out.items()}


def whole_page(runs: int) -> tuple[float, float, int]:
    """Median seconds to parse the whole page, to load the cache file; its KiB."""
    import json

    from qmpsh.schema.manual.find import locate, read_page
    from qmpsh.schema.manual.parse import parse_reference
    from qmpsh.schema.manual.view import Manual

    text = read_page(locate("qemu"))
    parses, loads = [], []
    data = b""
    for _ in range(runs):
        start = time.perf_counter()
        reference = parse_reference(text, "qemu-qmp-ref")
        parses.append(time.perf_counter() - start)
        data = json.dumps(Manual.from_reference(reference).to_cache()).encode()
        start = time.perf_counter()
        Manual.from_cache(json.loads(data))
        loads.append(time.perf_counter() - start)
    return statistics.median(parses), statistics.median(loads), len(data) // 1024


def completion_with_manual(rounds: int) -> tuple[list[float], list[float]]:
    """Sorted seconds per keystroke without and with the manual's words,
    measured in pairs (the same keystroke one way, then the other), so that
    the machine's load weighs on both alike."""
    from prompt_toolkit.completion import CompleteEvent

    from bench.completion import documents, make_completer
    from qmpsh.schema.manual.service import open_manual

    manual = open_manual("qemu")
    while not manual.build_some(1.0):
        pass
    plain, worded = make_completer(), make_completer(manual)
    docs, _ = documents()
    event = CompleteEvent(completion_requested=True)
    without: list[float] = []
    with_words: list[float] = []
    for _ in range(rounds):
        for document in docs:
            for completer, times in ((plain, without), (worded, with_words)):
                start = time.perf_counter()
                for _item in completer.get_completions(document, event):
                    pass
                times.append(time.perf_counter() - start)
    return sorted(without), sorted(with_words)


def p99(values: list[float]) -> float:
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="Runs per figure.")
    args = parser.parse_args()
    helps = help_times(args.runs)
    extra = helps["page"] - helps["schema"]
    print(
        f"help block-commit: schema alone {helps['schema'] * 1000:.1f} ms, "
        f"first help (page read, lazy) {helps['page'] * 1000:.1f} ms "
        f"(+{extra * 1000:.1f} ms, target < 300 ms), "
        f"from the cache {helps['cache'] * 1000:.1f} ms "
        f"(+{(helps['cache'] - helps['schema']) * 1000:.1f} ms)"
    )
    parse, load, kib = whole_page(args.runs)
    print(
        f"whole page parsed at once: {parse * 1000:.0f} ms; "
        f"cache file {kib} KiB, loaded in {load * 1000:.1f} ms"
    )
    without, words = completion_with_manual(1)
    print(
        f"completion over {len(words)} keystrokes: p99 {p99(without) * 1000:.3f} ms "
        f"without the manual, {p99(words) * 1000:.3f} ms with its words "
        f"(ratio {p99(words) / p99(without):.2f}; target p99 < 5 ms)"
    )


if __name__ == "__main__":
    main()
