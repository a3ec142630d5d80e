"""Input that must be refused (or read right) before anything reaches QEMU:
numbers JSON cannot carry, timeouts that are not numbers, a byte-order mark,
transactions written tight or nested, ``wait`` without an event, the
built-ins' arguments, and custom ids.  Against a real QEMU."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path
from typing import Any

import pytest

from qmpsh.core.errors import BadRequest
from qmpsh.core.exitcodes import Exit
from qmpsh.wire.connection import Connection
from qmpsh.wire.stream import UnixSocket
from tests.procs import Qemu, qmpsh


def lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines()]


def sent(log: Path) -> list[dict[str, Any]]:
    """The messages qmpsh wrote to the socket, from its wire log."""
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    return [e["msg"] for e in entries if e["dir"] == "out" and "msg" in e]


# -- numbers JSON has no spelling for ----------------------------------------


@pytest.mark.parametrize(
    ("line", "where"),
    [
        ("x a=[1e400]", "stdin:1:6: bad JSON value: '1e400' is out of range"),
        ("x a={'b': -1e400}", "stdin:1:11: bad JSON value: '-1e400' is out of range"),
        (
            '{"execute": "x", "arguments": {"a": 1e400}}',
            "stdin:1:37: bad JSON: '1e400' is out of range",
        ),
    ],
)
def test_a_number_too_big_is_refused_with_its_column(
    qemu: Qemu, tmp_path: Path, line: str, where: str
) -> None:
    log = tmp_path / "wire.jsonl"
    done = qmpsh(
        "--no-validate", "-l", str(log), str(qemu.sock), input=f"{line}\nquery-name\n"
    )
    assert done.returncode == Exit.PARSE_ERROR, done.stderr
    assert done.stderr.startswith(f"qmpsh: {where}")
    assert done.stderr.count("\n") == 1 and done.stdout == ""
    assert [m for m in sent(log) if m.get("execute") == "x"] == []
    # a bare word stays a string, as before
    done = qmpsh("--no-validate", "-v", str(qemu.sock), "-c", "x a=1e400")
    assert lines(done.stdout)[0] == {"execute": "x", "arguments": {"a": "1e400"}}
    assert done.returncode == Exit.COMMAND_ERROR  # CommandNotFound, not lost


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_nothing_sends_a_non_finite_number(qemu: Qemu, bad: float) -> None:
    """The backstop below the parser: refused before sending, the session
    goes on (QEMU would answer an error without an id and qmpsh would drop
    the connection)."""

    async def run() -> tuple[str, dict[str, Any]]:
        conn = Connection()
        await conn.connect(UnixSocket(str(qemu.sock)))
        try:
            message = {"execute": "x", "arguments": {"a": [1, {"b": bad}]}}
            with pytest.raises(BadRequest) as info:
                await conn.execute(message, 10)
            return info.value.message, await conn.execute({"execute": "query-name"})
        finally:
            await conn.close()

    message, after = asyncio.run(run())
    assert message.startswith("cannot send ") and "JSON has no such number" in message
    assert ("NaN" if bad != bad else "Infinity") in message
    assert after == {"return": {}}


# -- timeouts -----------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--timeout", "nan", "-c", "query-name"],
        ["--timeout", "inf", "-c", "query-name"],
        ["--connect-timeout", "nan", "-c", "query-name"],
        ["qom", "get", "--timeout", "nan", "-s", "{sock}", "/machine.type"],
        ["events", "-t", "nan", "{sock}"],
        ["events", "--connect-timeout", "inf", "{sock}"],
    ],
)
def test_a_timeout_that_is_not_a_number_is_a_usage_error(
    qemu: Qemu, argv: list[str]
) -> None:
    args = [a.replace("{sock}", str(qemu.sock)) for a in argv]
    if "{sock}" not in argv:
        args.append(str(qemu.sock))
    done = qmpsh(*args)
    assert done.returncode == Exit.USAGE, done.stderr
    assert "is not a finite number in the range x>0" in done.stderr
    assert done.stderr.count("\n") == 1 and done.stdout == ""


# -- a byte-order mark --------------------------------------------------------

BOM = "\ufeff".encode()


def test_a_byte_order_mark_starting_a_script_is_skipped(
    qemu: Qemu, tmp_path: Path
) -> None:
    done = qmpsh(str(qemu.sock), input=BOM + b"query-name\r\nquery-status\r\n")
    assert done.returncode == 0, done.stderr
    assert len(lines(done.stdout)) == 2
    script = tmp_path / "bom.qmp"
    script.write_bytes(BOM + b"query-name\n")
    done = qmpsh("-f", str(script), str(qemu.sock))
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout) == [{"return": {}}]


def test_a_byte_order_mark_in_hmp_mode(q35: Qemu) -> None:
    done = qmpsh("-H", str(q35.sock), input=BOM + b"info status\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "VM status: paused (prelaunch)\n"


def test_a_lone_carriage_return_is_named(qemu: Qemu) -> None:
    done = qmpsh(str(qemu.sock), input=b"query-name\rquery-status\n")
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr == (
        "qmpsh: stdin:1:12: expected name=value, got 'query-status' "
        "(a carriage return \\r alone does not end a line)\n"
    )


# -- transactions -------------------------------------------------------------


def test_tight_transactions(qemu: Qemu) -> None:
    # QEMU takes an empty list of actions and does nothing
    done = qmpsh("-v", str(qemu.sock), "-c", "transaction()")
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout) == [
        {"execute": "transaction", "arguments": {"actions": []}},
        {"return": {}},
    ]
    done = qmpsh(str(qemu.sock), "-c", "transaction(abort) completion-mode=grouped")
    assert done.returncode == Exit.COMMAND_ERROR
    assert "Transaction aborted using Abort action" in done.stdout
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("script", "where"),
    [
        (
            "transaction(\n  abort\n  transaction(\n)\n",
            "stdin:3:3: transactions do not nest",
        ),
        (
            'transaction(\n  {"execute": "query-name"}\n)\n',
            "stdin:2:3: a transaction line is an action in shorthand",
        ),
    ],
)
def test_a_transaction_line_that_is_no_action(
    qemu: Qemu, tmp_path: Path, script: str, where: str
) -> None:
    log = tmp_path / "wire.jsonl"
    done = qmpsh("-l", str(log), str(qemu.sock), input=script)
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr.startswith(f"qmpsh: {where}")
    assert done.stderr.count("\n") == 1
    assert [m for m in sent(log) if m.get("execute") == "transaction"] == []


# -- wait ---------------------------------------------------------------------


def test_wait_needs_an_event(qemu: Qemu) -> None:
    done = qmpsh("-c", "wait", str(qemu.sock), timeout=30)
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr == (
        "qmpsh: -c:1: wait: which event? usage: wait EVENT [EVENT ...] "
        "[FIELD=VALUE ...] [--timeout SECONDS] [--fail-on EVENT:FIELD=VALUE,...] "
        "[--history] ('*' is any event)\n"
    )
    done = qmpsh("-c", "wait --timeout 5 device=x", str(qemu.sock), timeout=30)
    assert done.returncode == Exit.PARSE_ERROR and "which event?" in done.stderr


def test_wait_event_names(qemu: Qemu) -> None:
    done = qmpsh("-c", "wait STOP foo", str(qemu.sock), timeout=30)
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr == (
        "qmpsh: -c:1: wait: 'foo' is not an event name: QMP event names are "
        "upper case (did you mean FOO?)\n"
    )
    # with the schema loaded, the server's own events are the names
    done = qmpsh("--validate", "-c", "wait STPO", str(qemu.sock), timeout=30)
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr == (
        "qmpsh: -c:1: wait: the server has no event 'STPO' (did you mean STOP?)\n"
    )
    # several names: any of them
    done = qmpsh(str(qemu.sock), input="stop\nwait RESUME STOP --timeout 10\n")
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout)[1]["event"] == "STOP"


# -- qom ----------------------------------------------------------------------


def test_qom_get_json_anywhere_and_pretty(q35: Qemu) -> None:
    sock = str(q35.sock)
    first = qmpsh("-c", "qom get --json /machine.smp", sock)
    last = qmpsh("-c", "qom get /machine.smp --json", sock)
    assert first.returncode == last.returncode == 0, first.stderr
    assert first.stdout == last.stdout
    assert json.loads(first.stdout)["cpus"] == 1
    pretty = qmpsh("-p", "-c", "qom get --json /machine.smp", sock)
    assert pretty.stdout.startswith('{\n  "cpus": 1,\n')
    done = qmpsh("-c", "qom get --jsn /machine.smp", sock)
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr == (
        "qmpsh: -c:1: qom: get: unknown option '--jsn' (get takes --json)\n"
    )


def test_qom_set_a_negative_value(q35: Qemu) -> None:
    sock = str(q35.sock)
    done = qmpsh("qom", "set", "-s", sock, "-v", "/machine.phandle-start", "-1")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["arguments"]["value"] == -1
    assert qmpsh("qom", "get", "-s", sock, "/machine.phandle-start").stdout == "-1\n"
    done = qmpsh("qom", "set", "-s", sock, "/machine.phandle-start", "x")
    assert done.returncode == Exit.USAGE
    assert done.stderr == (
        "qmpsh: /machine.phandle-start: an int property takes an integer, not 'x'\n"
    )


# -- custom ids ---------------------------------------------------------------


def test_custom_id_messages_show_json(qemu: Qemu) -> None:
    for given, shown in (
        ('{"x": [1]}', '{"x": [1]}'),
        ("null", "null"),
        ("5", "5"),
        ('"a__qmp#1"', '"a__qmp#1"'),
    ):
        line = f'{{"execute": "query-name", "id": {given}}}'
        done = qmpsh(str(qemu.sock), "-c", line)
        assert done.returncode == Exit.PARSE_ERROR
        assert done.stderr.startswith("qmpsh: -c:1: query-name: a custom id must ")
        assert done.stderr.endswith(f"not {shown}\n")


def test_an_id_in_flight_can_be_used_again(qemu: Qemu, tmp_path: Path) -> None:
    """The second request waits for the first one's reply, so that replies
    cannot be mixed up; pipelined, every time."""
    log = tmp_path / "wire.jsonl"
    script = (
        '{"execute": "query-name", "id": "a"}\n' * 3
        + '{"execute": "query-status", "id": "a"}\n'
        + "query-name\n"
    )
    done = qmpsh("-l", str(log), str(qemu.sock), input=script)
    assert done.returncode == 0, done.stderr
    out = lines(done.stdout)
    assert out[:3] == [{"return": {}, "id": "a"}] * 3
    assert out[3]["id"] == "a" and "status" in out[3]["return"]
    assert out[4] == {"return": {}}
    assert [m.get("id") for m in sent(log)].count("a") == 4
