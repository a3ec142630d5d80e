"""Rows of the matrix: the shell's history file (nothing lost, private, a
full disk, secrets), in a real terminal against a real QEMU."""

from __future__ import annotations

from collections.abc import Iterator

from qmpsh.core.exitcodes import Exit
from qmpsh.shell.history import parse_entries
from tests.faults.matrix import Probe, row
from tests.faults.rows_input import qemu
from tests.faults.rows_lost import SECRETS, mode
from tests.faults.term import QEMU_PROMPT, Term

SHELL = "shell"
COMMANDS = 12


def replies(term: Term) -> int:
    """How many replies (and error lines) the screen shows so far."""
    lines = term.lines()
    return sum(
        1
        for line in lines
        if line.startswith('{"return"') or line.startswith("GenericError: ")
    )


def run_all(term: Term, commands: list[str]) -> None:
    """Run each command, waiting for its reply before typing the next."""
    for command in commands:
        before = replies(term)

        def answered(_: str, before: int = before) -> bool:
            return replies(term) > before

        term.type(command)
        term.screen.keys("Enter")
        term.wait(answered)


def wire(p: Probe) -> Iterator[tuple[str, dict[str, object]]]:
    for entry in p.log_entries():
        if entry["dir"] in ("in", "out") and isinstance(entry.get("msg"), dict):
            yield entry["dir"], entry["msg"]


@row(
    "kill-9-shell",
    "nothing lost",
    f"`kill -9` of the shell after {COMMANDS} commands",
    SHELL,
    beside="kill-9",
)
def kill_9_shell(p: Probe) -> tuple[str, str]:
    commands = ["stop", "cont", "query-status"] * (COMMANDS // 3)
    term = Term(p, QEMU_PROMPT)
    try:
        with qemu(p) as vm:
            term.start(str(vm.sock))
            term.ready()
            run_all(term, commands)
            term.type("query-na")  # typed, not run: not history yet
            term.kill9()
        p.saw(term.everything())
        assert term.history_entries() == commands
    finally:
        term.close()
    raw = term.history.read_bytes()
    assert raw.endswith(b"\n")  # no torn entry
    sent = [
        (m["execute"], m.get("id"))
        for d, m in wire(p)
        if d == "out" and m.get("execute") in ("stop", "cont", "query-status")
    ]
    assert [name for name, _ in sent] == commands
    answered = {m.get("id") for d, m in wire(p) if d == "in" and "return" in m}
    assert all(msg_id in answered for _, msg_id in sent)
    p.nothing_lost()
    return (
        f"every command run before the kill is in the history file ({COMMANDS} of "
        f"{COMMANDS}, no torn entry), and in the wire log with its reply"
    ), "killed"


@row(
    "history-private",
    "nothing lost",
    "history in a new directory, then one of mode 0644 in a 0755 directory",
    SHELL,
    beside="log-private",
)
def history_private(p: Probe) -> tuple[str, str]:
    first = Term(p, QEMU_PROMPT)
    second = Term(p, QEMU_PROMPT, name="tmux2")
    try:
        with qemu(p) as vm:
            first.start(str(vm.sock))
            first.ready()
            run_all(first, ["query-status"])
            assert first.quit() == Exit.OK
            history = first.history
            assert mode(history) == 0o600 and mode(history.parent) == 0o700
            history.chmod(0o644)
            history.parent.chmod(0o755)
            second.start(str(vm.sock))
            second.ready()
            warnings = [line for line in second.lines() if "warning" in line]
            assert warnings == [
                f"warning: {history.parent} was readable by others (mode 0755): set "
                "to 0700",
                f"warning: {history} was readable by others (mode 0644): set to 0600",
            ]
            run_all(second, ["query-name"])
            code = second.quit()
    finally:
        first.close()
        second.close()
    assert mode(history) == 0o600 and mode(history.parent) == 0o700
    assert second.history_entries() == ["query-status", "query-name"]
    assert code == Exit.OK
    p.nothing_lost()
    return (
        "new: 0600 in a 0700 directory; old: "
        + p.shown(warnings[1])
        + " (and the directory 0755 to 0700)"
    ), str(code)


@row(
    "history-full",
    "nothing lost",
    "the history on a full disk (the history file is a link to /dev/full)",
    SHELL,
    beside="log-full",
)
def history_full(p: Probe) -> tuple[str, str]:
    term = Term(p, QEMU_PROMPT)
    term.history.parent.mkdir(parents=True, mode=0o700)
    term.history.symlink_to("/dev/full")
    try:
        with qemu(p) as vm:
            term.start(str(vm.sock))
            term.ready()
            run_all(term, ["stop", "cont"])
            warnings = [line for line in term.lines() if "warning" in line]
            assert warnings == [
                f"warning: cannot write the history {term.history}: no space left on "
                "device; this session's commands are kept in memory only"
            ]
            term.screen.keys("Up")  # this session's commands are still there
            term.wait_input("cont")
            term.screen.keys("C-u")
            code = term.quit()
    finally:
        term.close()
    assert code == Exit.OK
    p.nothing_lost()  # every reply shown; the history's loss said once
    return "replies printed; " + p.shown(warnings[0]) + "; Up still recalls them", str(
        code
    )


@row(
    "history-unwritable",
    "nothing lost",
    "a history that cannot be written (its directory is a file)",
    SHELL,
    beside="log-unopenable",
)
def history_unwritable(p: Probe) -> tuple[str, str]:
    term = Term(p, QEMU_PROMPT)
    blocker = term.history.parent
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("")
    try:
        with qemu(p) as vm:
            term.start(str(vm.sock))
            term.ready()
            run_all(term, ["query-status", "query-name"])
            warnings = [line for line in term.lines() if "warning" in line]
            assert warnings == [
                f"warning: cannot write the history {term.history}: not a directory; "
                "this session's commands are kept in memory only"
            ]
            code = term.quit()
    finally:
        term.close()
    assert code == Exit.OK and blocker.read_text() == ""
    p.nothing_lost()
    return "replies printed; " + p.shown(warnings[0]), str(code)


def _secrets(p: Probe, *args: str) -> str:
    """Type the secret-carrying commands of the batch rows in the shell;
    the history file's text."""
    term = Term(p, QEMU_PROMPT)
    try:
        with qemu(p) as vm:
            term.start(str(vm.sock), *args)
            term.ready()
            run_all(term, SECRETS.splitlines())
            text = term.everything()
            assert "GenericError: Could not set password" in text  # no VNC here
            code = term.quit()
            ids = {
                o["name"]
                for o in vm.qmp(
                    {"execute": "qom-list", "arguments": {"path": "/objects"}}
                )[0]["return"]
            }
    finally:
        term.close()
    assert code == Exit.OK
    assert {"s0", "s1"} <= ids  # the secrets reached QEMU as typed
    assert len(term.history_entries()) == 3
    return term.history.read_text()


@row(
    "secrets-shell",
    "secrets",
    "the same typed in the shell",
    SHELL,
    beside="secrets",
)
def secrets_shell(p: Probe) -> tuple[str, str]:
    history = _secrets(p)
    assert "hunter2" not in history
    assert "hunter2" not in p.log.read_text()
    assert parse_entries(history) == [
        "object-add qom-type=secret id=s0 data=<redacted>",
        "set_password protocol=vnc password=<redacted>",
        'human-monitor-command command-line="object_add secret,id=s1,data=<redacted>"',
    ]
    p.nothing_lost()
    return (
        "sent as typed; the history file and the wire log have `<redacted>` in their "
        "place"
    ), "0"


@row(
    "secrets-kept-shell",
    "secrets",
    "the same typed in the shell with `--log-secrets`",
    SHELL,
    beside="secrets-kept",
)
def secrets_kept_shell(p: Probe) -> tuple[str, str]:
    history = _secrets(p, "--log-secrets")
    assert parse_entries(history) == SECRETS.splitlines()
    assert p.log.read_text().count("hunter2") == 3
    p.nothing_lost()
    return "the history file and the wire log have them as typed", "0"
