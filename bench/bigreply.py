"""Peak memory of qmpsh for one large reply, against the reply's size.

A scripted server (real QEMU sends no reply this large on demand) answers
``x-big`` with ``{"return": {"blob": "xxx..."}}`` of SIZE MiB; qmpsh runs
``-c x-big --read-limit ...`` with stdout to a file, and GNU time gives its
peak RSS (bench/run.py's `run_timed`).  The figure is the extra peak
(qmpsh's peak for SIZE minus its peak for a tiny reply, the same run)
divided by SIZE; the target (issue 18) is <= 2.5.

    .venv/bin/python bench/bigreply.py [--sizes 50,100,200] [--runs 3] [--pretty] [--log]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import run_timed, tool

MIB = 1024 * 1024
GREETING = {"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "big"}, "capabilities": []}}  # fmt: skip


class BigServer:
    """Serves one client at a time: the greeting, qmp_capabilities, then
    ``x-big`` answered with a blob of `size` bytes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(str(path))
        self.listener.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn, conn.makefile("rwb") as f:
                f.write(json.dumps(GREETING).encode() + b"\n")
                f.flush()
                for line in f:
                    request = json.loads(line)
                    ident = json.dumps(request.get("id"))
                    if request.get("execute") == "x-big":
                        f.write(b'{"return": {"blob": "')
                        chunk = b"x" * MIB
                        left = self.size
                        while left > 0:
                            f.write(chunk[: min(left, MIB)])
                            left -= MIB
                        f.write(b'"}, "id": ' + ident.encode() + b"}\n")
                    else:
                        f.write(b'{"return": {}, "id": ' + ident.encode() + b"}\n")
                    f.flush()

    def close(self) -> None:
        self.listener.close()


def peak_kib(sock: Path, out: Path, size: int, pretty: bool, log: bool) -> int:
    argv = [
        tool("qmpsh"),
        "--read-limit",
        str(size + 16 * MIB),
        "-c",
        "x-big",
        str(sock),
    ]
    if pretty:
        argv.insert(1, "-p")
    if log:
        argv[1:1] = ["-l", os.devnull]
    sample = run_timed(argv, stdout=out)
    got = out.stat().st_size
    if got < size:
        raise RuntimeError(f"qmpsh wrote {got} bytes for a {size}-byte reply")
    return sample.max_rss_kib


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,100,200", help="MiB, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pretty", action="store_true", help="with -p")
    parser.add_argument("--log", action="store_true", help="with a wire log (-l)")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="qmpsh-bench-big-") as tmp:
        server = BigServer(Path(tmp) / "big.sock")
        out = Path(tmp) / "out.json"
        try:
            worst = 0.0
            print(
                f"{'reply':>9}  {'peak':>9}  {'extra':>9}  {'extra/reply':>11}  (target <= 2.5)"
            )
            for size_mib in sizes:
                base, peaks = [], []
                for _ in range(args.runs):  # a tiny reply and the big one, in pairs
                    server.size = 16
                    base.append(peak_kib(server.path, out, 16, args.pretty, args.log))
                    server.size = size_mib * MIB
                    peaks.append(
                        peak_kib(
                            server.path, out, size_mib * MIB, args.pretty, args.log
                        )
                    )
                    os.unlink(out)
                extra = statistics.median(peaks) - statistics.median(base)
                ratio = extra / (size_mib * 1024)
                worst = max(worst, ratio)
                print(
                    f"{size_mib:>5} MiB  {statistics.median(peaks) / 1024:>5.0f} MiB  "
                    f"{extra / 1024:>5.0f} MiB  {ratio:>11.2f}"
                )
        finally:
            server.close()
    print(f"worst extra/reply: {worst:.2f} (target <= 2.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
