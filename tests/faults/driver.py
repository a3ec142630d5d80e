"""Drive a batch qmpsh through pipes, line by line, with a guard on every wait."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.procs import ROOT


class Batch:
    """``python -m qmpsh ARGS`` reading stdin from us, one reply line at a time."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qmpsh", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        self._buffer = b""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, *lines: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("".join(f"{line}\n" for line in lines).encode())
        self.proc.stdin.flush()

    def read_line(self, timeout: float = 30) -> str:
        """The next line of stdout; fails (never hangs) after *timeout*."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply line within {timeout} s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise EOFError(f"qmpsh exited ({self.proc.wait(5)})")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def rss_kib(self) -> int:
        """Resident memory of the qmpsh process, from /proc."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        """Close stdin; the exit code, the rest of stdout, and stderr."""
        out, err = self.proc.communicate(timeout=timeout)
        rest = self._buffer + out
        return self.proc.returncode, rest.decode(), err.decode()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill9()
