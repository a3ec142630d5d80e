"""Variables and aliases in batch mode, against real QEMU and qemu-ga:
``NAME = COMMAND``, ``$NAME``, ``$_``, JMESPath picks, what is refused
before sending (checked in the wire log), aliases from the config file."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qmpsh.core.exitcodes import Exit
from tests.procs import GuestAgent, Qemu, qmpsh


@pytest.fixture
def qga_files(tmp_path: Path) -> Iterator[GuestAgent]:
    """qemu-ga with the guest-file commands left enabled."""
    agent = GuestAgent(
        tmp_path / "qga-files",
        allow=("guest-file-open", "guest-file-read", "guest-file-close"),
    )
    try:
        yield agent
    finally:
        agent.kill()


def sent(log: Path) -> list[dict[str, Any]]:
    """The requests the wire log says were sent."""
    out = []
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        if entry["dir"] == "out" and "msg" in entry:
            out.append(entry["msg"])
    return out


def write_config(text: str) -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "qmpsh" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def replies(stdout: str) -> list[Any]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_a_guest_file_handle_from_one_line_used_in_the_next(
    qga_files: GuestAgent, tmp_path: Path
) -> None:
    log = tmp_path / "wire.jsonl"
    script = (
        "h = guest-file-open path=/etc/hostname\n"
        "guest-file-read handle=$h count=4096\n"
        "guest-file-close handle=$h\n"
    )
    done = qmpsh(str(qga_files.sock), "-l", str(log), input=script)
    assert done.returncode == 0, done.stderr
    opened, read, closed = replies(done.stdout)
    handle = opened["return"]
    assert isinstance(handle, int)
    text = base64.b64decode(read["return"]["buf-b64"]).decode()
    assert text == Path("/etc/hostname").read_text()
    assert closed == {"return": {}}
    # the handle went out as the integer it is
    requests = [m for m in sent(log) if m.get("execute", "").startswith("guest-file")]
    assert [m["arguments"].get("handle") for m in requests] == [None, handle, handle]


def test_the_last_value_and_a_jmespath_pick(qemu: Qemu, tmp_path: Path) -> None:
    log = tmp_path / "wire.jsonl"
    done = qmpsh(
        str(qemu.sock),
        "-l",
        str(log),
        "-c",
        "j = query-jobs",
        "-c",
        "qom-get path=/machine property=type",
        "-c",
        "qom-list-properties typename=$_",
        "-c",
        "l = qom-list path=/machine",
        "-c",
        "qom-get path=/machine property=${l[?name=='type'] | [0].name}",
        "-c",
        '{"execute": "qom-get", "arguments": {"path": "/machine", "property": ${l[0].name}}}',
        "-c",
        "vars j",
    )
    assert done.returncode == 0, done.stderr
    out = replies(done.stdout)
    assert out[0] == {"return": []}
    assert out[1] == {"return": "none-machine"}
    assert isinstance(out[2]["return"], list)
    assert out[4] == {"return": "none-machine"}
    assert "return" in out[5]
    assert out[6] == {"j": []}
    typed = [m for m in sent(log) if m.get("execute") == "qom-list-properties"]
    assert typed[0]["arguments"] == {"typename": "none-machine"}


def test_a_pick_that_finds_nothing_is_one_line_without_a_pipe_hint(
    qemu: Qemu,
) -> None:
    # the README's example: the | is JMESPath's, not a shell pipe
    done = qmpsh(
        str(qemu.sock),
        "-c",
        "j = query-jobs",
        "-c",
        "job-cancel id=${j[?status=='running'] | [0].id}",
    )
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr == (
        "qmpsh: -c:2:15: ${j[?status=='running'] | [0].id} picks nothing from $j\n"
    )


def test_an_undefined_variable_is_refused_before_anything_is_sent(
    qemu: Qemu, tmp_path: Path
) -> None:
    log = tmp_path / "wire.jsonl"
    done = qmpsh(
        str(qemu.sock), "-l", str(log), "-c", "qom-get path=/machine property=$typo"
    )
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stdout == ""
    assert done.stderr == (
        "qmpsh: -c:1:32: undefined variable $typo (for a literal $, write \\$ or "
        "quote the value)\n"
    )
    assert not [m for m in sent(log) if m.get("execute") == "qom-get"]
    # a misspelt one: did you mean, and the later lines are not sent
    done = qmpsh(
        str(qemu.sock),
        "-l",
        str(log),
        "-c",
        "machine = qom-get path=/machine property=type",
        "-c",
        "qom-list-properties typename=$machin",
        "-c",
        "query-status",
    )
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr == (
        "qmpsh: -c:2:30: undefined variable $machin (did you mean $machine?)\n"
    )
    assert not [m for m in sent(log) if m.get("execute") == "query-status"]


def test_a_failed_command_leaves_its_variable_unbound(qemu: Qemu) -> None:
    done = qmpsh(
        str(qemu.sock),
        "-k",
        "-c",
        "t = qom-get path=/nowhere property=type",
        "-c",
        "qom-list-properties typename=$t",
    )
    assert done.returncode == Exit.COMMAND_ERROR
    lines = done.stderr.splitlines()
    assert lines[0].startswith("qmpsh: -c:1: qom-get: DeviceNotFound")
    assert lines[1] == ("qmpsh: -c:2:30: $t is not bound: its command failed (-c:1)")


def test_a_dollar_that_is_no_reference_is_sent_as_before(
    qemu: Qemu, tmp_path: Path
) -> None:
    log = tmp_path / "wire.jsonl"
    done = qmpsh(
        str(qemu.sock),
        "-k",
        "-l",
        str(log),
        "-c",
        "qom-get path=/a\\$b property='$c'",
        "-c",
        "qom-get path=cost5$ property=$1",
    )
    assert done.returncode == Exit.COMMAND_ERROR
    paths = [m["arguments"] for m in sent(log) if m.get("execute") == "qom-get"]
    assert paths == [
        {"path": "/a$b", "property": "$c"},
        {"path": "cost5$", "property": "$1"},
    ]


def test_aliases_from_the_config_file_in_batch_mode(qemu: Qemu, tmp_path: Path) -> None:
    path = write_config(
        "[aliases]\n"
        'mtype = "qom-get path=$1 property=type"\n'
        'props = "qom-list-properties typename=$1 $@"\n'
        'loop1 = "loop2"\n'
        'loop2 = "loop1 x=1"\n'
        'help = "query-status"\n'
    )
    log = tmp_path / "wire.jsonl"
    done = qmpsh(
        str(qemu.sock),
        "-l",
        str(log),
        "-c",
        "t = mtype /machine",
        "-c",
        "props $t",
    )
    assert done.returncode == 0, done.stderr
    out = replies(done.stdout)
    assert out[0] == {"return": "none-machine"}
    assert isinstance(out[1]["return"], list)
    # the aliases that cannot be used are said once each, and left out
    assert done.stderr.splitlines() == [
        "qmpsh: [aliases] in the config file: alias loop1 -> loop2 -> loop1 is "
        "recursive; left out",
        "qmpsh: [aliases] in the config file: alias loop2 -> loop1 -> loop2 is "
        "recursive; left out",
        "qmpsh: [aliases] in the config file: help is a built-in or a command of "
        "the server: an alias may not hide it; left out",
    ]
    # a missing parameter: one line at its column, nothing sent
    write_config(f'[aliases]\nmtype = "qom-get path=$1 property=type"\n# {path}\n')
    done = qmpsh(str(qemu.sock), "-l", str(log), "-c", "mtype")
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr == "qmpsh: -c:1:6: mtype: $1 is not given: mtype $1\n"


def test_the_alias_builtin_refuses_a_cycle_and_a_command_name(qemu: Qemu) -> None:
    done = qmpsh(
        str(qemu.sock),
        "-k",
        "-c",
        "alias a = b x=1",
        "-c",
        "alias b = a",
        "-c",
        "alias query-name = query-status",
        "-c",
        "alias st = query-status",
        "-c",
        "st",
        "-c",
        "alias",
    )
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr.splitlines() == [
        "qmpsh: -c:2: alias: alias b -> a -> b is recursive",
        "qmpsh: -c:3: alias: query-name is a built-in or a command of the server: "
        "an alias may not hide it",
    ]
    out = replies(done.stdout)
    assert out[0]["return"]["status"] == "running"
    assert out[1] == {"a": "b x=1", "st": "query-status"}


def test_a_mistaken_name_says_what_would_be_right(qemu: Qemu) -> None:
    """Each mistake is one line: where, what was wrong, what would do."""
    lines = ["1x = query-status", "x=query-status", "@web1 query-status"]
    lines += ["alias 1bad = query-status", "alias x =", "query-status"]
    args = [a for line in lines for a in ("-c", line)]
    done = qmpsh(str(qemu.sock), "-k", *args)
    assert done.returncode == Exit.PARSE_ERROR
    assert replies(done.stdout)[0]["return"]["status"] == "running"
    assert done.stderr.splitlines() == [
        "qmpsh: -c:1:1: a variable's name starts with a letter or _, then "
        "letters, digits and _, not '1x'",
        "qmpsh: -c:2:1: a line starts with a command name, not 'x=query-status' "
        "(to bind a reply, write x = query-status)",
        "qmpsh: -c:3:1: a line starts with a command name, not '@web1': @TARGET "
        "works in a shell on several targets; in a script, give the target as "
        "ADDRESS (several for fan-out)",
        "qmpsh: -c:4: alias: an alias's name is a command's name (a letter or _, "
        "then letters, digits, -, _), not '1bad'",
        "qmpsh: -c:5: alias: alias x = needs a command after =",
    ]


def test_a_config_alias_with_a_command_s_name_is_refused_at_use(qemu: Qemu) -> None:
    write_config('[aliases]\nquery-name = "query-status"\n')
    done = qmpsh(str(qemu.sock), "-c", "query-name")
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr == (
        "qmpsh: -c:1: query-name is an alias and a command of the server: rename "
        "the alias\n"
    )


def test_help_lists_and_shows_aliases(qemu: Qemu) -> None:
    done = qmpsh(
        str(qemu.sock),
        "-c",
        "alias mtype = qom-get path=$1 property=type",
        "-c",
        "help mtype",
        "-c",
        "help",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "mtype $1\n  alias: qom-get path=$1 property=type\n  (the alias built-in)\n"
    )
    assert done.stdout.rstrip().endswith(
        "aliases:\n  mtype  qom-get path=$1 property=type"
    )


def test_a_script_reads_a_line_as_the_shell_does(qemu: Qemu) -> None:
    """Its parts are where `qmpsh.lang.anatomy` finds them: ``alias NAME =``
    is a definition only when the name is one word before the ``=``, a
    built-in's line with the shell's sink is refused (its words never get
    the ``|``), and ``!`` before a built-in's name is the server's command
    of that name (``!getfd``), as the shell sends it."""
    done = qmpsh(
        str(qemu.sock),
        "-k",
        "-c",
        "alias m x=1",
        "-c",
        "alias m = query-name | wc -l",
        "-c",
        "vars > vars.json",
        "-c",
        "!getfd fdname=x",
        "-c",
        "alias",
    )
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr.splitlines() == [
        "qmpsh: -c:1: alias: no definition nor a name: alias NAME = COMMAND ... "
        "defines one, alias NAME shows it",
        "qmpsh: -c:2:22: alias: | and > are the shell's; in a script, pipe or "
        "redirect qmpsh's own output: qmpsh -c CMD ADDRESS | ...",
        "qmpsh: -c:3:6: vars: | and > are the shell's; in a script, pipe or "
        "redirect qmpsh's own output: qmpsh -c CMD ADDRESS | ...",
        "qmpsh: -c:4: getfd: GenericError: No file descriptor supplied via SCM_RIGHTS",
    ]
    error = {
        "class": "GenericError",
        "desc": "No file descriptor supplied via SCM_RIGHTS",
    }
    assert replies(done.stdout) == [{"error": error}, {}]  # QEMU's getfd; no alias
