#!/usr/bin/env python3
"""The interactive shell's own costs, by hand (never a test assertion)::

    .venv/bin/python bench/shell.py              # both cases, 5 runs each
    .venv/bin/python bench/shell.py --runs 1     # a quick look

- ``prompt``: seconds from starting the program in a real terminal (a tmux
  pane, 100x30) until its prompt is drawn, for qmpsh and for qmp-shell from
  the ``qemu.qmp`` package, against the same QEMU; median and the ratio.
- ``flood``: events per second that the running shell takes in while it
  shows them (the pane redrawn, or inline lines printed), in-process with
  prompt_toolkit's pipe input and a dummy output: the cost of the event path,
  not of a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))


def start_qemu(directory: Path) -> tuple[subprocess.Popen[bytes], list[Path]]:
    directory.mkdir(parents=True, exist_ok=True)
    socks = [directory / f"qmp{i}.sock" for i in range(2)]
    argv = ["qemu-system-x86_64", "-M", "none", "-nodefaults", "-display", "none"]
    for sock in socks:
        argv += ["-qmp", f"unix:{sock},server=on,wait=off"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not all(s.exists() for s in socks):
        if time.monotonic() > deadline:
            sys.exit("bench: QEMU did not create its sockets")
        time.sleep(0.01)
    return proc, socks


def time_to_prompt(
    argv: list[str], prompt: str, env: dict[str, str], where: Path
) -> float:
    sock = where / f"tmux-{time.monotonic_ns()}.sock"  # one server per run
    tmux = ["tmux", "-S", str(sock), "-f", "/dev/null"]
    command = " ".join(["env", *(f"{k}={v}" for k, v in env.items()), *argv])
    start = time.perf_counter()
    subprocess.run(
        [*tmux, "new-session", "-d", "-x", "100", "-y", "30", command], check=True
    )
    try:
        while True:
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p"], capture_output=True, text=True
            ).stdout
            if prompt in screen:
                return time.perf_counter() - start
            if time.perf_counter() - start > 60:
                raise RuntimeError(f"no prompt from {argv[0]}:\n{screen}")
            time.sleep(0.005)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


def bench_prompt(runs: int) -> None:
    if shutil.which("tmux") is None:
        print("prompt: tmux is not installed; skipped")
        return
    bindir = Path(sys.executable).parent
    qmp_shell = str(bindir / "qmp-shell") if (bindir / "qmp-shell").exists() else None
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        proc, socks = start_qemu(home / "qemu")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "PYTHONPATH": str(ROOT),
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "TERM": "screen-256color",
        }
        try:
            tools = {
                "qmpsh": ([sys.executable, "-m", "qmpsh", str(socks[0])], "(qemu 7")
            }
            if qmp_shell is not None:
                tools["qmp-shell"] = ([qmp_shell, str(socks[0])], "(QEMU)")
            times: dict[str, list[float]] = {name: [] for name in tools}
            time_to_prompt(*tools["qmpsh"], env, home)  # first: config, schema cache
            for _ in range(runs):
                for name, (argv, prompt) in tools.items():
                    times[name].append(time_to_prompt(argv, prompt, env, home))
        finally:
            proc.kill()
            proc.wait()
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"prompt  {name:10} {value * 1000:7.0f} ms  (median of {runs})")
    if "qmp-shell" in medians:
        print(f"prompt  qmpsh/qmp-shell  {medians['qmpsh'] / medians['qmp-shell']:.2f}")


async def flood(mode: str, count: int) -> float:
    from prompt_toolkit.input import create_pipe_input

    from qmpsh.builtins import Context
    from qmpsh.client import Connection
    from qmpsh.repl import build_repl
    from qmpsh.session import StreamConsole
    from qmpsh.settings import Settings
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
    parser.add_argument("--only", choices=["prompt", "flood"])
    args = parser.parse_args()
    if args.only in (None, "prompt"):
        bench_prompt(args.runs)
    if args.only in (None, "flood"):
        bench_flood(args.runs, args.events)


if __name__ == "__main__":
    main()
