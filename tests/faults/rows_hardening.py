"""Rows of the matrix: secrets through every sink, bounded input, files
another local user could turn against the user, and the read-only policy.

Secrets run against real QEMU (with a VNC display, so that set_password
succeeds) and a real qemu-ga; the cross-user rows plant files as
``nobody`` (``setpriv``), so they need root, as CI has.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qmpsh.core.exitcodes import Exit
from qmpsh.shell.history import parse_entries
from tests.faults.matrix import Probe, lines_of, one_line, row
from tests.faults.term import QEMU_PROMPT, Term
from tests.procs import (
    ROOT,
    GuestAgent,
    Process,
    Qemu,
    listening,
    need,
    raw_qmp,
    wait_for,
)

SECRET = "hunter2"
#: base64 of the secret, as guest-set-user-password takes it
SECRET_B64 = "aHVudGVyMg=="

#: every form a secret takes in QMP mode (batch: -c/stdin; the shell)
QMP_LINES = (
    f"set_password protocol=vnc password={SECRET}",
    f"change-vnc-password password={SECRET}",
    f"object-add qom-type=secret id=s1 data={SECRET}",
    '{"execute": "object-add", "arguments": {"qom-type": "secret", "id": "s2", '
    f'"data": "{SECRET}"}}}}',
    f"qom-set path=/objects/s0 property=data value={SECRET}",
    f"qom set /objects/s0.data {SECRET}",
    f"hmp set_password vnc {SECRET}",
    f"hmp change vnc password {SECRET}",
    f"hmp object_add id=s3,qom-type=secret,data={SECRET}",
    f'hmp object_add {{"qom-type": "secret", "id": "s4", "data": "{SECRET}"}}',
    f'human-monitor-command command-line="set_password vnc {SECRET}"',
    # these fail: their error lines go to stderr
    f"hmp set_password spice {SECRET}",
    f"set_password protocol=spice password={SECRET}",
    f'transaction actions=[{{"type": "x", "data": {{"password": "{SECRET}"}}}}]',
    # these do not parse: the error quotes the token it stopped at
    f'set_password protocol=vnc password={{"a": 1, "a": {SECRET}}}',
    f"set_password protocol=vnc password=[{SECRET} x]",
    f'{{"execute": "set_password", "arguments": {{"password": {SECRET}}}}}',
)

#: the same in HMP mode (-H)
HMP_LINES = (
    f"set_password vnc {SECRET}",
    f"change vnc password {SECRET}",
    f"object_add secret,id=h1,data={SECRET}",
    f"object_add id=h2,qom-type=secret,data={SECRET}",
    f'object_add {{"qom-type": "secret", "id": "h3", "data": "{SECRET}"}}',
    f"qom-set /objects/s0 data {SECRET}",
    f"set_password spice {SECRET}",  # fails: stderr
)


@contextlib.contextmanager
def vnc_qemu(p: Probe) -> Iterator[Qemu]:
    """QEMU with a password-protected VNC display (on a unix socket) and a
    secret object s0 to qom-set."""
    vnc = p.tmp / "vnc.sock"
    vm = Qemu(
        p.tmp / "qemu",
        monitors=2,
        extra=(
            "-vnc",
            f"unix:{vnc},password=on",
            "-object",
            "secret,id=s0,data=seed",
        ),
    )
    try:
        yield vm
    finally:
        vm.kill()


def objects(vm: Qemu) -> set[str]:
    reply = vm.qmp({"execute": "qom-list", "arguments": {"path": "/objects"}})
    return {o["name"] for o in reply[0]["return"]}


def nothing_leaked(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text, text[-2000:]
        assert SECRET_B64 not in text, text[-2000:]


@row(
    "secrets-every-sink",
    "secrets",
    "every form of secret (set_password, change-vnc-password, object-add secret "
    "in shorthand and JSON, qom-set and `qom set` of s0.data, `hmp` set_password/"
    "change vnc password/object_add secret in key=value and JSON forms, "
    "human-monitor-command, transactions, failing and unparsable lines) with "
    "`-v -k -l LOG`",
)
def secrets_every_sink(p: Probe) -> tuple[str, str]:
    with vnc_qemu(p) as vm:
        done = p.batch(str(vm.sock), "-v", "-k", input="\n".join(QMP_LINES) + "\n")
        made = objects(vm)
    assert {"s1", "s2", "s3", "s4"} <= made  # the secrets reached QEMU
    nothing_leaked(done.stdout, done.stderr, p.log.read_text())
    errors = lines_of(done.stderr)
    assert len(errors) == 6, errors  # 3 failed, 3 did not parse
    assert (
        "hmp: set_password spice <redacted>: Error: SPICE is not in use" in (errors[0])
    )
    assert "<redacted> is not a value" in errors[3]
    assert done.stdout.count("<redacted>") >= 14  # -v echoes them hidden
    p.nothing_lost()
    return (
        "all sent as typed; `-v`, the wire log, the error lines "
        "(`hmp: set_password spice <redacted>: Error: ...`) and the parse errors "
        "(`<redacted> is not a value`) hold `<redacted>`: nothing leaked"
    ), str(done.returncode)


@row(
    "secrets-every-sink-hmp",
    "secrets",
    "the same in HMP mode (`-H -v -k -l LOG`)",
    beside="secrets-every-sink",
)
def secrets_every_sink_hmp(p: Probe) -> tuple[str, str]:
    with vnc_qemu(p) as vm:
        done = p.batch(
            str(vm.sock), "-H", "-v", "-k", input="\n".join(HMP_LINES) + "\n"
        )
        made = objects(vm)
    assert {"h1", "h2", "h3"} <= made
    nothing_leaked(done.stdout, done.stderr, p.log.read_text())
    error = one_line(done.stderr)
    assert "set_password spice <redacted>: Error: SPICE is not in use" in error
    p.nothing_lost()
    return (
        "all sent as typed; `-v`, the wire log and the error line hold "
        "`<redacted>`: nothing leaked"
    ), str(done.returncode)


@row(
    "secrets-guest-agent",
    "secrets",
    "`guest-set-user-password` to qemu-ga (`-v -l LOG`; this qemu-ga refuses it)",
    beside="secrets-every-sink",
)
def secrets_guest_agent(p: Probe) -> tuple[str, str]:
    agent = GuestAgent(p.tmp / "qga")
    try:
        done = p.batch(
            str(agent.sock),
            "-v",
            "-c",
            f"guest-set-user-password username=root password={SECRET_B64} "
            "crypted=false",
        )
    finally:
        agent.kill()
    nothing_leaked(done.stdout, done.stderr, p.log.read_text())
    assert '"password": "<redacted>"' in done.stdout
    assert "guest-set-user-password" in one_line(done.stderr)
    p.nothing_lost()
    return "the request is shown and logged with `<redacted>`", str(done.returncode)


def _shell_history(p: Probe, lines: tuple[str, ...], *args: str) -> str:
    """Type *lines* in the shell (each waited for: its echo and the prompt
    back); the history file's text."""
    term = Term(p, QEMU_PROMPT)
    prompt = QEMU_PROMPT if "-H" not in args else "(qemu)"
    term.prompt = prompt
    try:
        with vnc_qemu(p) as vm:
            term.start(str(vm.sock), *args)
            term.ready()
            for n, line in enumerate(lines, 1):
                term.type(line)
                term.screen.keys("Enter")
                stored = n

                def kept(_: str, stored: int = stored) -> bool:
                    return len(term.history_entries()) >= stored

                term.wait(kept)
                term.wait(lambda _: term.input_line() == "")
            code = term.quit()
    finally:
        term.close()
    assert code in (Exit.OK, Exit.COMMAND_ERROR)
    assert len(term.history_entries()) == len(lines)
    return term.history.read_text()


#: those that run, and fit on a line of the terminal
SHELL_LINES = tuple(line for line in QMP_LINES[:11] if len(line) < 80)


@row(
    "secrets-every-sink-shell",
    "secrets",
    "the forms that run, typed in the shell (`hmp`, `qom set`, JSON...)",
    "shell",
    beside="secrets-every-sink",
)
def secrets_every_sink_shell(p: Probe) -> tuple[str, str]:
    history = _shell_history(p, SHELL_LINES)
    nothing_leaked(history, p.log.read_text())
    entries = parse_entries(history)
    assert "hmp set_password vnc <redacted>" in entries
    assert "qom set /objects/s0.data <redacted>" in entries
    p.nothing_lost()
    return "the history file and the wire log hold `<redacted>`: nothing leaked", "0"


@row(
    "secrets-every-sink-shell-hmp",
    "secrets",
    "the HMP lines typed in the shell in HMP mode (`-H`)",
    "shell",
    beside="secrets-every-sink",
)
def secrets_every_sink_shell_hmp(p: Probe) -> tuple[str, str]:
    history = _shell_history(p, HMP_LINES[:-1], "-H")
    nothing_leaked(history, p.log.read_text())
    assert "set_password vnc <redacted>" in parse_entries(history)
    p.nothing_lost()
    return "the history file and the wire log hold `<redacted>`: nothing leaked", "0"


# -- bounded input ---------------------------------------------------------------


def _limited() -> None:
    """In the child: at most 2 GiB of address space, so that a regression
    (a line read whole) fails instead of taking the machine down."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def _spawn(p: Probe, *args: str, stdin: int | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "qmpsh", *args],
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
        preexec_fn=_limited,
    )


@row(
    "input-dev-zero-file",
    "bad input",
    "`-f /dev/zero` (a line without end; under a 2 GiB address-space limit)",
)
def input_dev_zero_file(p: Probe) -> tuple[str, str]:
    with vnc_qemu(p) as vm:
        child = _spawn(p, "-c", "query-status", "-f", "/dev/zero", str(vm.sock))
        out, err = child.communicate(timeout=60)
    p.saw(out.decode(), err.decode())
    assert child.returncode == Exit.PARSE_ERROR
    line = one_line(err.decode())
    assert "longer than 16777216 bytes (--line-limit)" in line
    assert out.decode().startswith('{"return": {"status"')  # the line before ran
    p.nothing_lost()
    return line, str(child.returncode)


def _signalled(p: Probe, sig: signal.Signals, *args: str, stdin: int | None) -> str:
    """Start qmpsh, let it read for a moment, send *sig*: its stderr."""
    with vnc_qemu(p) as vm:
        child = _spawn(p, *args, str(vm.sock), stdin=stdin)
        time.sleep(1)  # reading (a fixed wait: nothing to see while it reads)
        assert child.poll() is None, child.communicate()
        child.send_signal(sig)
        out, err = child.communicate(timeout=15)
    p.saw(out.decode(), err.decode())
    expected = {signal.SIGTERM: 143, signal.SIGINT: 130, signal.SIGHUP: 129}[sig]
    assert child.returncode == expected, err
    return one_line(err.decode())


@row(
    "input-dev-zero-signals",
    "bad input",
    "`< /dev/zero` with `--line-limit 1073741824`, then SIGTERM, SIGINT, SIGHUP",
    beside="input-dev-zero-file",
)
def input_dev_zero_signals(p: Probe) -> tuple[str, str]:
    said = []
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        fd = os.open("/dev/zero", os.O_RDONLY)
        try:
            said.append(_signalled(p, sig, "--line-limit", "1073741824", stdin=fd))
        finally:
            os.close(fd)
    assert said == [
        "qmpsh: terminated (SIGTERM)",
        "qmpsh: interrupted",
        "qmpsh: hung up (SIGHUP)",
    ]
    p.nothing_lost()
    return "each ends it at once: " + ", ".join(f"`{s}`" for s in said), "143, 130, 129"


@row(
    "input-fifo-no-writer",
    "bad input",
    "`-f FIFO` with no writer, then SIGTERM; and a writer that comes later",
    beside="input-dev-zero-file",
)
def input_fifo_no_writer(p: Probe) -> tuple[str, str]:
    fifo = p.tmp / "fifo"
    os.mkfifo(fifo)
    said = _signalled(p, signal.SIGTERM, "-f", str(fifo), stdin=None)
    assert said == "qmpsh: terminated (SIGTERM)"
    with vnc_qemu(p) as vm:
        child = _spawn(p, "-f", str(fifo), str(vm.sock))
        time.sleep(0.5)
        with open(fifo, "w") as writer:  # blocks until qmpsh reads: it waits
            writer.write("query-status\n")
        out, err = child.communicate(timeout=30)
    p.saw(out.decode(), err.decode())
    assert child.returncode == Exit.OK and '"status"' in out.decode()
    p.nothing_lost()
    return (
        f"waits (interruptible: `{said}`); a writer that comes later is read"
    ), "143, 0"


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


# -- the policy ---------------------------------------------------------------------


@row(
    "policy-read-only",
    "policy",
    "`--read-only -k`: query-status, stop, `hmp system_reset`, `hmp info status`, "
    "`qom set`, a transaction",
)
def policy_read_only(p: Probe) -> tuple[str, str]:
    lines = (
        "query-status",
        "stop",
        "hmp system_reset",
        "hmp info status",
        "qom set /objects/s0.data x",
        'transaction actions=[{"type": "abort", "data": {}}]',
    )
    with vnc_qemu(p) as vm:
        done = p.batch(str(vm.sock), "--read-only", "-k", input="\n".join(lines))
        status = raw_qmp(vm.sockets[-1], [{"execute": "query-status"}])[0]
    assert status["return"]["running"] is True  # nothing was stopped
    errors = lines_of(done.stderr)
    assert len(errors) == 4, errors
    assert errors[0] == (
        "qmpsh: stdin:2: stop: refused by --read-only: this command may change "
        "something (not sent)"
    )
    sent = [
        e["msg"].get("execute")
        for e in p.log_entries()
        if e["dir"] == "out" and isinstance(e.get("msg"), dict)
    ]
    assert "stop" not in sent and "transaction" not in sent and "qom-set" not in sent
    assert done.returncode == Exit.PARSE_ERROR
    p.nothing_lost()
    return p.shown(errors[0]) + " (and one line each for the others)", str(
        done.returncode
    )


@row(
    "policy-deny",
    "policy",
    "`--allow 'query-*' --allow 'hmp info' --deny query-status`",
    beside="policy-read-only",
)
def policy_deny(p: Probe) -> tuple[str, str]:
    with vnc_qemu(p) as vm:
        done = p.batch(
            str(vm.sock),
            "--allow",
            "query-*",
            "--allow",
            "hmp info",
            "--deny",
            "query-status",
            "-k",
            input="query-version\nquery-status\nhmp info version\nhmp stop\n",
        )
    errors = lines_of(done.stderr)
    assert errors == [
        "qmpsh: stdin:2: query-status: refused by --deny query-status (not sent)",
        "qmpsh: stdin:4: hmp: stop: refused: no --allow pattern matches it (not sent)",
    ]
    assert done.stdout.count("\n") == 2  # query-version, info version
    p.nothing_lost()
    return "; ".join(errors), str(done.returncode)
