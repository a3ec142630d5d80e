"""Rows of the matrix: files and sockets another local user could turn
against the user.  ``nobody`` plants them (``setpriv``), so these rows need
root, as CI has.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from qmpsh.core.exitcodes import Exit
from tests.faults.matrix import Probe, one_line, row
from tests.faults.rows_secrets import vnc_qemu
from tests.faults.term import QEMU_PROMPT, Term
from tests.procs import (
    ROOT,
    Process,
    listening,
    need,
    wait_for,
)

# -- files another user could plant -----------------------------------------------


def need_nobody() -> None:
    if os.geteuid() != 0:
        message = "planting files as another user needs root"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    need("setpriv")


def as_nobody(*argv: str) -> None:
    """Run *argv* as the user nobody."""
    subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *argv],
        check=True,
        timeout=30,
    )


@contextlib.contextmanager
def shared_dir() -> Iterator[Path]:
    """A world-writable sticky directory, as /tmp is, that nobody can reach
    (the test's own temp dir is root's alone): named SHARED in the table."""
    shared = Path(tempfile.mkdtemp(prefix="qmpsh-shared-", dir="/tmp"))
    try:
        os.chmod(shared, 0o1777)
        yield shared
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def shown(p: Probe, text: str, shared: Path) -> str:
    return p.shown(text.replace(str(shared), "SHARED"))


@row(
    "files-wirelog-symlink",
    "files",
    "`-l LOG` where LOG is a symbolic link that another user (nobody) planted, "
    "pointing at one of root's files",
)
def files_wirelog_symlink(p: Probe) -> tuple[str, str]:
    need_nobody()
    with shared_dir() as shared:
        return _wirelog_symlink(p, shared)


def _wirelog_symlink(p: Probe, shared: Path) -> tuple[str, str]:
    target = p.tmp / "roots-file"
    target.write_text("root's own\n")
    os.chmod(target, 0o644)
    link = shared / "wire.log"
    as_nobody("ln", "-s", str(target), str(link))
    with vnc_qemu(p) as vm:
        done = p.batch(str(vm.sock), "-l", str(link), "-c", "query-status", log=False)
    line = one_line(done.stderr)
    assert done.returncode == Exit.USAGE
    assert "is a symbolic link that belongs to nobody" in line
    assert target.read_text() == "root's own\n"  # not appended to
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # not chmod-ed
    p.nothing_lost()
    return shown(p, line, shared), str(done.returncode)


def _history_in(p: Probe, state: Path) -> tuple[str, int]:
    """Run the shell with XDG_STATE_HOME=*state*, type one command: what it
    said, and its exit code."""
    term = Term(p, QEMU_PROMPT)
    try:
        with vnc_qemu(p) as vm:
            term.start(str(vm.sock), env={"XDG_STATE_HOME": str(state)})
            term.ready()
            term.run("query-status", '{"return"')
            code = term.quit()
            text = term.everything()
    finally:
        term.close()
    return text, code


@row(
    "files-history-other-user",
    "files",
    "a history file pre-created by nobody (mode 0666, in a qmpsh directory of "
    "theirs) in a world-writable XDG_STATE_HOME",
    "shell",
)
def files_history_other_user(p: Probe) -> tuple[str, str]:
    need_nobody()
    with shared_dir() as shared:
        return _history_other_user(p, shared)


def _history_other_user(p: Probe, shared: Path) -> tuple[str, str]:
    as_nobody("mkdir", "-m", "0777", str(shared / "qmpsh"))
    history = shared / "qmpsh" / "history"
    as_nobody("sh", "-c", f"umask 0; echo '# planted' > {history}")
    text, code = _history_in(p, shared)
    assert code == Exit.OK
    said = next(line for line in text.splitlines() if "belongs to nobody" in line)
    assert "kept in memory only" in said
    assert history.read_text() == "# planted\n"  # nothing written into it
    st = history.stat()
    assert stat.S_IMODE(st.st_mode) == 0o666 and st.st_uid != 0  # untouched
    p.saw(text)
    p.nothing_lost()
    return shown(p, said.strip(), shared), str(code)


@row(
    "files-state-dir-symlink",
    "files",
    "the qmpsh state directory is a symbolic link nobody planted, to one of "
    "root's directories (mode 0755)",
    "shell",
    beside="files-history-other-user",
)
def files_state_dir_symlink(p: Probe) -> tuple[str, str]:
    need_nobody()
    with shared_dir() as shared:
        return _state_dir_symlink(p, shared)


def _state_dir_symlink(p: Probe, shared: Path) -> tuple[str, str]:
    target = p.tmp / "roots-dir"
    target.mkdir(mode=0o755)
    os.chmod(target, 0o755)
    as_nobody("ln", "-s", str(target), str(shared / "qmpsh"))
    text, code = _history_in(p, shared)
    assert code == Exit.OK
    said = next(line for line in text.splitlines() if "symbolic link" in line)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755  # not chmod-ed
    assert list(target.iterdir()) == []  # no history written there
    p.saw(text)
    p.nothing_lost()
    return shown(p, said.strip(), shared), str(code)


@row(
    "files-listen-umask",
    "files",
    "`--listen SOCK` under umask 000, and another user (nobody) connecting first",
)
def files_listen_umask(p: Probe) -> tuple[str, str]:
    need_nobody()
    with shared_dir() as shared:
        return _listen_umask(p, shared / "listen.sock")


def _listen_umask(p: Probe, sock: Path) -> tuple[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [
            "sh",
            "-c",
            'umask 000; exec "$@"',
            "sh",
            sys.executable,
            "-m",
            "qmpsh",
            "--listen",
            str(sock),
            "--connect-timeout",
            "30",
            "-c",
            "query-status",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    try:
        wait_for(lambda: listening(sock), what="qmpsh listening", proc=child)
        mode = stat.S_IMODE(sock.stat().st_mode)
        probe = subprocess.run(
            [
                "setpriv",
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                sys.executable,
                "-c",
                "import socket, sys; s = socket.socket(socket.AF_UNIX);"
                f" s.connect({str(sock)!r})",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert probe.returncode != 0 and "PermissionError" in probe.stderr
        # QEMU (root's) still connects
        vm = Process(p.tmp / "qemu-client")
        vm.spawn(
            [
                need("qemu-system-x86_64"),
                "-M",
                "none",
                "-nodefaults",
                "-display",
                "none",
                "-qmp",
                f"unix:{sock}",
            ]
        )
        try:
            out, err = child.communicate(timeout=60)
        finally:
            vm.kill()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    p.saw(out.decode(), err.decode())
    assert mode == 0o600
    assert child.returncode == Exit.OK and '"status"' in out.decode()
    p.nothing_lost()
    return (
        f"the socket is mode {mode:04o}: nobody's connect is refused "
        "(permission denied); QEMU's goes through"
    ), str(child.returncode)
