#!/usr/bin/env python3
"""qmpsh benchmarks: medians and ratios against a raw socket client and qmp-shell.

Run by hand (not part of the test suite's pass/fail)::

    .venv/bin/python bench/run.py            # every case, 5 runs each
    .venv/bin/python bench/run.py --quick    # tiny sizes, 1 run (a smoke test)
    .venv/bin/python bench/run.py --only throughput startup manual

The script starts its own QEMU (``qemu-system-x86_64 -M none``) and measures
each tool in the same run, so the ratios hold even when the machine is busy
and absolute times drift.  ``qmp-shell`` comes from the ``qemu.qmp`` package
(a qmpsh dependency); the raw client is ``socat`` when installed, else the
small pipelined socket client in this file.  Targets are from issue 7, the
one-shot rows' from issue 16.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = BIN / name
    if found.exists():
        return str(found)
    path = shutil.which(name)
    if path is None:
        sys.exit(
            f"bench: {name} not found (pip install -e . installs qmpsh and qmp-shell)"
        )
    return path


# -- measuring ---------------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    max_rss_kib: int
    #: user + system CPU seconds (of GNU time and the command: the same
    #: small overhead on both sides of a ratio); steadier than wall time on
    #: a busy machine
    cpu: float = 0.0


#: the tools run as installed: with byte-code caches (an editable install of
#: qmpsh has none until written, and PYTHONDONTWRITEBYTECODE would stop that)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def precompile() -> None:
    import compileall

    import qmpsh

    compileall.compile_dir(Path(qmpsh.__file__).parent, quiet=1)


def run_timed(
    argv: Sequence[str],
    stdin: Path | None = None,
    stdout: Path | None = None,
    env: dict[str, str] | None = None,
) -> Sample:
    """Run a command; wall time and its own peak RSS.

    The peak comes from GNU time (Debian's ``time``) when installed: a child
    started straight from this process would count this process's own peak
    too (Linux keeps the larger of the two across vfork and exec), and this
    process holds the flood server's events.
    """
    peak_file = Path(tempfile.mkstemp(prefix="qmpsh-bench-rss-")[1])
    gnu_time = Path("/usr/bin/time")
    if gnu_time.exists():
        argv = [str(gnu_time), "-f", "%M", "-o", str(peak_file), *argv]
    with contextlib.ExitStack() as stack:
        stack.callback(peak_file.unlink, missing_ok=True)
        fin = stack.enter_context(open(stdin, "rb")) if stdin else subprocess.DEVNULL
        fout = stack.enter_context(open(stdout, "wb")) if stdout else subprocess.DEVNULL
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            stdin=fin,
            stdout=fout,
            stderr=subprocess.PIPE,
            env=ENV if env is None else env,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        assert proc.stderr is not None
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        peak = usage.ru_maxrss
        if gnu_time.exists():
            peak = int(peak_file.read_text().split()[-1])
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} exited {proc.returncode}: {err.strip()[:300]}")
    return Sample(elapsed, peak, usage.ru_utime + usage.ru_stime)


@dataclass
class Row:
    case: str
    unit: str
    values: dict[str, list[float]] = field(default_factory=dict)
    #: (tool compared against, limit of qmpsh/that) pairs
    targets: list[tuple[str, float]] = field(default_factory=list)
    note: str = ""

    def median(self, name: str) -> float | None:
        vals = self.values.get(name)
        return statistics.median(vals) if vals else None


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.3f} s" if value >= 0.1 else f"{value * 1000:.1f} ms"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    if unit == "ms":
        return f"{value:.2f} ms"
    return f"{value:.0f} {unit}"


def table(rows: list[Row]) -> str:
    head = [
        "case",
        "raw",
        "qmp-shell",
        "qmpsh",
        "qmpsh/raw",
        "qmpsh/qmp-shell",
        "target",
        "ok",
    ]
    lines = []
    for row in rows:
        q, r, s = row.median("qmpsh"), row.median("raw"), row.median("qmp-shell")
        ratio_raw = f"{q / r:.2f}" if q and r else "-"
        ratio_shell = f"{q / s:.2f}" if q and s else "-"
        targets, ok = [], True
        for other, limit in row.targets:
            base = row.median(other)
            if other == "abs":
                targets.append(f"<= {fmt(limit, row.unit)}")
                ok = ok and q is not None and q <= limit
            elif other == "min":
                targets.append(f">= {fmt(limit, row.unit)}")
                ok = ok and q is not None and q >= limit
            else:
                targets.append(f"<= {limit:g} x {other}")
                ok = ok and q is not None and base is not None and q / base <= limit
        lines.append(
            [
                row.case,
                fmt(r, row.unit),
                fmt(s, row.unit),
                fmt(q, row.unit),
                ratio_raw,
                ratio_shell,
                ", ".join(targets) or "-",
                ("yes" if ok else "NO") + (f" ({row.note})" if row.note else ""),
            ]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines, strict=False)]
    out = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=False)) + " |"
    ]
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in lines:
        out.append(
            "| "
            + " | ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=False))
            + " |"
        )
    return "\n".join(out)


# -- QEMU --------------------------------------------------------------------


class Qemu:
    def __init__(self, directory: Path) -> None:
        self.sock = directory / "qmp.sock"
        qemu = shutil.which("qemu-system-x86_64")
        if qemu is None:
            sys.exit("bench: qemu-system-x86_64 is not installed")
        self.proc = subprocess.Popen(
            [qemu, "-M", "none", "-nodefaults", "-display", "none",
             "-qmp", f"unix:{self.sock},server=on,wait=off"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while not self.sock.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                sys.exit("bench: QEMU did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


RAW_CLIENT = """
import json, socket, sys
sock = socket.socket(socket.AF_UNIX)
sock.connect(sys.argv[1])
data = sys.stdin.buffer.read()
f = sock.makefile("rb")
f.readline()
sock.sendall(b'{"execute":"qmp_capabilities"}\\n')
f.readline()
sock.sendall(data)
n = data.count(b"\\n")
out = sys.stdout.buffer
while n:
    line = f.readline()
    if b'"event"' not in line:
        n -= 1
    out.write(line)
"""


def raw_client(sock: Path, directory: Path) -> list[str]:
    """socat if installed (the issue's reference), else a small Python client."""
    socat = shutil.which("socat")
    if socat:
        return [socat, "-t", "30", "-", f"unix:{sock}"]
    script = directory / "raw_client.py"
    script.write_text(RAW_CLIENT)
    return [sys.executable, str(script), str(sock)]


# -- cases -------------------------------------------------------------------


def case_throughput(q: Qemu, tmp: Path, n: int, runs: int) -> Row:
    text = tmp / "status.txt"
    text.write_text("query-status\n" * n)
    wire = tmp / "status.json"
    socat = shutil.which("socat") is not None
    head = '{"execute":"qmp_capabilities"}\n' if socat else ""
    wire.write_text(head + '{"execute":"query-status"}\n' * n)
    raw = raw_client(q.sock, tmp)
    row = Row(f"batch: {n} query-status on stdin", "s", targets=[("raw", 1.2)])
    for _ in range(runs):
        row.values.setdefault("raw", []).append(run_timed(raw, wire).seconds)
        row.values.setdefault("qmp-shell", []).append(
            run_timed([tool("qmp-shell"), str(q.sock)], text).seconds
        )
        row.values.setdefault("qmpsh", []).append(
            run_timed([tool("qmpsh"), str(q.sock)], text).seconds
        )
    return row


def case_startup(q: Qemu, tmp: Path, runs: int) -> list[Row]:
    one = tmp / "one.txt"
    one.write_text("query-status\n")
    # issue 7 asked for parity (1.0); issue 16, with batch typing on by
    # default, for at most 1.05: the later, measured with typing on
    wall = Row("one-shot start-up: query-status", "s", targets=[("qmp-shell", 1.05)])
    rss = Row("one-shot peak memory", "MiB", targets=[("qmp-shell", 1.1)])
    cpu = Row("one-shot CPU: query-status", "s")
    for _ in range(runs):
        a = run_timed([tool("qmp-shell"), str(q.sock)], one)
        b = run_timed([tool("qmpsh"), "-c", "query-status", str(q.sock)])
        wall.values.setdefault("qmp-shell", []).append(a.seconds)
        wall.values.setdefault("qmpsh", []).append(b.seconds)
        rss.values.setdefault("qmp-shell", []).append(a.max_rss_kib / 1024)
        rss.values.setdefault("qmpsh", []).append(b.max_rss_kib / 1024)
        cpu.values.setdefault("qmp-shell", []).append(a.cpu)
        cpu.values.setdefault("qmpsh", []).append(b.cpu)
    return [wall, rss, cpu, *case_typed_oneshot(q, tmp, runs)]


def case_typed_oneshot(q: Qemu, tmp: Path, runs: int) -> list[Row]:
    """A one-shot line with arguments, typed and checked by the schema (the
    default): the schema comes from the on-disk cache (warmed by one run
    first), so this is the cost of a cached load, against qmp-shell and
    against qmpsh --no-validate."""
    line = "qom-get path=/machine property=type"
    one = tmp / "typed.txt"
    one.write_text(line + "\n")
    cache = tmp / "typed-cache"
    env = {**ENV, "XDG_CACHE_HOME": str(cache)}
    qmpsh_argv = [tool("qmpsh"), "-c", line, str(q.sock)]
    run_timed(qmpsh_argv, env=env)  # fetches and caches the schema
    wall = Row(f"one-shot typed: {line}", "s", targets=[("qmp-shell", 1.1)])
    rss = Row("one-shot typed peak memory", "MiB", targets=[("qmp-shell", 1.3)])
    plain = Row("one-shot --no-validate, same line", "s")
    # CPU seconds, typed against --no-validate in the "qmp-shell" column:
    # the cost of typing alone, steady on a busy machine
    cpu = Row("one-shot typed CPU, over --no-validate's", "s")
    for _ in range(runs):
        a = run_timed([tool("qmp-shell"), str(q.sock)], one)
        b = run_timed(qmpsh_argv, env=env)
        c = run_timed([*qmpsh_argv, "--no-validate"], env=env)
        wall.values.setdefault("qmp-shell", []).append(a.seconds)
        wall.values.setdefault("qmpsh", []).append(b.seconds)
        plain.values.setdefault("qmp-shell", []).append(a.seconds)
        plain.values.setdefault("qmpsh", []).append(c.seconds)
        rss.values.setdefault("qmp-shell", []).append(a.max_rss_kib / 1024)
        rss.values.setdefault("qmpsh", []).append(b.max_rss_kib / 1024)
        cpu.values.setdefault("qmp-shell", []).append(c.cpu)
        cpu.values.setdefault("qmpsh", []).append(b.cpu)
    return [wall, rss, plain, cpu]


def case_large_reply(q: Qemu, tmp: Path, runs: int) -> Row:
    schema = tmp / "schema.json"
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(q.sock))
        f = s.makefile("rwb")
        f.readline()
        for cmd in ("qmp_capabilities", "query-qmp-schema"):
            f.write(json.dumps({"execute": cmd}).encode() + b"\n")
            f.flush()
            reply = f.readline()
        f.close()
    schema.write_bytes(reply)

    size = len(reply) // 1024
    row = Row(f"pretty query-qmp-schema ({size} KiB)", "s", targets=[("raw", 1.5)])
    row.note = "raw = python -m json.tool on the same bytes"
    for _ in range(runs):
        row.values.setdefault("raw", []).append(
            run_timed([sys.executable, "-m", "json.tool"], schema).seconds
        )
        row.values.setdefault("qmpsh", []).append(
            run_timed(
                [tool("qmpsh"), "-p", "-c", "query-qmp-schema", str(q.sock)]
            ).seconds
        )
    return row


# -- the interactive shell, in a real terminal (tmux) -------------------------


class Tmux:
    """One tmux server with one 100x30 pane running *argv*."""

    def __init__(self, tmp: Path, argv: Sequence[str], env: dict[str, str]) -> None:
        self.sock = tmp / f"tmux-{time.monotonic_ns()}.sock"
        self.base = ["tmux", "-S", str(self.sock), "-f", "/dev/null"]
        command = " ".join(
            ["exec", "env", *(f"{k}={v}" for k, v in env.items()), *argv]
        )
        self.started = time.perf_counter()
        subprocess.run(
            [*self.base, "new-session", "-d", "-x", "100", "-y", "30", command],
            check=True,
        )

    def screen(self) -> str:
        return subprocess.run(
            [*self.base, "capture-pane", "-p"], capture_output=True, text=True
        ).stdout

    def wait(self, test: Callable[[str], bool], timeout: float = 60) -> float:
        """Seconds since the start when the screen first passes *test*."""
        deadline = time.perf_counter() + timeout
        while True:
            screen = self.screen()
            if test(screen):
                return time.perf_counter() - self.started
            if time.perf_counter() > deadline:
                raise RuntimeError(f"bench: screen never matched:\n{screen}")
            time.sleep(0.002)

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.base, "send-keys", *keys], check=True)

    def pid(self) -> int:
        out = subprocess.run(
            [*self.base, "list-panes", "-F", "#{pane_pid}"],
            capture_output=True,
            text=True,
        ).stdout
        return int(out.split()[0])

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)


def shell_env(tmp: Path) -> dict[str, str]:
    home = tmp / "home"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "TERM": "screen-256color",
    }
    return env


def case_interactive_start(q: Qemu, tmp: Path, runs: int) -> Row:
    """exec -> prompt drawn -> ``help query-status`` answered from the schema."""
    row = Row("shell: exec to prompt with schema (cache)", "s", targets=[("abs", 0.3)])
    row.note = "qmp-shell column: its plain prompt"
    env = shell_env(tmp)

    def ready_after(first: bool) -> float:
        pane = Tmux(tmp, [tool("qmpsh"), str(q.sock)], env)
        try:
            pane.wait(lambda s: "(qemu 7" in s)
            pane.keys("help query-status", "Enter")
            return pane.wait(lambda s: "out-of-band" in s)
        finally:
            pane.close()

    ready_after(True)  # writes the config file and fills the schema cache
    for _ in range(runs):
        row.values.setdefault("qmpsh", []).append(ready_after(False))
        pane = Tmux(tmp, [tool("qmp-shell"), str(q.sock)], env)
        try:
            row.values.setdefault("qmp-shell", []).append(
                pane.wait(lambda s: "(QEMU)" in s)
            )
        finally:
            pane.close()
    return row


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def case_flood(tmp: Path, count: int, runs: int) -> list[Row]:
    """A scripted server sends *count* events as fast as it can."""
    from bench.flood import FloodServer

    sock = tmp / "flood.sock"
    listen = Row(
        f"flood: qmpsh events, {count} events", "ev/s", targets=[("min", 20000)]
    )
    batch = Row(
        f"flood: batch --events, {count} events + reply",
        "ev/s",
        targets=[("min", 20000)],
    )
    memory = Row(
        f"flood: peak memory, {count * 15} events", "MiB", targets=[("raw", 1.1)]
    )
    out = tmp / "events.jsonl"
    with FloodServer(sock, count, auto=True) as _:
        for _ in range(runs):
            sample = run_timed(
                [tool("qmpsh"), "events", "-n", str(count), str(sock)], stdout=out
            )
            lines = out.read_bytes().count(b"\n")
            if lines != count:
                raise RuntimeError(f"bench: qmpsh events printed {lines} of {count}")
            listen.values.setdefault("qmpsh", []).append(count / sample.seconds)
    # Past a few hundred thousand events the memory is the socket's read
    # buffer (asyncio pauses reading at twice the read limit), not the
    # events: compare 5x and 15x the flood to see that it stays flat.
    for factor, column in ((5, "raw"), (15, "qmpsh")):
        with FloodServer(sock, count * factor, auto=True) as _:
            big = run_timed(
                [tool("qmpsh"), "events", "-n", str(count * factor), str(sock)],
                stdout=out,
            )
            memory.values.setdefault(column, []).append(big.max_rss_kib / 1024)
    memory.note = f"raw = the same with {count * 5} events"
    with FloodServer(sock, count) as _:
        for _ in range(runs):
            sample = run_timed(
                [tool("qmpsh"), "--events", "-c", "x-flood", str(sock)], stdout=out
            )
            lines = out.read_bytes().count(b"\n")
            if lines != count + 1:
                raise RuntimeError(f"bench: batch printed {lines} of {count + 1} lines")
            batch.values.setdefault("qmpsh", []).append(count / sample.seconds)
    return [listen, batch, memory]


def case_typing(tmp: Path, count: int) -> list[Row]:
    """Keystroke to screen while the shell takes in a flood of events."""
    from bench.flood import FloodServer

    sock = tmp / "typing.sock"
    typing = Row(
        "shell: keystroke to screen in a flood (max)", "s", targets=[("abs", 0.05)]
    )
    memory = Row("shell: memory growth over a 2nd flood", "MiB")
    env = shell_env(tmp)
    with FloodServer(sock, count) as server:
        pane = Tmux(tmp, [tool("qmpsh"), str(sock)], env)
        try:
            pane.wait(lambda s: "(qemu 7.2)" in s)
            pid = pane.pid()
            before = rss_kib(pid)
            server.flood_now()
            pane.wait(lambda s: "BENCH_FLOOD" in s)  # the flood is under way
            typed, during = "", 0

            for ch in "abcdefghijklmnop":
                typed += ch
                start = time.perf_counter()
                pane.keys(ch)

                def echoed(s: str, t: str = typed) -> bool:
                    return f"(qemu 7.2) {t}" in s

                pane.wait(echoed)
                typing.values.setdefault("qmpsh", []).append(
                    time.perf_counter() - start
                )
                during += server.busy()
            pane.wait(lambda s: f'"i":{count - 1}' in s)
            after_one = rss_kib(pid)
            # the same flood again: a ring and bounded buffers grow no more
            pane.keys("C-u")
            pane.wait(lambda s: "(qemu 7.2) a" not in s)
            server.flood_now()
            pane.keys("z")
            pane.wait(lambda s: "(qemu 7.2) z" in s)
            pane.wait(lambda s: f'"i":{count - 1}' in s and server.busy() == 0)
            memory.values["qmpsh"] = [(rss_kib(pid) - after_one) / 1024]
            memory.note = f"first flood: {(after_one - before) / 1024:.1f} MiB"

        finally:
            pane.close()
    vals = typing.values["qmpsh"]
    typing.values["qmpsh"] = [max(vals)]
    typing.note = f"median {statistics.median(vals) * 1000:.0f} ms; {during}/16 keys during the flood"
    return [typing, memory]


def case_completion() -> list[Row]:
    from bench.completion import cache_load_times, completion_times

    times, _ = completion_times(1)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    comp = Row(
        f"completion p99 ({len(times)} keystrokes)", "s", targets=[("abs", 0.005)]
    )
    comp.values["qmpsh"] = [p99]
    comp.note = f"median {statistics.median(times) * 1000:.3f} ms"
    loads, kib, _ = cache_load_times(20)
    cache = Row(f"schema from the disk cache ({kib} KiB)", "s", targets=[("abs", 0.05)])
    cache.values["qmpsh"] = [statistics.median(loads)]
    return [comp, cache]


def case_manual(runs: int) -> list[Row]:
    """QEMU's manual: the first ``help CMD`` (page read, entries parsed as
    shown) and one from the disk cache, over the schema-only help of the
    same process; completion with the manual's words in the menu."""
    from bench.manual import completion_with_manual, help_times, p99
    from qmpsh.schema.manual.find import ManualError

    try:
        helps = help_times(runs)
    except ManualError as error:
        row = Row("help with the manual", "s")
        row.note = f"not measured: {error.message}"
        return [row]
    first = Row("help block-commit: first, the manual read (added)", "s")
    first.targets = [("abs", 0.3)]
    first.values["qmpsh"] = [helps["page"] - helps["schema"]]
    first.note = f"schema alone {helps['schema'] * 1000:.1f} ms"
    cached = Row("help block-commit: the manual from the cache (added)", "s")
    cached.values["qmpsh"] = [helps["cache"] - helps["schema"]]
    without, words = completion_with_manual(1)
    comp = Row("completion p99 with the manual's words", "s", targets=[("abs", 0.005)])
    comp.values["qmpsh"] = [p99(words)]
    comp.note = (
        f"without: {p99(without) * 1000:.2f} ms, ratio {p99(words) / p99(without):.2f}"
    )
    return [first, cached, comp]


CASES: dict[str, Callable[..., Row | list[Row]]] = {}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run")
    parser.add_argument("--runs", type=int, default=5, help="runs per case (median)")
    parser.add_argument(
        "--n", type=int, default=10_000, help="requests in the throughput case"
    )
    parser.add_argument("--only", nargs="*", default=[], help="case names to run")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    n = 200 if args.quick else args.n
    wanted = set(args.only)
    rows: list[Row] = []
    precompile()

    with tempfile.TemporaryDirectory(prefix="qmpsh-bench-") as d:
        tmp = Path(d)
        q = Qemu(tmp)
        try:
            if not wanted or "throughput" in wanted:
                rows.append(case_throughput(q, tmp, n, runs))
            if not wanted or "startup" in wanted:
                rows.extend(case_startup(q, tmp, runs * 2))
            if not wanted or "large" in wanted:
                rows.append(case_large_reply(q, tmp, runs))
            if (not wanted or "shell" in wanted) and shutil.which("tmux"):
                rows.append(case_interactive_start(q, tmp, runs))
            if not wanted or "flood" in wanted:
                rows.extend(case_flood(tmp, 5000 if args.quick else 50_000, runs))
            if (not wanted or "typing" in wanted) and shutil.which("tmux"):
                rows.extend(case_typing(tmp, 20_000 if args.quick else 200_000))
            if not wanted or "completion" in wanted:
                rows.extend(case_completion())
            if not wanted or "manual" in wanted:
                rows.extend(case_manual(runs))

        finally:
            q.stop()
    print(
        f"medians of {runs} run(s); {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d')}"
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
