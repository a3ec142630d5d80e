"""Where a shell command's output goes: ``CMD | shell-command``,
``CMD > FILE``, ``CMD >> FILE``.

Pure.  `split_sink` cuts the text typed at the prompt into the command
and its `Sink`, reading it with the one tokenizer (`qmpsh.lang.tokens`):
a ``|`` or ``>`` is a sink only where a word starts, outside quotes,
brackets, raw JSON's braces, comments and an unfinished transaction.  So
``filename=a|b``, ``"x > y"``, ``{"a": "|"}`` and ``[">"]`` are left
alone, and so is every request of QEMU's documentation (a test checks).

What follows ``|`` is given to ``/bin/sh -c`` as it is (to the end of
the line); what follows ``>`` or ``>>`` is one file name, quoted as in a
shell when it holds blanks.  Mistakes are a
`SinkError` with the offset of what is wrong.
"""

from __future__ import annotations

from typing import NamedTuple

from qmpsh.lang.tokens import Kind, tokenize

#: the operators, longest first
PIPE, WRITE, APPEND = "|", ">", ">>"
#: what starts one
STARTS = "|>"


class Sink(NamedTuple):
    #: `PIPE`, `WRITE` or `APPEND`
    kind: str
    #: the shell command, or the file name (unquoted; ``~`` is the
    #: caller's to expand)
    target: str
    #: where the operator starts in the text
    offset: int

    def shown(self) -> str:
        """How a message names it: ``| wc -l``, ``> out.json``."""
        return f"{self.kind} {self.target}"


class SinkError(ValueError):
    """A sink that cannot be: *message* (one line), *offset* into the text
    where the mistake is."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def position(text: str, offset: int) -> tuple[int, int]:
    """(line, column) of *offset* in *text*, both counted from 1."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def where(text: str, offset: int) -> str:
    """``LINE:COLUMN`` of *offset*, as error lines start."""
    line, column = position(text, offset)
    return f"{line}:{column}"


def find_sink(text: str) -> int:
    """The offset of the first ``|`` or ``>`` that starts a word outside
    quotes, brackets, comments, an open transaction and a variable's
    ``${...}`` (``${j[?status=='running'] | [0].id}`` picks with a pipe of
    JMESPath's); -1 when none."""
    inside = _references(text)
    open_transaction = False
    for tok in tokenize(text):
        if tok.kind is Kind.OPEN:
            open_transaction = True
        elif tok.kind is Kind.CLOSE:
            open_transaction = False
        elif (
            tok.start == tok.word
            and tok.text[:1] in STARTS
            and tok.kind is not Kind.BRACKETED
            and not open_transaction
            and not any(start < tok.start < end for start, end in inside)
        ):
            return tok.start
    return -1


def _references(text: str) -> list[tuple[int, int]]:
    """Where *text*'s ``${...}`` references are (a ``${`` that does not
    read hides nothing: the line's parse says what is wrong with it)."""
    if "${" not in text:  # the common case: no import, no scan
        return []
    from qmpsh.lang.references import find_references
    from qmpsh.lang.words import ParseError

    try:
        return [(r.start, r.end) for r in find_references(text) if r.name]
    except ParseError:
        return []


def split_sink(text: str) -> tuple[str, Sink | None]:
    """(the command, its sink) of *text*; the command is *text* itself, and
    the sink None, when it has none.  Raises `SinkError`."""
    at = find_sink(text)
    if at < 0:
        return text, None
    kind = APPEND if text.startswith(APPEND, at) else text[at]
    start = at + len(kind)
    rest = text[start:]
    if "\n" in rest.rstrip("\n"):
        raise SinkError(
            f"{kind} must end the command: nothing may follow it on another line",
            start + rest.index("\n"),
        )
    rest = rest.rstrip("\n")
    lead = len(rest) - len(rest.lstrip())
    body = rest.strip()
    if not text[:at].strip():
        raise SinkError(
            f"no command before {kind}: give one, as in query-block {kind} ...", at
        )
    if kind == PIPE:
        if not body:
            raise SinkError(
                "nothing after |: give a shell command, as in query-block | wc -l",
                start,
            )
        return text[:at], Sink(PIPE, body, at)
    return text[:at], Sink(kind, file_name(body, start + lead, kind), at)


def file_name(body: str, offset: int, kind: str) -> str:
    """The one file name after ``>`` or ``>>``; *offset*: where *body*
    starts, for `SinkError`."""
    if not body:
        raise SinkError(
            f"nothing after {kind}: give a file name, as in {kind} blocks.json", offset
        )
    if body[0] in STARTS:
        raise SinkError(
            f"{kind}{body[0]} is not understood: give a file name after {kind}",
            offset,
        )
    import shlex  # only for a file name: not on every line's way

    try:
        words = shlex.split(body, comments=False, posix=True)
    except ValueError as err:  # an open quote
        raise SinkError(f"the file name after {kind}: {err}", offset) from None
    if len(words) != 1:
        raise SinkError(
            f"one file name after {kind}, not {len(words)} words (quote a name "
            "with blanks; a shell command goes after |)",
            offset,
        )
    if not words[0]:
        raise SinkError(f"an empty file name after {kind}", offset)
    return words[0]
