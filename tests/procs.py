"""Real QEMU processes for tests: qemu-system-x86_64, qemu-storage-daemon, qemu-ga.

Each process gets its own temp dir and sockets and is killed at teardown.
When a binary is missing the test is skipped, except with ``CI=true``,
where a missing QEMU is a failure.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def need(binary: str) -> str:
    """The path of *binary*; skip (or fail under CI=true) when missing."""
    path = shutil.which(binary) or (
        f"/usr/sbin/{binary}" if os.path.exists(f"/usr/sbin/{binary}") else None
    )
    if path is None:
        message = f"{binary} is not installed (.ci/setup installs what the tests need)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def listening(path: Path) -> bool:
    """Whether a unix socket at *path* is listening (bound is not enough).

    Reads /proc/net/unix rather than connecting, so that probing never takes
    a monitor's one client slot.
    """
    target = str(path)
    try:
        table = Path("/proc/net/unix").read_text().splitlines()[1:]
    except OSError:
        return path.exists()
    for row in table:
        fields = row.split(None, 7)
        if len(fields) == 8 and fields[7] == target and int(fields[3], 16) & 0x10000:
            return True
    return False


def free_port() -> int:

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    predicate: Callable[[], object],
    timeout: float = 15.0,
    what: str = "condition",
    proc: subprocess.Popen[Any] | None = None,
) -> None:
    """Poll *predicate* until true; fail early if *proc* exits."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                f"process exited ({proc.returncode}) while waiting for {what}"
            )
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.01)


class Process:
    """A child process with sockets in its own directory."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.dir / "stderr.log"

    def spawn(self, argv: Sequence[str], sockets: Sequence[Path] = ()) -> None:
        with open(self.log, "wb") as err:
            self.proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                start_new_session=True,
            )
        for sock in sockets:
            wait_for(functools.partial(listening, sock), what=f"{sock}", proc=self.proc)

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Qemu(Process):
    """``qemu-system-x86_64`` (or another build: *binary*) with one or more
    QMP unix sockets (and TCP)."""

    def __init__(
        self,
        directory: Path,
        machine: Sequence[str] = ("-M", "none"),
        monitors: int = 1,
        tcp: bool = False,
        extra: Sequence[str] = (),
        binary: str = "qemu-system-x86_64",
    ) -> None:
        super().__init__(directory)
        self.sockets = [self.dir / f"qmp{i}.sock" for i in range(monitors)]
        self.sock = self.sockets[0]
        self.port = free_port() if tcp else 0
        argv = [need(binary), *machine, "-nodefaults", "-display", "none"]
        for path in self.sockets:
            argv += ["-qmp", f"unix:{path},server=on,wait=off"]
        if tcp:
            argv += ["-qmp", f"tcp:127.0.0.1:{self.port},server=on,wait=off"]
        self.argv = [*argv, *extra]
        self.spawn(self.argv, self.sockets)
        if tcp:
            wait_for(self._tcp_ready, what="the TCP monitor", proc=self.proc)

    def _tcp_ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.settimeout(5)
                return s.recv(1) == b"{"
        except OSError:
            return False

    def qmp(
        self, *commands: dict[str, Any], sock: Path | None = None
    ) -> list[dict[str, Any]]:
        """Run commands on a raw socket (independent of qmpsh); return replies."""
        return raw_qmp(sock or self.sockets[-1], commands)


def raw_qmp(
    path: Path, commands: Sequence[dict[str, Any]], negotiate: bool = True
) -> list[dict[str, Any]]:
    """A tiny independent QMP client: negotiate, run *commands*, return replies."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(15)
        s.connect(str(path))
        stream = s.makefile("rwb")
        if negotiate:
            json.loads(stream.readline())
            commands = [{"execute": "qmp_capabilities"}, *commands]
        replies = []
        for command in commands:
            stream.write(json.dumps(command).encode() + b"\n")
            stream.flush()
            while True:
                reply = json.loads(stream.readline())
                if "event" not in reply:
                    break
            replies.append(reply)
        return replies[1:] if negotiate else replies


class GuestAgent(Process):
    """``qemu-ga`` listening on a unix socket, with host-touching commands blocked."""

    BLOCKED = (
        "guest-shutdown",
        "guest-exec",
        "guest-exec-status",
        "guest-file-open",
        "guest-file-close",
        "guest-file-read",
        "guest-file-write",
        "guest-file-seek",
        "guest-file-flush",
        "guest-set-time",
        "guest-fsfreeze-freeze",
        "guest-fsfreeze-freeze-list",
        "guest-fsfreeze-thaw",
        "guest-fstrim",
        "guest-suspend-disk",
        "guest-suspend-ram",
        "guest-suspend-hybrid",
        "guest-set-vcpus",
        "guest-set-memory-blocks",
        "guest-set-user-password",
        "guest-network-get-interfaces",
    )

    def __init__(self, directory: Path, allow: Sequence[str] = ()) -> None:
        """*allow*: commands of `BLOCKED` to leave enabled (reading a file
        the test names: ``guest-file-open``...)."""
        super().__init__(directory)
        self.sock = self.dir / "qga.sock"
        state = self.dir / "state"
        state.mkdir(exist_ok=True)
        argv = [
            need("qemu-ga"),
            "-m",
            "unix-listen",
            "-p",
            str(self.sock),
            "-t",
            str(state),
            "-f",
            str(self.dir / "qga.pid"),
            "-b",
            ",".join(c for c in self.BLOCKED if c not in allow),
        ]
        self.spawn(argv, [self.sock])


def children(pid: int) -> list[int]:
    """The processes whose parent is *pid*."""
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in found]


class WrappedQemu:
    """The QEMU that a running ``qmpsh wrap`` (process *parent*) started.

    Its private directory, and its stderr held open, so that what QEMU said
    can be read after qmpsh has removed the directory.
    """

    def __init__(self, parent: int) -> None:
        self.parent = parent
        self.pid = 0
        self.dir = Path()
        wait_for(self._found, what="the QEMU of qmpsh wrap")
        self._stderr = open(self.dir / "qemu.stderr", "rb")  # noqa: SIM115

    def _found(self) -> bool:
        """Whether the child has been found: one running with ``-qmp unix:``
        (not the forked qmpsh before its exec)."""
        for pid in children(self.parent):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            for arg in argv:
                if arg.startswith(b"unix:") and b"/qmpsh-wrap-" in arg:
                    self.pid = pid
                    self.dir = Path(arg.decode().removeprefix("unix:")).parent
                    return True
        return False

    def said(self) -> str:
        """What QEMU printed so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def stopped_by_qmpsh(self) -> bool:
        """Whether QEMU said it was asked to quit (SIGTERM) by qmpsh: a clean
        shutdown, where SIGKILL (PR_SET_PDEATHSIG) leaves it silent."""
        return f"terminating on signal 15 from pid {self.parent}" in self.said()

    def close(self) -> None:
        self._stderr.close()


def qmpsh(
    *args: str,
    input: str | bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    cwd: Path = ROOT,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m qmpsh ARGS`` (in *cwd*) and capture its output as text."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(ROOT)
    if env:
        full_env.update(env)
    data = input.encode() if isinstance(input, str) else input
    done = subprocess.run(
        [sys.executable, "-m", "qmpsh", *args],
        input=data if data is not None else b"",
        capture_output=True,
        env=full_env,
        timeout=timeout,
        cwd=cwd,
    )
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode(errors="replace"),
        done.stderr.decode(errors="replace"),
    )


def qmpsh_unwritable(
    stdout: str,
    *args: str,
    input: str | bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """``python -m qmpsh ARGS`` with a stdout that cannot be written: "full"
    (/dev/full: no space left on device) or "gone" (a pipe whose reader has
    already closed it, as ``| head -1`` does: every write is a broken pipe).
    Captures stderr; stdout is ""."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    full_env.pop("PYTHONUNBUFFERED", None)  # buffered, as users have it
    data = input.encode() if isinstance(input, str) else input
    if stdout == "full":
        out = os.open("/dev/full", os.O_WRONLY)
    else:
        assert stdout == "gone", stdout
        read_end, out = os.pipe()
        os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "qmpsh", *args],
            input=data if data is not None else b"",
            stdout=out,
            stderr=subprocess.PIPE,
            env=full_env,
            timeout=timeout,
            cwd=ROOT,
        )
    finally:
        os.close(out)
    return subprocess.CompletedProcess(
        done.args, done.returncode, "", done.stderr.decode(errors="replace")
    )
