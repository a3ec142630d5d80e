"""A line's parts (`qmpsh.lang.anatomy`): where each is, that it never
raises, and that what it knows keeps a secret out of the history."""

from __future__ import annotations

import itertools

import pytest

from qmpsh.lang.anatomy import Anatomy, Binding, Span, anatomy, assignment_at
from qmpsh.lang.history_redact import redact_line
from qmpsh.lang.sink import APPEND, PIPE, STARTS, WRITE, Sink


def pieces(parts: Anatomy) -> dict[str, str | None]:
    """The parts as the text they cover (None: absent), to compare whole."""
    text = parts.text

    def cut(span: Span | None) -> str | None:
        return None if span is None else text[span.start : span.end]

    return {
        "force": cut(parts.force),
        "target": cut(parts.target),
        "alias": None if parts.alias is None else cut(parts.alias.name),
        "assign": None if parts.assign is None else cut(parts.assign.name),
        "command": cut(parts.command),
        "sink": None if parts.sink is None else parts.sink.shown(),
        "error": None if parts.sink_error is None else parts.sink_error.message,
    }


NONE: dict[str, str | None] = dict.fromkeys(
    ("force", "target", "alias", "assign", "sink", "error")
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {"command": ""}),
        ("   ", {"command": ""}),
        ("query-status", {"command": "query-status"}),
        ("  query-status a=1", {"command": "query-status a=1"}),
        (
            "! @vm2 h = cmd args | grep x",
            {
                "force": "!",
                "target": "@vm2",
                "assign": "h",
                "command": "cmd args",
                "sink": "| grep x",
            },
        ),
        ("@vm2 !cmd", {"force": "!", "target": "@vm2", "command": "cmd"}),
        ("!@vm2 cmd", {"force": "!", "target": "@vm2", "command": "cmd"}),
        ("  @* ! cmd", {"force": "!", "target": "@*", "command": "cmd"}),
        ("@vm2", {"target": "@vm2", "command": ""}),
        ("@", {"target": "@", "command": ""}),
        ("@vm2\nquery-status", {"target": "@vm2", "command": "query-status"}),
        ("!", {"force": "!", "command": ""}),
        ("!!cmd", {"force": "!", "command": "!cmd"}),
        (
            "alias m = drive-mirror device=$1",
            {"alias": "m", "command": "drive-mirror device=$1"},
        ),
        ("alias m=query-block", {"alias": "m", "command": "query-block"}),
        ("alias m", {"command": "alias m"}),
        ("alias m | wc -l", {"command": "alias m", "sink": "| wc -l"}),
        (
            "@vm2 alias m = query-block > blocks.json",
            {
                "target": "@vm2",
                "alias": "m",
                "command": "query-block",
                "sink": "> blocks.json",
            },
        ),
        ("h = query-name", {"assign": "h", "command": "query-name"}),
        ("h =", {"assign": "h", "command": ""}),
        ("1x = query-name", {"assign": "1x", "command": "query-name"}),
        ("h=query-name", {"command": "h=query-name"}),
        ("h == x", {"command": "h == x"}),
        ("!h = query-name", {"force": "!", "assign": "h", "command": "query-name"}),
        # | and > start a sink only where a word starts, outside quotes,
        # brackets, raw JSON and an open transaction
        ("c filename=a|b", {"command": "c filename=a|b"}),
        ('c value="a | b" x=">"', {"command": 'c value="a | b" x=">"'}),
        ("c l=[\">\", '|']", {"command": "c l=[\">\", '|']"}),
        (
            '{"execute": "x", "arguments": {"a": "|", "b": "> f"}}',
            {"command": '{"execute": "x", "arguments": {"a": "|", "b": "> f"}}'},
        ),
        (
            '{"execute": "query-block"} | jq .',
            {"command": '{"execute": "query-block"}', "sink": "| jq ."},
        ),
        (
            "transaction(\n abort | x\n)",
            {"command": "transaction(\n abort | x\n)"},
        ),
        ("query-block > out.json", {"command": "query-block", "sink": "> out.json"}),
        ("query-block >> out.json", {"command": "query-block", "sink": ">> out.json"}),
        ("query-block >out.json\n", {"command": "query-block", "sink": "> out.json"}),
        ("query-block|wc", {"command": "query-block|wc"}),
        ("query-block |wc", {"command": "query-block", "sink": "| wc"}),
        # a sink that cannot be: said, and the command runs to the end
        (
            "|",
            {
                "command": "|",
                "error": "no command before |: give one, as in query-block | ...",
            },
        ),
        (
            "query-block |",
            {
                "command": "query-block |",
                "error": "nothing after |: give a shell command, as in query-block | wc -l",
            },
        ),
        (
            "h = | x",
            {
                "assign": "h",
                "command": "| x",
                "error": "no command before |: give one, as in query-block | ...",
            },
        ),
        (
            "query-block > a b",
            {
                "command": "query-block > a b",
                "error": "one file name after >, not 2 words (quote a name with "
                "blanks; a shell command goes after |)",
            },
        ),
        (
            "query-block | x\npassword=s",
            {
                "command": "query-block | x\npassword=s",
                "error": "| must end the command: nothing may follow it on another line",
            },
        ),
    ],
)
def test_parts(text: str, expected: dict[str, str | None]) -> None:
    assert pieces(anatomy(text)) == {**NONE, **expected}


def test_offsets_are_in_the_text() -> None:
    text = " ! @vm2 h = cmd a=1  >> f"
    parts = anatomy(text)
    assert parts.force == Span(1, 2)
    assert parts.target == Span(3, 7)
    assert parts.word == "vm2"
    assert parts.body == 8
    assert parts.assign == Binding(8, Span(8, 9), 10)
    assert parts.command == Span(12, 19)
    assert parts.sink == Sink(APPEND, "f", 21)
    alias = anatomy("alias  m = x").alias
    assert alias == Binding(0, Span(7, 8), 9)
    error = anatomy("query-block | ").sink_error
    assert error is not None and error.offset == 13


def test_the_pieces_around_the_command() -> None:
    assert anatomy("@vm2 h = cmd a=1 | cat").around() == (
        "@vm2 h = ",
        "cmd a=1",
        " | cat",
    )
    assert anatomy("  cmd  ").around() == ("  ", "cmd  ", "")
    assert anatomy("").around() == ("", "", "")


def test_unforced_blanks_the_bang_in_place() -> None:
    assert anatomy("  !cmd a=1").unforced() == "   cmd a=1"
    assert anatomy("@vm2 !cmd").unforced() == "@vm2  cmd"
    assert anatomy("cmd").unforced() == "cmd"
    assert anatomy("  !  quit").unforced() == "     quit"
    assert anatomy("x a=!b").unforced() == "x a=!b"  # only before the command


def test_a_line_with_no_part_is_its_command() -> None:
    """The common case, found without looking further: the same parts."""
    assert anatomy("  query-status\n") == Anatomy(
        "  query-status\n", None, None, 2, None, None, Span(2, 15), None, None
    )


@pytest.mark.parametrize("start", STARTS)
def test_every_sink_start_is_seen(start: str) -> None:
    """Each character that starts a sink (`qmpsh.lang.sink.STARTS`) is one
    the anatomy looks further for (it does not import that module to know)."""
    assert anatomy(f"c {start}x").sink is not None


def test_without_targets_an_at_is_the_command() -> None:
    assert pieces(anatomy("@vm2 !cmd | x", targets=False)) == {
        **NONE,
        "command": "@vm2 !cmd",
        "sink": "| x",
    }
    assert pieces(anatomy("!h = c", targets=False))["assign"] == "h"


@pytest.mark.parametrize(
    ("text", "word", "rest"),
    [
        ("query-status @x", None, "query-status @x"),
        ("@vm2", "vm2", ""),
        ("@vm2   ", "vm2", ""),
        ("  @vm2\tquery-status", "vm2", "query-status"),
        ("@* query-name", "*", "query-name"),
        ("@", "", ""),
        ("@web query-block\nquery-name", "web", "query-block\nquery-name"),
        ("@vm2\nquery-status", "vm2", "query-status"),
        ("!@vm2 query-status", "vm2", "query-status"),
    ],
)
def test_targets(text: str, word: str | None, rest: str) -> None:
    """The ``@`` word, and what follows it (and the blanks after it)."""
    parts = anatomy(text)
    assert (parts.word if parts.target else None, text[parts.body :]) == (word, rest)


def test_sink_kinds() -> None:
    kinds = [anatomy(f"c {op} f").sink for op in ("|", ">", ">>")]
    assert [s.kind if s else None for s in kinds] == [PIPE, WRITE, APPEND]


def test_assignment_at() -> None:
    assert assignment_at("h = c") == Binding(0, Span(0, 1), 2)
    assert assignment_at("!  h = c", 3) == Binding(3, Span(3, 4), 5)
    assert assignment_at("h c") is None
    assert assignment_at('"h" = c') is None
    assert assignment_at("# h = c") is None


LINES = [
    "! @vm2 h = cmd args | grep x",
    "alias m = drive-mirror device=$1 | x > y",
    '{"execute": "x", "arguments": {"a": "|"}} >> f',
    "transaction(\n x | y\n) | z",
    "@",
    "!@",
    "alias",
    "alias m =",
    "h = >",
    "| > >>",
    "'unclosed | \"",
    "c a=[1, {'b': '|'",
    "@vm2\t!\n",
]


@pytest.mark.parametrize("line", LINES)
def test_never_raises_on_any_prefix(line: str) -> None:
    """Every prefix of a line has parts, whose pieces make the text."""
    for end in range(len(line) + 1):
        text = line[:end]
        parts = anatomy(text)
        assert "".join(parts.around()) == text
        assert parts.body <= parts.command.start <= parts.command.end <= len(text)


# -- the property it is for: no part hides a secret from the history -------

#: every prefix and suffix the anatomy knows, as a line may have them
FORCES = ["", "!", "! ", "  !"]
TARGETS = ["", "@vm2 ", "@* ", "@vm2 !"]
BINDINGS = ["", "h = ", "alias m = "]
SINKS = ["", " | grep x", " > out.json", " >> out.json", " |wc", "\t>'a b'\n"]
#: sinks that cannot be (`Anatomy.sink_error`): the command runs to the end
BAD_SINKS = [" |", " > a b", " >> ", " | x\ny"]
SECRET = "SECRET"
COMMANDS = [
    (f"change-vnc-password password={SECRET}", False),
    (f'change-vnc-password password="{SECRET}"', False),
    (f"hmp set_password vnc {SECRET}", False),
    (f'human-monitor-command command-line="set_password vnc {SECRET}"', False),
    (f"set_password vnc {SECRET}", True),
    # a quoted HMP password, hidden whole
    (f'set_password vnc "my {SECRET} pw"', True),
    (f'hmp change vnc password "a {SECRET}"', False),
    (f'human-monitor-command command-line="block_passwd d \\"a {SECRET}\\""', False),
    # qom-set of a secret property in lines that do not parse
    (f"qom-set path=/objects/s0 property=password value={SECRET} (", False),
    (
        '{"execute": "qom-set", "arguments": '
        f'{{"property": "data", "value": "{SECRET}",}}}}',
        False,
    ),
    (f"qom-set /objects/s0 password {SECRET}", False),
]


def test_the_forms_cover_every_part() -> None:
    """A part added to `Anatomy` fails here until its forms join the lists
    above (and so the test below)."""
    assert Anatomy._fields == (
        "text",
        "force",  # FORCES, and TARGETS' "@vm2 !"
        "target",  # TARGETS
        "body",
        "alias",  # BINDINGS
        "assign",  # BINDINGS
        "command",  # COMMANDS
        "sink",  # SINKS
        "sink_error",  # BAD_SINKS
    )


def _forms() -> list[tuple[str, str, bool]]:
    """(a line, its command as the anatomy cuts it, whether it is HMP)."""
    out = []
    for force, target, binding, sink, (command, hmp) in itertools.product(
        FORCES, TARGETS, BINDINGS, SINKS + BAD_SINKS, COMMANDS
    ):
        if force and target.endswith("!"):
            continue  # one ! to a line
        cut = command + sink if sink in BAD_SINKS else command
        out.append((force + target + binding + command + sink, cut, hmp))
    return out


def test_every_form_finds_the_command() -> None:
    for line, command, _ in _forms():
        parts = anatomy(line)
        assert line[slice(*parts.command)] == command, line


def test_no_form_carries_a_secret_into_the_history() -> None:
    forms = _forms()
    assert len(forms) > 500
    for line, _, hmp in forms:
        kept = redact_line(line, hmp)
        assert SECRET not in kept, line
        assert "<redacted>" in kept, line


def test_a_variables_pick_is_no_sink_at_the_prompt() -> None:
    # the README's example, as typed at the prompt (the shell splits the
    # sink before the variables are replaced)
    line = "job-cancel id=${j[?status=='running'] | [0].id}"
    parts = anatomy(line)
    assert parts.sink is None and parts.sink_error is None
    assert parts.around() == ("", line, "")
    piped = anatomy(line + " | wc -l")
    assert piped.sink is not None and piped.sink.target == "wc -l"
