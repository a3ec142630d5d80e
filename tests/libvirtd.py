"""A private, throw-away libvirtd with the QEMU driver, for the ``libvirt:``
transport's tests and bench/through_libvirt.py (its domains:
tests/libvirt_domain.py); no systemd needed.

It must run as root (a privileged libvirtd), with Debian's libvirt-daemon,
libvirt-daemon-driver-qemu and libvirt-clients, util-linux's ``unshare``
and ``nsenter``, QEMU, ``qemu-img``, and libvirt-python in this Python
(`need_libvirt` skips the test when one is missing, or fails it under
``CI=true``, as `tests.procs.need` does; .ci/setup installs them).

Why a mount namespace: a root libvirtd hard-codes the QEMU driver's paths
(/etc/libvirt/qemu.conf, /run/libvirt/qemu with its driver.pid lock,
/var/lib|cache|log/libvirt, virtlogd's /run/libvirt/virtlogd-sock); only
libvirtd.conf can be given (``-f``).  So virtlogd starts under ``unshare
--mount`` with the subdirectories of one temp dir bind-mounted over those
paths, and libvirtd joins that namespace (``nsenter -m``).  The sockets are
in ``DIR/run``, which is /run/libvirt inside the namespace, so clients
outside reach them by that path: `LibvirtDaemon.uri` is
``qemu:///system?socket=DIR/run/libvirt-sock``.  Nothing outside the temp
dir is written but the empty mountpoints (created when missing).

libvirtd runs under a small subreaper (`REAPER`): libvirtd double-forks
QEMU, and PID 1 on a test VM may reap orphans only every second or two,
which libvirt's ``destroy`` waits for.  Every daemon gets
``PR_SET_PDEATHSIG``, so a test process killed with SIGKILL takes them, and
the QEMUs they started, along.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.procs import need

#: temp subdirectory -> the path it is mounted on inside the namespace
MOUNTS = {
    "run": "/run/libvirt",
    "lib": "/var/lib/libvirt",
    "cache": "/var/cache/libvirt",
    "log": "/var/log/libvirt",
    "etc": "/etc/libvirt",
}

#: QEMU's capabilities, probed on a fresh daemon's first domain (1-4 s),
#: are kept here between runs (libvirt probes again when QEMU changes)
CAPS_CACHE = os.environ.get("QMPSH_TEST_LIBVIRT_CAPS", "/var/tmp/qmpsh-libvirt-caps")

QEMU_CONF = """\
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = []
cgroup_controllers = []
stdio_handler = "logd"
"""

LIBVIRTD_CONF = """\
unix_sock_dir = "{run}"
unix_sock_group = "root"
unix_sock_ro_perms = "0700"
unix_sock_rw_perms = "0700"
unix_sock_admin_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
listen_tls = 0
listen_tcp = {listen_tcp}
tcp_port = "{tcp_port}"
listen_addr = "127.0.0.1"
auth_tcp = "none"
log_outputs = "3:file:{log}/libvirtd.log"
"""

VIRTLOGD_CONF = 'log_outputs = "3:file:{log}/virtlogd.log"\n'

REAPER = r"""
import ctypes, os, shutil, signal, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
libc.prctl(36, 1)               # PR_SET_CHILD_SUBREAPER: orphaned QEMUs are ours
libc.prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
parent, cleanup, argv = os.getppid(), sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.execvp(argv[0], argv)
def forward(sig, _frame):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, forward)
rc = 1
while True:
    try:
        p, status = os.waitpid(-1, 0)
    except ChildProcessError:
        break
    if p == pid:
        rc = os.waitstatus_to_exitcode(status)
        break
for d in os.listdir("/proc"):   # libvirtd is gone: kill the QEMUs we adopted
    if d.isdigit():
        try:
            with open(f"/proc/{d}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid():
                    os.kill(int(d), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass
while True:
    try:
        os.waitpid(-1, 0)
    except ChildProcessError:
        break
if os.getppid() != parent and cleanup:  # the test process died: clean up for it
    shutil.rmtree(cleanup, ignore_errors=True)
sys.exit(rc)
"""


def _skip_or_fail(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def need_libvirt() -> None:
    """Skip (fail under CI=true) unless a private libvirtd can run here."""
    for binary in ("libvirtd", "virtlogd", "virsh", "unshare", "nsenter", "qemu-img"):
        need(binary)
    need("qemu-system-x86_64")
    if os.geteuid() != 0:
        _skip_or_fail("a private libvirtd needs root (a privileged daemon)")
    try:
        import libvirt  # noqa: F401
        import libvirt_qemu  # noqa: F401
    except ImportError:
        _skip_or_fail(
            "libvirt-python is not installed (pip install -e '.[dev]' builds it; "
            ".ci/setup installs what it needs)"
        )


def _pdeathsig() -> None:
    """preexec_fn: SIGTERM when the test process dies."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def quiet_libvirt() -> None:
    """libvirt prints every error on stderr too, unless a handler is set."""
    import libvirt

    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


class LibvirtDaemon:
    """virtlogd and libvirtd in a private mount namespace; `stop` ends
    them, their domains and QEMUs, and removes the temp dir."""

    def __init__(self, tcp: bool = False, start_timeout: float = 30.0) -> None:
        self.tcp = tcp
        self.tcp_port = free_port() if tcp else 16509
        self.start_timeout = start_timeout
        # short: a unix socket's path is at most 107 bytes
        self.dir = Path(tempfile.mkdtemp(prefix="qmpsh-lv."))
        self.virtlogd: subprocess.Popen[bytes] | None = None
        self.libvirtd: subprocess.Popen[bytes] | None = None

    def path(self, *parts: str) -> Path:
        return self.dir.joinpath(*parts)

    @property
    def uri(self) -> str:
        return f"qemu:///system?socket={self.path('run', 'libvirt-sock')}"

    @property
    def uri_ro(self) -> str:
        """The read-only socket's URI (open it with `openReadOnly`)."""
        return f"qemu:///system?socket={self.path('run', 'libvirt-sock-ro')}"

    @property
    def tcp_uri(self) -> str:
        return f"qemu+tcp://127.0.0.1:{self.tcp_port}/system"

    def domain_log(self, name: str) -> str:
        try:
            return self.path("log", "qemu", f"{name}.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def start(self) -> LibvirtDaemon:
        for sub, mountpoint in MOUNTS.items():
            self.path(sub).mkdir(parents=True, exist_ok=True)
            os.makedirs(mountpoint, exist_ok=True)  # empty, on the host
        self.path("images").mkdir()
        self._caps(into_daemon=True)
        self.path("etc", "qemu.conf").write_text(QEMU_CONF)
        self.path("libvirtd.conf").write_text(
            LIBVIRTD_CONF.format(
                run=self.path("run"),
                log=self.path("log"),
                listen_tcp=int(self.tcp),
                tcp_port=self.tcp_port,
            )
        )
        self.path("virtlogd.conf").write_text(
            VIRTLOGD_CONF.format(log=self.path("log"))
        )
        q = shlex.quote
        mounts = " && ".join(
            f"mount --bind {q(str(self.path(sub)))} {mountpoint}"
            for sub, mountpoint in MOUNTS.items()
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIBVIRT")}
        with open(self.path("daemons.out"), "ab") as out:
            # unshare without --fork execs in place: the pid is virtlogd's
            self.virtlogd = subprocess.Popen(
                [
                    "unshare",
                    "--mount",
                    "--propagation",
                    "private",
                    "sh",
                    "-ec",
                    f"{mounts}; exec virtlogd -f {q(str(self.path('virtlogd.conf')))}"
                    f" -p {q(str(self.path('virtlogd.pid')))}",
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                env=env,
                preexec_fn=_pdeathsig,
            )
            self._wait(
                lambda: self.path("run", "virtlogd-sock").exists(),
                self.virtlogd,
                "virtlogd's socket",
            )
            argv = [
                sys.executable,
                "-c",
                REAPER,
                str(self.dir),
                "nsenter",
                "-t",
                str(self.virtlogd.pid),
                "-m",
                "--",
                "libvirtd",
                "-f",
                str(self.path("libvirtd.conf")),
                "-p",
                str(self.path("libvirtd.pid")),
            ]
            if self.tcp:
                argv.append("--listen")
            self.libvirtd = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                env=env,
                preexec_fn=_pdeathsig,
            )
        quiet_libvirt()
        self._wait(self._answers, self.libvirtd, "libvirtd")
        return self

    def _answers(self) -> bool:
        import libvirt

        if not self.path("run", "libvirt-sock").exists():
            return False
        try:
            conn = libvirt.open(self.uri)
        except libvirt.libvirtError:
            return False
        try:
            conn.getLibVersion()
            return True
        finally:
            conn.close()

    def _wait(
        self, ready: Callable[[], bool], proc: subprocess.Popen[bytes], what: str
    ) -> None:
        deadline = time.monotonic() + self.start_timeout
        delay = 0.005
        while not ready():
            if proc.poll() is not None or time.monotonic() > deadline:
                why = (
                    f"exited with {proc.returncode}"
                    if proc.poll() is not None
                    else f"not ready after {self.start_timeout} s"
                )
                logs = self.logs()
                self.stop()
                raise RuntimeError(f"{what} {why}\n{logs}")
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def logs(self, lines: int = 20) -> str:
        out = []
        for name in ("daemons.out", "log/libvirtd.log", "log/virtlogd.log"):
            with contextlib.suppress(OSError):
                tail = self.path(name).read_text(errors="replace").splitlines()
                out.append(f"--- {name}:\n" + "\n".join(tail[-lines:]))
        return "\n".join(out)

    def _caps(self, into_daemon: bool) -> None:
        ours = self.path("cache", "qemu", "capabilities")
        shared = Path(CAPS_CACHE)
        src, dst = (shared, ours) if into_daemon else (ours, shared)
        if not src.is_dir():
            return
        with contextlib.suppress(OSError):
            dst.mkdir(parents=True, exist_ok=True)
            for item in src.glob("*.xml"):
                tmp = dst / f".{item.name}.{os.getpid()}"
                shutil.copyfile(item, tmp)
                tmp.replace(dst / item.name)  # whole, for concurrent runs

    def connect(self) -> Any:
        """A new read-write connection (a `libvirt.virConnect`)."""
        import libvirt

        return libvirt.open(self.uri)

    def qemu_pids(self) -> list[int]:
        pids = []
        for item in self.path("run", "qemu").glob("*.pid"):
            if item.name != "driver.pid":
                with contextlib.suppress(OSError, ValueError):
                    pids.append(int(item.read_text().strip()))
        return pids

    def stop(self) -> None:
        import libvirt

        if self.libvirtd is not None and self.libvirtd.poll() is None:
            with contextlib.suppress(libvirt.libvirtError):
                conn = libvirt.open(self.uri)
                dom = None
                for dom in conn.listAllDomains():
                    with contextlib.suppress(libvirt.libvirtError):
                        if dom.isActive():
                            dom.destroy()
                    with contextlib.suppress(libvirt.libvirtError):
                        if dom.isPersistent():
                            dom.undefine()
                del dom
                conn.close()
        for pid in self.qemu_pids():  # left over, if libvirtd had died
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for proc in (self.libvirtd, self.virtlogd):
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.libvirtd = self.virtlogd = None
        self._caps(into_daemon=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> LibvirtDaemon:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def daemon(tcp: bool = False) -> Iterator[LibvirtDaemon]:
    need_libvirt()
    with LibvirtDaemon(tcp=tcp) as started:
        yield started
