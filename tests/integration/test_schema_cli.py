"""The schema at work in qmpsh itself: batch validation (--validate), the
``help`` built-in, and the interactive shell in a real terminal (tmux)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from qmpsh.core.exitcodes import Exit
from tests.procs import Qemu, qmpsh
from tests.storage import StorageDaemon
from tests.terminal.tmux import Screen


def sent(log: Path) -> list[str]:
    """The commands qmpsh sent, from its wire log."""
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    return [
        e["msg"].get("execute", e["msg"].get("exec-oob", "?"))
        for e in entries
        if e.get("dir") == "out"
    ]


# -- batch mode ----------------------------------------------------------------


def test_batch_types_and_checks_by_default(qemu: Qemu, tmp_path: Path) -> None:
    log = tmp_path / "wire.jsonl"
    # a line without arguments needs no schema: none is loaded
    done = qmpsh("-l", str(log), "-c", "query-name", str(qemu.sock))
    assert done.returncode == 0, done.stderr
    assert sent(log) == ["qmp_capabilities", "query-name"]
    # one with arguments is checked as in the shell
    done = qmpsh("-c", "device_del devce=x", str(qemu.sock))
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr == (
        "qmpsh: -c:1: device_del: Parameter 'devce' is unexpected; did you mean 'id'?\n"
    )
    # a misspelt command without arguments: QEMU's answer, and a hint
    done = qmpsh("-c", "query-stauts", str(qemu.sock))
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stderr == (
        "qmpsh: -c:1: query-stauts: CommandNotFound: The command query-stauts "
        "has not been found; did you mean 'query-status' or 'query-stats'?\n"
    )
    # --no-validate sends the line as typed
    log2 = tmp_path / "wire2.jsonl"
    done = qmpsh(
        "--no-validate", "-l", str(log2), "-c", "device_del devce=x", str(qemu.sock)
    )
    assert done.returncode == Exit.COMMAND_ERROR
    assert "Parameter 'id' is missing" in done.stderr  # QEMU's own answer
    assert sent(log2) == ["qmp_capabilities", "device_del"]


def test_batch_validate_refuses_before_sending(qemu: Qemu, tmp_path: Path) -> None:
    log = tmp_path / "wire.jsonl"
    script = "query-status\ndevice_del devce=x\nquery-name\n"
    done = qmpsh("--validate", "-l", str(log), str(qemu.sock), input=script)
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr == (
        "qmpsh: stdin:2: device_del: Parameter 'devce' is unexpected; "
        "did you mean 'id'?\n"
    )
    assert json.loads(done.stdout)["return"]["running"] is True
    commands = sent(log)
    assert "device_del" not in commands and "query-name" not in commands
    assert {"query-commands", "query-qmp-schema"} <= set(commands)
    # the next run finds the schema in the cache: no query-qmp-schema
    qmpsh("--validate", "-l", str(log), "-c", "query-name", str(qemu.sock))
    second = sent(log)[len(commands) :]
    assert "query-qmp-schema" not in second and "query-commands" in second


def test_batch_validate_keep_going_and_force(qemu: Qemu) -> None:
    done = qmpsh(
        "--validate",
        "-k",
        str(qemu.sock),
        input="query-stauts\n!device_del devce=x\nquery-name\n",
    )
    assert done.returncode == Exit.PARSE_ERROR  # the first failure's code
    lines = done.stderr.splitlines()
    assert lines[0] == (
        "qmpsh: stdin:1: The command query-stauts has not been found; "
        "did you mean 'query-status' or 'query-stats'?"
    )
    # the ! line went to QEMU as typed, and QEMU refused it itself
    assert lines[1].startswith("qmpsh: stdin:2: device_del: GenericError: Parameter")
    assert len(done.stdout.splitlines()) == 2  # device_del's error, query-name


def test_batch_validate_names_a_misspelt_builtin(qemu: Qemu, tmp_path: Path) -> None:
    log = tmp_path / "wire.jsonl"
    script = "jbos\nwiat BLOCK_JOB_READY\nhlep query-status\nquery-status x\n"
    done = qmpsh("--validate", "-k", "-l", str(log), str(qemu.sock), input=script)
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr.splitlines() == [
        "qmpsh: stdin:1: The command jbos has not been found; did you mean 'jobs'?",
        "qmpsh: stdin:2: The command wiat has not been found; did you mean 'wait'?",
        "qmpsh: stdin:3: The command hlep has not been found; did you mean 'help'?",
        # a known command: the parser's own words
        "qmpsh: stdin:4:14: expected name=value, got 'x'",
    ]
    assert done.stdout == ""
    assert sent(log)[-1] == "query-qmp-schema"  # nothing after the schema
    # without the schema there is nothing to know the names by
    plain = qmpsh("--no-validate", "-c", "wiat BLOCK_JOB_READY", str(qemu.sock))
    assert plain.stderr == "qmpsh: -c:1:6: expected name=value, got 'BLOCK_JOB_READY'\n"


def test_batch_validate_types_values_by_schema(qemu: Qemu) -> None:
    line = "qom-get path=/machine property=123"
    plain = qmpsh("--no-validate", "-c", line, str(qemu.sock))
    assert "expected: string" in plain.stderr  # 123 went as a number
    typed = qmpsh("-c", line, str(qemu.sock))
    assert "Property 'none-machine.123' not found" in typed.stderr
    # and ! skips only the check, not the typing
    forced = qmpsh("--validate", "-c", "!" + line, str(qemu.sock))
    assert "Property 'none-machine.123' not found" in forced.stderr


@pytest.fixture
def qsd(tmp_path: Path) -> Iterator[StorageDaemon]:
    daemon = StorageDaemon(tmp_path / "qsd")
    try:
        yield daemon
    finally:
        daemon.kill()


def test_a_one_shot_reads_the_index_of_its_build(
    qemu: Qemu, qsd: StorageDaemon, tmp_path: Path, private_dirs: Path
) -> None:
    """A typed one-shot reads its command's types from the cached schema's
    index (after query-commands says it is this build's), not the schema."""
    line = "qom-get path=/machine propery=type"
    said = (
        "qmpsh: -c:1: qom-get: Parameter 'propery' is unexpected; "
        "did you mean 'property'?\n"
    )
    logs = [tmp_path / f"wire{i}.jsonl" for i in range(5)]
    first = qmpsh("-l", str(logs[0]), "-c", line, str(qemu.sock))
    assert (first.returncode, first.stderr) == (Exit.PARSE_ERROR, said)
    assert sent(logs[0]) == ["qmp_capabilities", "query-commands", "query-qmp-schema"]
    cache = private_dirs / "cache" / "qmpsh" / "schema"
    (index,) = cache.glob("*.idx")
    assert index.with_suffix(".json").exists()
    second = qmpsh("-l", str(logs[1]), "-c", line, str(qemu.sock))
    assert (second.returncode, second.stderr) == (Exit.PARSE_ERROR, said)
    assert sent(logs[1]) == ["qmp_capabilities", "query-commands"]
    typed = qmpsh("-c", "qom-get path=/machine property=type", str(qemu.sock))
    assert (typed.returncode, typed.stdout) == (0, '{"return": "none-machine"}\n')
    # the storage daemon greets alike, but is another build: its own schema
    daemon = qmpsh("-l", str(logs[2]), "-c", "device_del id=x", str(qsd.sock))
    assert daemon.returncode == Exit.PARSE_ERROR
    assert "The command device_del has not been found" in daemon.stderr
    assert "query-qmp-schema" in sent(logs[2])
    assert len(list(cache.glob("*.idx"))) == 2
    # a damaged index: the whole schema is read, and the index written anew
    whole = index.read_bytes()
    index.write_bytes(whole[: len(whole) // 2])
    again = qmpsh("-l", str(logs[3]), "-c", line, str(qemu.sock))
    assert (again.returncode, again.stderr) == (Exit.PARSE_ERROR, said)
    assert "query-qmp-schema" not in sent(logs[3])
    assert index.read_bytes() == whole
    last = qmpsh("-l", str(logs[4]), "-c", line, str(qemu.sock))
    assert (last.returncode, last.stderr) == (Exit.PARSE_ERROR, said)
    assert sent(logs[4]) == ["qmp_capabilities", "query-commands"]


def test_batch_types_device_properties_by_their_type(
    qemu: Qemu, tmp_path: Path
) -> None:
    """device_add driver=X: X's properties (device-list-properties, asked
    once per driver) type the values the schema does not describe."""

    def arguments(log: Path) -> dict[str, object]:
        for line in log.read_text().splitlines():
            msg = json.loads(line).get("msg", {})
            if msg.get("execute") == "device_add":
                args: dict[str, object] = msg["arguments"]
                return args
        raise AssertionError("no device_add sent")

    line = (
        "device_add driver=virtio-blk-pci serial=123 scsi=false "
        "discard_granularity=4K x-not-a-property=12"
    )
    log = tmp_path / "typed.jsonl"
    done = qmpsh("-l", str(log), "-c", line, str(qemu.sock))
    assert "No 'PCI' bus found" in done.stderr  # -M none: QEMU's own answer
    assert arguments(log) == {
        "driver": "virtio-blk-pci",
        "serial": "123",
        "scsi": False,
        "discard_granularity": 4096,
        "x-not-a-property": 12,
    }
    assert sent(log).count("device-list-properties") == 1
    # --no-validate: the schema-less rules, nothing asked
    plain = tmp_path / "plain.jsonl"
    qmpsh("--no-validate", "-l", str(plain), "-c", line, str(qemu.sock))
    assert arguments(plain)["serial"] == 123
    assert "device-list-properties" not in sent(plain)
    # a driver QEMU does not know: no properties, no error of ours
    nope = tmp_path / "nope.jsonl"
    done = qmpsh(
        "-l", str(nope), "-c", "device_add driver=nope serial=1", str(qemu.sock)
    )
    assert done.stderr.count("\n") == 1 and "nope" in done.stderr
    assert arguments(nope)["serial"] == 1


def test_no_validate_in_batch_means_no_schema(qemu: Qemu, tmp_path: Path) -> None:
    log = tmp_path / "wire.jsonl"
    qmpsh("--no-validate", "-l", str(log), "-c", "query-name", str(qemu.sock))
    assert sent(log) == ["qmp_capabilities", "query-name"]


def test_validate_on_a_guest_agent_checks_nothing(qga: object) -> None:
    done = qmpsh("-N", "--validate", "-c", "guest-ping", str(qga.sock))  # type: ignore[attr-defined]
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"return": {}}


# -- help ----------------------------------------------------------------------


def test_help_lists_commands_and_builtins(qemu: Qemu) -> None:
    done = qmpsh("-c", "help", str(qemu.sock))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("QMP and the monitor:\n")
    assert "query-status" in out and "drive-backup*" in out
    builtins = out[out.index("built-ins:\n") :].splitlines()
    assert {"events", "help"} <= {line.split()[0] for line in builtins[1:] if line}


def test_help_for_a_command_an_event_and_a_variant(qemu: Qemu) -> None:
    done = qmpsh(
        "-c",
        "help device_del",
        "-c",
        "help SHUTDOWN",
        "-c",
        "help blockdev-add driver=qcow2",
        str(qemu.sock),
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    # (what QEMU's manual adds between these lines: test_help_manual.py)
    assert out.startswith("device_del: command\n")
    assert "\n  arguments:\n    id  str, required\n" in out
    assert "\n  returns: nothing ({})\n" in out and "\n  out-of-band: no\n" in out
    assert "\nSHUTDOWN: event\n" in out
    assert "\n  data:\n    guest   bool, required\n" in out
    assert "lazy-refcounts" in out  # the qcow2 variant's members


def test_help_for_a_builtin_is_plain_wrapped_text(qemu: Qemu) -> None:
    done = qmpsh("-c", "help wait", str(qemu.sock))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == [
        "wait EVENT [EVENT ...] [FIELD=VALUE ...] [--timeout SECONDS]",
        "     [--fail-on EVENT:FIELD=VALUE,...] [--history]: built-in",
    ]
    assert "``" not in done.stdout
    assert all(len(line) <= 80 for line in lines)
    assert all(not line or line[:3] == "  " + line[2:3].strip() for line in lines[2:])
    assert "before wait was typed counts" in done.stdout.replace("\n  ", " ")


def test_help_errors(qemu: Qemu) -> None:
    done = qmpsh("-c", "help query-stauts", str(qemu.sock))
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr == (  # one line, where and what
        "qmpsh: -c:1: help: no command, event or built-in named 'query-stauts'; "
        "did you mean 'query-status' or 'query-stats'?\n"
    )
    done = qmpsh("-k", "-c", "help nosuch", "-c", "query-status", str(qemu.sock))
    assert done.returncode == Exit.PARSE_ERROR and done.stdout.startswith('{"return"')
    assert done.stderr == (
        "qmpsh: -c:1: help: no command, event or built-in named 'nosuch'\n"
    )
    keys = qmpsh("-c", "help keys", str(qemu.sock))
    assert keys.returncode == 0
    assert keys.stdout.strip() and "no key help" not in keys.stdout


def test_help_without_schema_on_a_guest_agent(qga: object) -> None:
    """No schema, but guest-info: help lists and names the agent's commands."""
    sock = str(qga.sock)  # type: ignore[attr-defined]
    done = qmpsh("-N", "-c", "help", sock)
    assert done.returncode == 0
    assert done.stdout.startswith("commands of qemu-ga ")
    assert "built-ins:" in done.stdout
    done = qmpsh("-N", "-c", "help guest-ping", sock)
    assert done.returncode == 0
    # from QEMU's manual (test_help_manual.py), else from guest-info alone
    first, second = done.stdout.splitlines()[:2]
    assert (first, second) == (
        "guest-ping: command (from the manual)",
        "  a command of this guest agent (enabled)",
    ) or first.startswith("guest-ping: a command of this guest agent (enabled).")
    done = qmpsh("-N", "-c", "help query-status", sock)
    assert done.returncode == 3
    assert done.stderr.startswith(
        "qmpsh: -c:1: help: this guest agent has no command 'query-status'; "
        "did you mean"
    )
    assert done.stderr.count("\n") == 1


# -- the interactive shell, in a real terminal ----------------------------------


@pytest.fixture
def shell(qemu: Qemu, tmp_path: Path) -> Iterator[Screen]:
    term = Screen(tmp_path / "tmux")
    try:
        term.qmpsh(str(qemu.sock), env={"NO_COLOR": "1"})
        term.wait("(qemu 7.2 none-machine)")
        yield term
    finally:
        term.close()


def test_shell_completes_validates_and_types(shell: Screen) -> None:
    # help waits for the schema, so what follows sees it loaded
    shell.send("help device_del")
    shell.keys("Enter")
    shell.wait("id  str, required")
    shell.keys("C-l")
    # completion: a unique completion is inserted, a menu shows types
    shell.send("query-statu")
    shell.keys("Tab")
    shell.wait("(qemu 7.2 none-machine) query-status")
    shell.keys("Enter")
    shell.wait('"status": "running"')
    shell.keys("C-l")
    shell.send("blockdev-add driver=qcow2 file.driver=file file.")
    shell.keys("Tab")
    screen = shell.wait("str, required")
    # (then, once QEMU's manual is at hand, what it says: test_manual_shell.py)
    menu = " ".join(screen.splitlines()[1].split())
    assert menu == "filename str, required" or menu.startswith(
        "filename str, required: "
    )
    assert "node-name              str, optional" in screen
    shell.keys("C-c", "C-l")
    # validation: refused before sending, with the way around it
    shell.send("device_del devce=x")
    shell.keys("Enter")
    screen = shell.wait("anyway)")  # may be cut by the line's end: joined below
    assert (
        "device_del: Parameter 'devce' is unexpected; did you mean 'id'? "
        "(Enter again, or a leading !, sends it anyway)" in screen.replace("\n", "")
    )
    shell.keys("C-c", "C-l")  # the refused line stays in the input: clear it
    shell.send("!device_del devce=x")
    shell.keys("Enter")
    shell.wait("GenericError: Parameter 'id' is missing")
    shell.keys("C-l")
    # values typed by the schema: 123 is a string for a str argument
    shell.send("qom-get path=/machine property=123")
    shell.keys("Enter")
    shell.wait("Property 'none-machine.123' not found")
