"""-o table|yaml|csv and --query against a real QEMU with two drives."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from qmpsh.core.exitcodes import Exit
from tests.procs import Qemu, qmpsh

DRIVES = (
    "-drive",
    "if=none,id=d0,file=null-co://,format=raw",
    "-drive",
    "if=none,id=d1,file=null-co://,format=raw,readonly=on",
)


@pytest.fixture
def drives(tmp_path: Path) -> Iterator[Qemu]:
    vm = Qemu(tmp_path / "qemu", monitors=2, extra=DRIVES)
    try:
        yield vm
    finally:
        vm.kill()


def test_table_of_two_drives(drives: Qemu) -> None:
    done = qmpsh("-o", "table", "-c", "query-block", str(drives.sock))
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split() == ["device", "locked", "removable", "inserted", "type"]
    assert [row.split()[0] for row in rows] == ["d0", "d1"]
    # nested values as compact JSON, and nothing cut in a pipe
    inserted = json.loads(rows[1].split()[3])
    assert inserted["ro"] is True and inserted["image"]["filename"] == "null-co://"


def test_table_of_a_query(drives: Qemu) -> None:
    done = qmpsh(
        "-o",
        "table",
        "--query",
        "[].{device: device, ro: inserted.ro, driver: inserted.drv}",
        "-c",
        "query-block",
        str(drives.sock),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "device  ro     driver\nd0      false  raw\nd1      true   raw\n"
    )


def test_yaml(drives: Qemu) -> None:
    done = qmpsh("-o", "yaml", "-c", "query-block", str(drives.sock))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "- device: d0"
    assert "  inserted:" in lines
    assert '      filename: "null-co://"' in lines  # a colon: quoted
    assert '    detect_zeroes: "off"' in lines  # a YAML 1.1 boolean: quoted
    assert any(line.startswith('    node-name: "#block') for line in lines)


def test_csv_and_a_scalar_query(drives: Qemu) -> None:
    done = qmpsh(
        "-o",
        "csv",
        "-c",
        "query-block",
        "-c",
        "qom-list path=/machine",
        str(drives.sock),
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == ["device", "locked", "removable", "inserted", "type"]
    assert [json.loads(r[3])["ro"] for r in rows[1:3]] == [False, True]
    assert rows[3] == ["name", "type"]
    assert ["peripheral-anon", "child<container>"] in rows[4:]


def test_query_in_json(drives: Qemu) -> None:
    done = qmpsh(
        "--query",
        "[?inserted.ro].device",
        "-c",
        "query-block",
        "--query",
        "[].device",
        str(drives.sock),
    )
    # the last --query given is the one
    assert (done.returncode, done.stdout) == (0, '["d0", "d1"]\n'), done.stderr
    # QMP's names with a minus, written bare as a user would
    done = qmpsh(
        "--query", "[].inserted.node-name", "-c", "query-block", str(drives.sock)
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 2
    done = qmpsh(
        "-o",
        "csv",
        "--query",
        "[?starts_with(type, 'child<')].name",
        "-c",
        "qom-list path=/machine",
        str(drives.sock),
    )
    assert done.returncode == 0, done.stderr
    assert set(done.stdout.split()) == {"peripheral-anon", "peripheral", "unattached"}


def test_a_bad_query_is_refused_before_connecting(tmp_path: Path) -> None:
    done = qmpsh("--query", "[].device[", "-c", "query-block", str(tmp_path / "no"))
    assert done.returncode == Exit.USAGE
    assert done.stdout == ""
    assert done.stderr == (
        "qmpsh: --query: column 11: the expression ends too early in "
        "'[].device[' (see qmpsh --help)\n"
    )


def test_a_query_that_fails_on_a_reply(drives: Qemu) -> None:
    done = qmpsh("--query", "length(`1`)", "-c", "query-block", str(drives.sock))
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(
        "qmpsh: -c:1: query-block: --query: In function length()"
    )


def test_errors_stay_on_stderr(drives: Qemu) -> None:
    done = qmpsh("-o", "table", "-c", "query-nonsense", str(drives.sock))
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stdout == ""
    assert "-c:1: query-nonsense: CommandNotFound" in done.stderr


def test_pretty_is_dash_p(drives: Qemu) -> None:
    one = qmpsh("-o", "pretty", "-c", "query-status", str(drives.sock))
    other = qmpsh("-p", "-c", "query-status", str(drives.sock))
    assert one.returncode == other.returncode == 0
    assert one.stdout == other.stdout and one.stdout.startswith("{\n  ")


def test_an_error_reply_follows_the_output_builtin(drives: Qemu) -> None:
    done = qmpsh(
        "-k",
        str(drives.sock),
        input="output pretty\nqom-get path=/nope property=x\n",
    )
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stdout.startswith('{\n  "error": {\n'), done.stdout


def test_the_output_builtin_in_a_script(drives: Qemu) -> None:
    script = (
        "output yaml --query '[].{d: device, ro: inserted.ro}'\n"
        "query-block\n"
        "output json --no-query\n"
        "query-name\n"
        "output\n"
        "output xml\n"
        "query-status\n"
    )
    done = qmpsh(str(drives.sock), input=script)
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stdout == (
        "- d: d0\n  ro: false\n- d: d1\n  ro: true\n"
        '{"return": {}}\n'
        '{"output": "json", "query": null}\n'
    )
    assert done.stderr == (
        "qmpsh: stdin:6: output: 'xml' is not understood: give one of json | "
        "pretty | table | yaml | csv, --query EXPR or --no-query\n"
    )


def test_a_script_has_no_sinks(drives: Qemu) -> None:
    done = qmpsh("-c", "query-status | wc -l", str(drives.sock))
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr == (
        "qmpsh: -c:1:14: expected name=value, got '|' (| and > are the shell's; "
        "in a script, pipe or redirect qmpsh's own output: qmpsh -c CMD ADDRESS "
        "| ...)\n"
    )
