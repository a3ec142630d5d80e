"""Rows of the matrix: bad input, against a real QEMU (and the parser's properties).

The lines go out with ``--no-validate``: these rows are about the parser and
the wire, not the schema's checks (tests/integration/test_schema_cli.py).
"""

from __future__ import annotations

import contextlib
import json
import unicodedata
from collections.abc import Iterator
from typing import Any

from qmpsh.core.exitcodes import Exit
from tests.faults.matrix import Probe, lines_of, one_line, row
from tests.procs import Qemu
from tests.unit.lang.test_properties import CATEGORIES

AREA = "bad input"


@contextlib.contextmanager
def qemu(p: Probe) -> Iterator[Qemu]:
    vm = Qemu(p.tmp / "qemu")
    try:
        yield vm
    finally:
        vm.kill()


def exchanged(p: Probe) -> list[tuple[str, Any]]:
    """(dir, message) of the wire log, the greeting and negotiation left out."""
    entries = [(e["dir"], e.get("msg", e.get("raw"))) for e in p.log_entries()]
    wire = [(d, m) for d, m in entries if d in ("in", "out")]
    return wire[3:]


def assert_exchange(p: Probe, *names: str) -> None:
    """The wire log holds each of *names* sent, each followed by its reply."""
    wire = exchanged(p)
    sent = [m["execute"] for d, m in wire if d == "out"]
    assert sent == list(names), sent
    answers = [m for d, m in wire if d == "in" and "event" not in m]
    assert len(answers) == len(names)
    p.nothing_lost()


@row("line-1mb", AREA, "a 1 MB line (`query-status pad=xxx...`)")
def line_1mb(p: Probe) -> tuple[str, str]:
    with qemu(p) as vm:
        done = p.batch(
            str(vm.sock),
            "--no-validate",
            input="query-status pad=" + "x" * (1 << 20) + "\n",
        )
    line = one_line(done.stderr)
    assert (
        line
        == "qmpsh: stdin:1: query-status: GenericError: Parameter 'pad' is unexpected"
    )
    assert done.returncode == Exit.COMMAND_ERROR
    assert_exchange(p, "query-status")
    assert len(exchanged(p)[0][1]["arguments"]["pad"]) == 1 << 20
    return line, str(done.returncode)


@row("line-1mb-open", AREA, "a 1 MB line with a quote never closed")
def line_1mb_open(p: Probe) -> tuple[str, str]:
    with qemu(p) as vm:
        done = p.batch(
            str(vm.sock),
            "--no-validate",
            input='query-status\nx a="' + "x" * (1 << 20) + "\n",
        )
    line = one_line(done.stderr)
    assert (
        line == "qmpsh: stdin:2: a quote is never closed (opened at line 1, column 5)"
    )
    assert done.returncode == Exit.PARSE_ERROR
    assert json.loads(done.stdout)["return"]["status"] == "running"
    assert_exchange(p, "query-status")
    return line, str(done.returncode)


@row("not-utf8", AREA, "non-UTF-8 bytes on stdin")
def not_utf8(p: Probe) -> tuple[str, str]:
    with qemu(p) as vm:
        done = p.batch(str(vm.sock), input=b"query-status\nquery-\xff\xfe\n")
    line = one_line(done.stderr)
    assert line == "qmpsh: stdin:2:7: byte 0xff is not UTF-8"
    assert done.returncode == Exit.PARSE_ERROR
    assert json.loads(done.stdout)["return"]["running"] is True  # line 1 ran
    assert_exchange(p, "query-status")
    return line, str(done.returncode)


@row("nul", AREA, "a NUL byte on stdin")
def nul(p: Probe) -> tuple[str, str]:
    with qemu(p) as vm:
        done = p.batch(str(vm.sock), "--no-validate", input=b"query-st\x00atus\n")
    line = one_line(done.stderr)
    assert (
        line
        == "qmpsh: stdin:1:1: a line starts with a command name, not 'query-st\\x00atus'"
    )
    assert done.returncode == Exit.PARSE_ERROR and done.stdout == ""
    assert_exchange(p)
    return line, str(done.returncode)


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@row(
    "deep-value",
    AREA,
    "a value nested to QEMU's limit (1024 levels in all), then one level more (`-k`)",
)
def deep_value(p: Probe) -> tuple[str, str]:
    # the message and its arguments are two levels: 1022 more reach the limit
    text = (
        f"query-status a={nested(1022)}\nquery-status a={nested(1023)}\nquery-status\n"
    )
    with qemu(p) as vm:
        done = p.batch(str(vm.sock), "--no-validate", "-k", input=text)
    errors = lines_of(done.stderr)
    assert errors == [
        "qmpsh: stdin:1: query-status: GenericError: Parameter 'a' is unexpected",
        "qmpsh: stdin:2:14: the request would be nested 1025 levels deep; QEMU "
        "accepts at most 1024",
    ]
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert "error" in answers[0] and answers[1]["return"]["running"] is True  # in sync
    assert done.returncode == Exit.COMMAND_ERROR
    assert_exchange(p, "query-status", "query-status")
    return "QEMU answers the first; " + errors[1], str(done.returncode)


@row("deep-raw", AREA, "a raw JSON line nested 100000 levels deep")
def deep_raw(p: Probe) -> tuple[str, str]:
    text = '{"execute": "query-status", "arguments": {"a": ' + nested(100_000) + "}}\n"
    with qemu(p) as vm:
        done = p.batch(str(vm.sock), "--no-validate", input=text)
    line = one_line(done.stderr)
    assert "nested deeper than 1024 levels" in line
    assert done.returncode == Exit.PARSE_ERROR
    assert_exchange(p)
    return line, str(done.returncode)


@row("deep-names", AREA, "a dotted name 100000 levels deep (`a.b.b.b...=1`)")
def deep_names(p: Probe) -> tuple[str, str]:
    with qemu(p) as vm:
        done = p.batch(
            str(vm.sock),
            "--no-validate",
            input="query-status a" + ".b" * 100_000 + "=1\n",
        )
    line = one_line(done.stderr)
    assert line == (
        "qmpsh: stdin:1:14: the request would be nested 100002 levels deep; QEMU "
        "accepts at most 1024"
    )
    assert done.returncode == Exit.PARSE_ERROR
    assert_exchange(p)
    return line, str(done.returncode)


def sample(category: str) -> str:
    """The first character of *category* that is not a quote, backslash or newline."""
    for code in range(0x110000):
        ch = chr(code)
        if unicodedata.category(ch) == category and ch not in "\"'\\\n\r":
            return ch
    raise AssertionError(category)


@row("unicode", AREA, "a string value in each of the 30 Unicode categories (`-k`)")
def unicode(p: Probe) -> tuple[str, str]:
    lines = [f'qom-list-types implements="{sample(c)}"' for c in CATEGORIES]
    data = "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n"
    with qemu(p) as vm:
        done = p.batch(str(vm.sock), "--no-validate", "-k", input=data)
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert answers == [{"return": []}] * (len(CATEGORIES) - 1)
    surrogate = CATEGORIES.index("Cs") + 1
    line = one_line(done.stderr)
    column = len('qom-list-types implements="') + 1
    assert line == f"qmpsh: stdin:{surrogate}:{column}: byte 0xed is not UTF-8"
    assert done.returncode == Exit.PARSE_ERROR
    sent = [m["arguments"]["implements"] for d, m in exchanged(p) if d == "out"]
    assert sent == [sample(c) for c in CATEGORIES if c != "Cs"]
    p.nothing_lost()
    return (
        "29 reach QEMU and are answered; the lone surrogate (Cs) is refused: "
        + line.removeprefix("qmpsh: ")
    ), str(done.returncode)


@row(
    "properties",
    AREA,
    "generated text: every Unicode category, grammar pieces, schema commands, broken lines",
    "library",
)
def properties(p: Probe) -> tuple[str, str]:
    from tests.unit.lang import test_properties as props

    runs = [
        props.test_parse_never_raises_anything_else,
        props.test_accumulator_never_raises_anything_else,
        props.test_redact_line_never_raises,
        props.test_decoding_any_bytes,
        props.test_redact_any_arguments,
        props.test_validator_never_raises,
        props.test_validator_any_arguments,
        props.test_completer_never_raises,
    ]
    for run in runs:
        run()  # hypothesis runs the property over its examples
    p.saw("")
    p.nothing_lost()
    return (
        f"{len(runs)} properties (parser, accumulator, schema typer, validator, "
        f"completer, redaction, line decoder) x {props.EXAMPLES} examples: only a "
        "request, more input, a blank, or ParseError with a position; problems "
        "and completions, never an exception"
    ), "-"
