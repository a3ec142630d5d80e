#!/usr/bin/env python3
"""The shell's event path, by hand (never a test assertion)::

    .venv/bin/python bench/shell.py              # 5 runs
    .venv/bin/python bench/shell.py --runs 1     # a quick look

Events per second that the running shell takes in while it shows them (the
pane redrawn, or inline lines printed), in-process with prompt_toolkit's
pipe input and a dummy output: the cost of the event path, not of a
terminal.  The start-up time and typing during a flood, in a real terminal,
are cases of bench/run.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))


async def flood(mode: str, count: int) -> float:
    from prompt_toolkit.input import create_pipe_input

    from qmpsh.builtins.context import Context
    from qmpsh.cli.session import StreamConsole
    from qmpsh.core.settings import Settings
    from qmpsh.shell.app import build_repl
    from qmpsh.wire.connection import Connection
    from tests.replkit import Capture

    settings = Settings(color="never", history_import="", event_display=mode)
    ctx = Context(Connection(), settings, StreamConsole(), interactive=True)
    with create_pipe_input() as pipe:
        out = Capture()
        repl = build_repl(ctx, input=pipe, output=out)
        task = asyncio.ensure_future(repl.run())
        while not repl.app.is_running:
            await asyncio.sleep(0.01)
        start = time.perf_counter()
        for i in range(count):
            ctx.events.append({"event": "BENCH", "data": {"i": i}})
            if i % 100 == 99:
                await asyncio.sleep(0)  # let the UI run, as the reader would
        if mode == "inline":
            while f'"i":{count - 1}' not in "".join(out.chunks[-3:]):
                await asyncio.sleep(0.001)
        else:
            await asyncio.sleep(0)
            repl.app.invalidate()
            while repl.app.invalidated:
                await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - start
        repl.shell.quit()
        await task
    return count / elapsed


def bench_flood(runs: int, count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_STATE_HOME"] = tmp
        for mode in ("pane", "inline"):
            rates = [asyncio.run(flood(mode, count)) for _ in range(runs)]
            print(
                f"flood   {mode:10} {statistics.median(rates):9.0f} events/s"
                f"  ({count} events, median of {runs})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--events", type=int, default=20000)
    args = parser.parse_args()
    bench_flood(args.runs, args.events)


if __name__ == "__main__":
    main()
