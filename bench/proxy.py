#!/usr/bin/env python3
"""The shared monitor's cost: 4 clients through ``qmpsh proxy`` against one
client straight to QEMU.

Run by hand (not part of the test suite's pass/fail)::

    .venv/bin/python bench/proxy.py              # 4 x 2,500 vs 10,000, 3 runs
    .venv/bin/python bench/proxy.py -n 200 --runs 1   # a smoke test

It starts its own ``qemu-system-x86_64 -M none`` and ``qmpsh proxy``.  The
baseline: one client pipelining N ``query-status`` straight to QEMU's
monitor, all written at once, and again with at most 256 in flight (as
the proxy lets each client have); the ratio is against the faster.  Through the proxy: 4 clients at once, each pipelining N/4
``query-status``, its ids ``[client, i]`` (the proxy puts its own on the
way to QEMU): a reply that reached the wrong client, or came in the wrong
order, shows by its id, and one that is no query-status reply by its
content.  (That two clients' equal ids do not collide is a test:
tests/integration/test_proxy.py.)  Each client is
the same small asyncio socket client (one write of all requests, then the
replies read), run in one event loop of this process; the medians of
``--runs`` runs, and their ratio (target: at most 1.5).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CLIENTS = 4
TARGET = 1.5
#: the second baseline's requests in flight (as many as the proxy lets
#: each client have)
WINDOW = 256


async def client(path: str, count: int, number: int, window: int = 0) -> float:
    """Pipeline *count* ``query-status`` on *path*, with ids ``[number,
    i]``: all at once, or with *window* at most unanswered; check every
    reply (its id, its order, its content); seconds from the first request
    written to the last reply read."""
    reader, writer = await asyncio.open_unix_connection(path, limit=1 << 24)
    json.loads(await reader.readline())
    writer.write(b'{"execute": "qmp_capabilities"}\n')
    assert "return" in json.loads(await reader.readline())
    lines = [
        json.dumps({"execute": "query-status", "id": [number, i]}).encode() + b"\n"
        for i in range(count)
    ]
    ahead = window or count
    start = time.perf_counter()
    writer.write(b"".join(lines[:ahead]))
    for i in range(count):
        while True:
            reply = json.loads(await reader.readline())
            if "event" not in reply:
                break
        status = reply.get("return")
        if reply.get("id") != [number, i] or not (
            isinstance(status, dict) and status.get("status") == "running"
        ):
            raise SystemExit(f"bench: reply {i} went astray: {reply}")
        if i + ahead < count:
            writer.write(lines[i + ahead])
    elapsed = time.perf_counter() - start
    writer.close()
    await writer.wait_closed()
    return elapsed


async def direct(path: str, total: int, window: int = 0) -> float:
    return await client(path, total, 0, window)


async def through(path: str, total: int) -> float:
    each = total // CLIENTS
    start = time.perf_counter()
    await asyncio.gather(*(client(path, each, k) for k in range(1, CLIENTS + 1)))
    return time.perf_counter() - start


def cpu_seconds(pid: int) -> float:
    """User and system time of process *pid* so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until(predicate: Any, what: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while not predicate():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"bench: {what} did not come up")
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="requests in all")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    total = args.n - args.n % CLIENTS
    with tempfile.TemporaryDirectory(prefix="qmpsh-bench-proxy-") as tmp:
        qemu_sock, proxy_sock = f"{tmp}/qemu.sock", f"{tmp}/proxy.sock"
        direct_sock = f"{tmp}/direct.sock"
        qemu = subprocess.Popen(
            [
                "qemu-system-x86_64", "-M", "none", "-nodefaults", "-display", "none",
                "-qmp", f"unix:{qemu_sock},server=on,wait=off",
                "-qmp", f"unix:{direct_sock},server=on,wait=off",
            ],
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        proxy: subprocess.Popen[bytes] | None = None
        try:
            wait_until(lambda: os.path.exists(direct_sock), "QEMU", qemu)
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            log = open(f"{tmp}/proxy.log", "wb")  # noqa: SIM115
            proxy = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "qmpsh",
                    "proxy",
                    qemu_sock,
                    "--listen",
                    proxy_sock,
                ],
                stdin=subprocess.DEVNULL,
                stderr=log,
                env=env,
            )
            wait_until(
                lambda: b"serving" in Path(f"{tmp}/proxy.log").read_bytes(),
                "qmpsh proxy",
                proxy,
            )
            base: list[float] = []
            windowed: list[float] = []
            proxied: list[float] = []
            cpu: list[float] = []
            for _ in range(args.runs):  # interleaved: drift hits both alike
                base.append(asyncio.run(direct(direct_sock, total)))
                windowed.append(asyncio.run(direct(direct_sock, total, WINDOW)))
                before = cpu_seconds(proxy.pid)
                proxied.append(asyncio.run(through(proxy_sock, total)))
                cpu.append(cpu_seconds(proxy.pid) - before)
        finally:
            if proxy is not None:
                proxy.send_signal(signal.SIGTERM)
                proxy.wait(timeout=15)
            qemu.kill()
            qemu.wait()
    cpu_ms = statistics.median(cpu) * 1000
    b, w = statistics.median(base), statistics.median(windowed)
    p = statistics.median(proxied)
    best = min(b, w)
    ratio = p / best
    verdict = "ok" if ratio <= TARGET else f"over the target {TARGET}"
    each = total // CLIENTS
    print(
        f"{total} query-status straight to QEMU, one client, all at once: {b * 1000:8.1f} ms"
    )
    print(
        f"{total} query-status straight to QEMU, one client, {WINDOW} in flight: {w * 1000:8.1f} ms"
    )
    print(
        f"{total} query-status through qmpsh proxy, {CLIENTS} clients x {each}: {p * 1000:8.1f} ms"
    )
    print(f"the proxy's CPU time over them: {cpu_ms:8.1f} ms")
    print(
        f"proxy/direct (the faster direct): {ratio:.2f} (target <= {TARGET}: {verdict}); "
        "every reply checked"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
