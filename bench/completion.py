"""Completion latency per keystroke, and how long the schema takes to load.

    .venv/bin/python bench/completion.py [--live] [--rounds N]

- completion: every QEMU-documented request (tests/data/qapi-examples.jsonl)
  rendered to shorthand, completed at every cursor position against the
  full captured schema of qemu-system-x86_64 7.2, as prompt_toolkit asks
  for it (``get_completions`` with a real ``Document``): median, p90, p99
  and the worst time per keystroke.  Target: p99 under 5 ms.
- cache load: reading the cached schema file and building the model, as a
  second start does.  Target: under 50 ms.
- with ``--live``: a real ``qemu-system-x86_64 -M none``: the first load
  (query-commands + query-qmp-schema + writing the cache) and a second
  connection's load from the cache (query-commands only).

Not part of the test suite: no pass/fail, just figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from prompt_toolkit.completion import CompleteEvent  # noqa: E402
from prompt_toolkit.document import Document  # noqa: E402

from qmpsh.builtins import registry as builtins  # noqa: E402
from qmpsh.lang.unparse import to_shorthand  # noqa: E402
from qmpsh.schema.cache import SchemaCache  # noqa: E402
from qmpsh.schema.manual.view import Manual  # noqa: E402
from qmpsh.shell.completion import QmpCompleter  # noqa: E402
from qmpsh.shell.live_values import LiveValues  # noqa: E402
from tests import corpus, schemas  # noqa: E402


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, int(len(sorted_values) * fraction))
    return sorted_values[index]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


async def _no_server(message: dict[str, object]) -> dict[str, object]:
    return {"return": []}


def make_completer(manual: Manual | None = None) -> QmpCompleter:
    """The completer over the captured schema, with live values at hand;
    with *manual* (complete), the menu's meta text has its words."""
    schema = schemas.system()
    live = LiveValues(_no_server, ttl=1e9)
    live.put(("block",), [(f"node{i}", "qcow2") for i in range(50)])
    live.put(("jobs",), [("job0", "stream running")])
    return QmpCompleter(
        lambda: schema, live=live, builtins=builtins.load_all(), manual=lambda: manual
    )


def documents() -> tuple[list[Document], int]:
    """Every cursor position of every corpus request in shorthand; the
    number of requests."""
    texts = [to_shorthand(r) for r in corpus.requests()]
    return [Document(t, c) for t in texts for c in range(len(t) + 1)], len(texts)


def completion_times(
    rounds: int, manual: Manual | None = None
) -> tuple[list[float], int]:
    """Seconds per completion at every cursor position of every corpus
    request in shorthand, sorted; and the number of requests.  With
    *manual*, as `make_completer` has it (bench/manual.py)."""
    completer = make_completer(manual)
    docs, requests = documents()
    event = CompleteEvent(completion_requested=True)
    times: list[float] = []
    for _ in range(rounds):
        for document in docs:
            start = time.perf_counter()
            for _item in completer.get_completions(document, event):
                pass
            times.append(time.perf_counter() - start)
    times.sort()
    return times, requests


def bench_completion(rounds: int) -> None:
    times, requests = completion_times(rounds)
    print(
        f"completion: {len(times)} keystrokes over {requests} requests: "
        f"median {ms(statistics.median(times))}, p90 {ms(percentile(times, 0.9))}, "
        f"p99 {ms(percentile(times, 0.99))}, worst {ms(times[-1])} "
        "(target: p99 < 5 ms)"
    )


def cache_load_times(rounds: int) -> tuple[list[float], int, int]:
    """Seconds to load the schema from the disk cache, sorted; file KiB;
    number of commands."""
    data = schemas.captured()
    with tempfile.TemporaryDirectory() as tmp:
        cache = SchemaCache(Path(tmp))
        path = cache.store("bench", "digest", data["schema"], data["greeting"])
        assert path is not None
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            schema = cache.load(path)
            times.append(time.perf_counter() - start)
            assert schema is not None
            commands = len(schema.commands)
        size = path.stat().st_size
    times.sort()
    return times, size // 1024, commands


def bench_cache_load(rounds: int) -> None:
    times, kib, commands = cache_load_times(rounds)
    print(
        f"cache load: {kib} KiB file, {commands} commands: "
        f"median {ms(statistics.median(times))}, worst {ms(times[-1])} "
        "(target: < 50 ms)"
    )


def bench_live() -> None:
    from qmpsh.schema.service import SchemaService
    from qmpsh.wire.connection import Connection
    from qmpsh.wire.stream import UnixSocket

    with tempfile.TemporaryDirectory() as tmp:
        sock = Path(tmp) / "qmp.sock"
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
        qemu = subprocess.Popen(
            [
                "qemu-system-x86_64",
                "-M",
                "none",
                "-nodefaults",
                "-display",
                "none",
                "-qmp",
                f"unix:{sock},server=on,wait=off",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while not sock.exists():
                time.sleep(0.01)

            async def load() -> tuple[float, str]:
                conn = Connection()
                await conn.connect(UnixSocket(str(sock)))
                try:
                    service = SchemaService(conn)
                    start = time.perf_counter()
                    await service.load()
                    return time.perf_counter() - start, service.origin
                finally:
                    await conn.close()

            first, origin1 = asyncio.run(load())
            second, origin2 = asyncio.run(load())
        finally:
            qemu.kill()
            qemu.wait()
    print(f"live QEMU: first load {ms(first)} (from {origin1}), ", end="")
    print(f"next connection {ms(second)} (from {origin2})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="Sweeps over the corpus.")
    parser.add_argument(
        "--live", action="store_true", help="Also load from a real QEMU."
    )
    args = parser.parse_args()
    bench_cache_load(20)
    bench_completion(args.rounds)
    if args.live:
        bench_live()


if __name__ == "__main__":
    main()
