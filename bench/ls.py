#!/usr/bin/env python3
"""``qmpsh ls`` with many sockets: the probes run at once, so listing many
takes about as long as listing one.

    .venv/bin/python bench/ls.py [--runs N] [--many N]

Two cases, each a ratio against a baseline from the same run:

- silent: named targets at TCP listeners that take the connection and
  never answer (each probe waits its whole --timeout, 0.5 s): MANY of them
  against one.  Probed one after another they would take MANY times as
  long; the target is a ratio under 2.
- free: one QEMU (``-M none``) with MANY QMP sockets, each probed to its
  greeting, against ``qmpsh ls --no-probe`` of the same machine (what the
  probes add).  The target is under 3.

Other QEMU processes on the machine are listed too, in both runs alike.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.procs import Qemu  # noqa: E402


def ls_seconds(env: dict[str, str], *args: str) -> float:
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "qmpsh", "ls", "--json", *args],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    took = time.monotonic() - start
    if done.returncode != 0:
        sys.exit(f"bench: qmpsh ls failed: {done.stderr.decode()}")
    return took


def median(env: dict[str, str], runs: int, *args: str) -> float:
    return statistics.median(ls_seconds(env, *args) for _ in range(runs))


def silent_targets(config: Path, count: int) -> list[socket.socket]:
    """*count* TCP listeners that never accept (the kernel takes the
    connection), named in *config* as targets."""
    listeners = []
    lines = []
    for i in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        listeners.append(sock)
        lines.append(
            f'[targets.silent{i}]\naddress = "127.0.0.1:{sock.getsockname()[1]}"\n'
        )
    config.write_text("".join(lines))
    return listeners


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--many", type=int, default=64)
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qmpsh-bench-ls-") as name:
        tmp = Path(name)
        (tmp / "config" / "qmpsh").mkdir(parents=True)
        config = tmp / "config" / "qmpsh" / "config.toml"
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": str(tmp / "config"),
            "PYTHONPATH": str(ROOT),
        }
        rows = []

        for count in (1, opts.many):
            held = silent_targets(config, count)
            try:
                rows.append(
                    (f"silent x{count}", median(env, opts.runs, "--timeout", "0.5"))
                )
            finally:
                for sock in held:
                    sock.close()
        one, many = rows[0][1], rows[1][1]
        print(f"silent targets: 1 -> {one:.3f} s, {opts.many} -> {many:.3f} s, "
              f"ratio {many / one:.2f} (serial would be {opts.many * 0.5:.0f} s; target < 2)")  # fmt: skip

        config.write_text("")
        vm = Qemu(tmp / "qemu", monitors=opts.many)
        try:
            base = median(env, opts.runs, "--no-probe")
            probed = median(env, opts.runs)
        finally:
            vm.kill()
        print(f"free sockets: {opts.many} probed -> {probed:.3f} s, --no-probe -> "
              f"{base:.3f} s, ratio {probed / base:.2f} (target < 3)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
