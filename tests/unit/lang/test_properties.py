"""Property tests (hypothesis): bad input of any shape never escapes as a crash.

The parser, given any text, returns a Request, an Incomplete ("more input"),
None (blank), or raises ParseError with a position inside the text, and
nothing else, for text drawn from every Unicode general category and for
text built from the grammar's own pieces (which reaches much deeper than
random characters do).  The same holds for the accumulator fed line by line,
the redaction of history lines, the wire log and the batch line decoder.

The `check_*` functions are called by the test functions here and by the
reliability table (tests/faults), which reports how many examples ran.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qmpsh.batch.input import _decode
from qmpsh.lang.history_redact import redact_line
from qmpsh.lang.parser import Accumulator, Incomplete, ParseError, Request, parse
from qmpsh.lang.redact import REDACTED, is_secret_key, redact

#: keep CI time modest: a few hundred examples per property, no deadline
EXAMPLES = 300
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: every Unicode general category, surrogates and unassigned included
CATEGORIES = [
    "Lu",
    "Ll",
    "Lt",
    "Lm",
    "Lo",
    "Mn",
    "Mc",
    "Me",
    "Nd",
    "Nl",
    "No",
    "Pc",
    "Pd",
    "Ps",
    "Pe",
    "Pi",
    "Pf",
    "Po",
    "Sm",
    "Sc",
    "Sk",
    "So",
    "Zs",
    "Zl",
    "Zp",
    "Cc",
    "Cf",
    "Cs",
    "Co",
    "Cn",
]

ANY_CHAR = st.one_of(*(st.characters(categories=[c]) for c in CATEGORIES))  # type: ignore[list-item]

#: pieces of the grammar, glued together at random
PIECES = st.sampled_from(
    [
        "query-status",
        "x",
        "blockdev-add",
        "transaction(",
        "transaction()",
        ")",
        "x)",
        "(",
        " ",
        "  ",
        "\t",
        "\n",
        "\r",
        "=",
        "a",
        "a.b",
        ".",
        "..",
        "a.",
        ".a",
        "1",
        "-1",
        "1e9",
        "0x10",
        "007",
        "true",
        "False",
        "null",
        "None",
        '"',
        "'",
        "\\",
        '\\"',
        "\\u00e9",
        "\\ud800",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "#",
        "# c\n",
        '{"execute": "x"}',
        '{"a": 1}',
        "[1, 2]",
        "{'a': True}",
        "é",
        "\x00",
        "\u2028",
        "\ufeff",
        "😀",
        "=" * 3,
        "a=",
        "=b",
    ]
)
GRAMMAR_TEXT = st.lists(st.one_of(PIECES, ANY_CHAR), max_size=40).map("".join)
ANY_TEXT = st.text(alphabet=ANY_CHAR, max_size=60)

# well-formed commands, then broken in random places
NAME = st.sampled_from(["a", "node-name", "a.b", "x.y.z", "é", "a..b", "", "1", "a b"])
COMMAND = st.sampled_from(["query-status", "blockdev-add", "x", "__com.v_x", "1x", ""])
SCALAR = st.one_of(
    st.sampled_from(["1", "-1.5", "1e400", "true", "NULL", "word", "", "007", "a=b"]),
    st.text(alphabet=ANY_CHAR, max_size=6).map(lambda t: json.dumps(t)),
    st.text(alphabet=ANY_CHAR, max_size=6).map(
        lambda t: "'" + t.replace("'", "\\'") + "'"
    ),
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: (
        st.lists(inner, max_size=3).map(lambda v: "[" + ", ".join(v) + "]")
        | st.lists(st.tuples(SCALAR, inner), max_size=3).map(
            lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"
        )
    ),
    max_leaves=8,
)
PAIR = st.builds(lambda k, v: f"{k}={v}", NAME, VALUE)
LINE = st.builds(
    lambda c, pairs: " ".join([c, *pairs]), COMMAND, st.lists(PAIR, max_size=4)
)
TRANSACTION = st.lists(LINE, max_size=3).map(
    lambda lines: "transaction(\n" + "\n".join(lines) + "\n) completion-mode=grouped"
)


@st.composite
def _broken(draw: st.DrawFn) -> str:
    text = draw(st.one_of(LINE, TRANSACTION))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["cut", "drop", "insert"]))
        if edit == "cut":
            text = text[:at]
        elif edit == "drop":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + draw(st.one_of(PIECES, ANY_CHAR)) + text[at:]
    return text


TEXT = st.one_of(GRAMMAR_TEXT, ANY_TEXT, LINE, TRANSACTION, _broken())


def check_parse(text: str) -> None:
    try:
        result = parse(text)
    except ParseError as err:
        assert 0 <= err.offset <= len(text), (err.offset, len(text))
        assert err.line >= 1 and err.column >= 1
        assert err.message and "\n" not in err.message
        return
    assert result is None or isinstance(result, Request | Incomplete)
    if isinstance(result, Request):
        json.dumps(result.message, allow_nan=False)  # it can be sent
        assert result.command or result.raw


def check_accumulator(lines: list[str]) -> None:
    acc = Accumulator()
    for line in lines:
        try:
            acc.feed(line)
        except ParseError as err:
            assert err.line >= 1 and err.column >= 1
    try:
        acc.finish()
    except ParseError as err:
        assert "never closed" in err.message or "unfinished" in err.message
    assert not acc.pending


def check_redact_line(text: str) -> None:
    out = redact_line(text)
    assert isinstance(out, str)
    try:
        result = parse(text)
    except ParseError:
        return
    if isinstance(result, Request) and redact(result.message) is None:
        assert out == text


def check_decode(raw: bytes) -> None:
    line = _decode(raw.replace(b"\n", b""), "stdin", 1)
    if line.bad is not None:
        message, column = line.bad
        assert message.startswith("byte 0x") and column >= 1
    else:
        assert line.text == raw.replace(b"\n", b"").removesuffix(b"\r").decode()


@SETTINGS
@given(TEXT)
def test_parse_never_raises_anything_else(text: str) -> None:
    check_parse(text)


@SETTINGS
@given(st.lists(TEXT.map(lambda t: t.replace("\n", " ")), max_size=6))
def test_accumulator_never_raises_anything_else(lines: list[str]) -> None:
    check_accumulator(lines)


@SETTINGS
@given(TEXT)
def test_redact_line_never_raises(text: str) -> None:
    check_redact_line(text)


@SETTINGS
@given(st.binary(max_size=80))
def test_decoding_any_bytes(raw: bytes) -> None:
    check_decode(raw)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=ANY_CHAR, max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["password", "data", "a", "secret", "key-secret", "cookie"]
            ),
            inner,
            max_size=3,
        )
    ),
    max_leaves=20,
)


def _secret_values_left(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if (
                    is_secret_key(k)
                    and v not in (None, REDACTED)
                    and not (k == "cookie" and not isinstance(v, str))
                ):
                    return True
                stack.append(v)
        elif isinstance(node, list):
            stack.extend(node)
    return False


@SETTINGS
@given(st.sampled_from(["x", "object-add", "qom-set", "human-monitor-command"]), JSON)
def test_redact_any_arguments(command: str, arguments: Any) -> None:
    message = {"execute": command, "arguments": arguments}
    before = json.dumps(message)
    out = redact(message)
    assert json.dumps(message) == before
    shown = out if out is not None else message
    if isinstance(arguments, dict):
        assert not _secret_values_left(shown["arguments"])


@SETTINGS
@given(st.binary(max_size=200))
def test_wire_log_keeps_any_bytes_as_json(tmp_path: Path, raw: bytes) -> None:
    from qmpsh.wire.wirelog import WireLog

    path = tmp_path / "wire.jsonl"
    path.unlink(missing_ok=True)
    log = WireLog(str(path))
    log.write("in", raw, valid=False)
    log.close()
    (line,) = path.read_bytes().splitlines()
    entry = json.loads(line)
    assert entry["raw"].encode("utf-8", "surrogatepass") == raw or "\\x" in entry["raw"]


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_as_values_names_and_commands(category: str) -> None:
    """A character of each category where a value, a name and a command go."""
    chars = [
        chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == category
    ]
    sample = chars[:: max(1, len(chars) // 40)][:40]
    for ch in sample:
        for text in (
            f"x a={ch}",
            f'x a="{ch}"',
            f"x {ch}=1",
            f"{ch}",
            f"x{ch} a=1",
            f"x a=[{ch}]",
            f'{{"execute": "x", "arguments": {{"a": "{ch}"}}}}',
        ):
            check_parse(text)
            check_redact_line(text)


# -- the schema-aware parts: typer, validator, completer ------------------------


def _schema() -> Any:
    from tests import schemas

    return schemas.system()


def _keys_of(
    schema: Any, type_name: str, prefix: str, depth: int
) -> list[tuple[str, Any]]:
    """(dotted name, type) of the members reachable from *type_name*."""
    from qmpsh.schema.model import Object

    typ = schema.type(type_name)
    if not isinstance(typ, Object) or depth > 2:
        return []
    members = list(typ.members)
    for variant in typ.variants.values():
        sub = schema.type(variant)
        if isinstance(sub, Object):
            members += sub.members
    out: list[tuple[str, Any]] = []
    for member in members:
        name = f"{prefix}{member.name}"
        out.append((name, schema.type(member.type)))
        out += _keys_of(schema, member.type, name + ".", depth + 1)
    return out


@functools.cache
def _with_arguments() -> list[str]:
    schema = _schema()
    return sorted(
        name
        for name, command in schema.commands.items()
        if _keys_of(schema, command.arg_type, "", 0)
    )


@st.composite
def _schema_line(draw: st.DrawFn) -> str:
    """A command of the real schema with its own argument names and values."""
    from qmpsh.schema.model import Enum

    schema = _schema()
    name = draw(st.sampled_from(_with_arguments()))
    keys = _keys_of(schema, schema.commands[name].arg_type, "", 0)
    words = [name]
    if keys:
        for key, typ in draw(st.lists(st.sampled_from(keys), max_size=5)):
            if isinstance(typ, Enum) and typ.values and draw(st.booleans()):
                value = draw(st.sampled_from(typ.values))
            else:
                value = draw(
                    st.one_of(SCALAR, VALUE, st.sampled_from(["on", "0", "-5", "x"]))
                )
            words.append(f"{key}={value}")
    text = " ".join(words)
    if draw(st.booleans()):  # the completer and the typer see half-typed lines
        text = text[: draw(st.integers(0, len(text)))]
    return text


SCHEMA_TEXT = st.one_of(_schema_line(), _schema_line(), TEXT)


def check_validate(text: str) -> None:
    from qmpsh.schema.typer import schema_typer
    from qmpsh.schema.validate import check_request, validate

    schema = _schema()
    try:
        result = parse(text, schema_typer(schema))
    except ParseError as err:
        assert err.line >= 1 and err.column >= 1
        return
    if not isinstance(result, Request):
        return
    problems = validate(result.message, schema)
    assert isinstance(problems, list)
    line = check_request(result.message, schema)
    assert line is None or (line and "\n" not in line)


def check_complete(text: str) -> None:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from qmpsh.builtins.registry import load_all
    from qmpsh.shell.completion import QmpCompleter

    completer = QmpCompleter(_schema, builtins=load_all())
    for cursor in {0, len(text) // 2, len(text)}:
        document = Document(text, cursor)
        for completion in completer.get_completions(document, CompleteEvent()):
            assert -completion.start_position <= len(document.text_before_cursor)


@SETTINGS
@given(SCHEMA_TEXT)
def test_validator_never_raises(text: str) -> None:
    check_validate(text)


@SETTINGS
@given(st.sampled_from(["blockdev-add", "object-add", "transaction", "x"]), JSON)
def test_validator_any_arguments(command: str, arguments: Any) -> None:
    from qmpsh.schema.validate import check_request

    line = check_request({"execute": command, "arguments": arguments}, _schema())
    assert line is None or "\n" not in line


@SETTINGS
@given(SCHEMA_TEXT)
def test_completer_never_raises(text: str) -> None:
    check_complete(text)
