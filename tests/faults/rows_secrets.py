"""Rows of the matrix: secrets through every sink (the wire log, ``-v``,
stderr, parse errors, the history), in every form, against real QEMU with
a VNC display (so that set_password succeeds) and a real qemu-ga.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from qmpsh.core.exitcodes import Exit
from qmpsh.shell.history import parse_entries
from tests.faults.matrix import Probe, lines_of, one_line, row
from tests.faults.term import QEMU_PROMPT, Term
from tests.procs import (
    GuestAgent,
    Qemu,
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
    "`--no-validate -v -k -l LOG`",
)
def secrets_every_sink(p: Probe) -> tuple[str, str]:
    with vnc_qemu(p) as vm:
        # sent as typed, unchecked (--no-validate), so that every line
        # reaches every sink: the schema's check would refuse some first
        done = p.batch(
            str(vm.sock),
            "--no-validate",
            "-v",
            "-k",
            input="\n".join(QMP_LINES) + "\n",
        )
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
    "`guest-set-user-password` to qemu-ga (`--no-validate -v -l LOG`; this qemu-ga refuses it)",
    beside="secrets-every-sink",
)
def secrets_guest_agent(p: Probe) -> tuple[str, str]:
    agent = GuestAgent(p.tmp / "qga")
    try:
        done = p.batch(
            str(agent.sock),
            "--no-validate",  # else refused before sending: it is blocked here
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
