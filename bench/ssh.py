"""One-shot over SSH: ``qmpsh -c query-status ssh://HOST/PATH`` against the
least a script could do, ``ssh HOST socat - UNIX-CONNECT:PATH`` fed the same
JSON (qmp_capabilities, then query-status, after the greeting).

Both run in the same session against the same throwaway sshd on 127.0.0.1
(tests/sshd.py) and the same QEMU, alternating, so that the ratio holds on a
loaded machine.  qmpsh is timed from its start to its exit (ssh started,
tunnel up, greeting, negotiation, reply printed, tunnel closed); the
baseline from its start until the query-status reply has been read (socat
would then linger half a second for more input, which is not counted).
Target: qmpsh / baseline <= 1.2.

    .venv/bin/python bench/ssh.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.procs import Qemu, need  # noqa: E402
from tests.sshd import HOST, Sshd  # noqa: E402

TARGET = 1.2
REQUESTS = b'{"execute": "qmp_capabilities"}\n{"execute": "query-status"}\n'


def qmpsh_once(address: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "qmpsh", "-c", "query-status", address],
        capture_output=True,
        env=env,
        timeout=60,
    )
    took = time.perf_counter() - start
    if done.returncode != 0 or b'"running"' not in done.stdout:
        raise RuntimeError(f"qmpsh failed: {done.stderr.decode(errors='replace')}")
    return took


def socat_once(sshd: Sshd, path: str) -> float:
    argv = ["ssh", "-F", str(sshd.config), HOST, "socat", "-", f"UNIX-CONNECT:{path}"]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(REQUESTS)
    proc.stdin.flush()
    replies = 0
    try:
        for line in proc.stdout:  # the greeting, then the two replies
            if "return" in json.loads(line):
                replies += 1
                if replies == 2:
                    break
        took = time.perf_counter() - start
    finally:
        proc.kill()
        proc.wait()
    if replies != 2:
        raise RuntimeError("ssh + socat: no reply to query-status")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    need("socat")
    sshd = Sshd()
    qemu = Qemu(Path(tempfile.mkdtemp(prefix="qmpsh-bench-ssh-")), monitors=1)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QMPSH_SSH_COMMAND": sshd.command(),
    }
    address = f"ssh://{HOST}{qemu.sock}"
    try:
        qmpsh_once(address, env)  # warm the caches of both
        socat_once(sshd, str(qemu.sock))
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(qmpsh_once(address, env))
            theirs.append(socat_once(sshd, str(qemu.sock)))
    finally:
        qemu.kill()
        sshd.stop()
    mine, base = statistics.median(ours), statistics.median(theirs)
    ratio = mine / base
    ok = "yes" if ratio <= TARGET else "NO"
    print("| case | ssh + socat | qmpsh | qmpsh/ssh+socat | target | ok |")
    print("|---|---|---|---|---|---|")
    print(
        f"| one-shot query-status over ssh (median of {args.runs}) | "
        f"{base * 1000:.0f} ms | {mine * 1000:.0f} ms | {ratio:.2f} | "
        f"<= {TARGET} x ssh + socat | {ok} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
