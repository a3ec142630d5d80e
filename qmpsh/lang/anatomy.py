"""A line's parts: what surrounds its command, found in one place.  Pure.

A line typed at the prompt is a command with, each optional, in order::

    ! @vm2 h = query-block flat=true | grep x
    │ │    │   │                     └ sink: | CMD, > FILE, >> FILE
    │ │    │   └ the command
    │ │    └ NAME = (its return value bound: `qmpsh.lang.variables`),
    │ │      or alias NAME = (a definition: the command is its body)
    │ └ @TARGET: where it runs, in a shell open on several targets
    └ ! (sent without checking the schema, and to the server's command
      where a built-in has its name), before or after the target

`anatomy` finds them, with their offsets in the text, and never raises: a
sink that cannot be is reported (`Anatomy.sink_error`), and what is not a
part is left to the command.  Its readers are the shell on Enter (its line
modes: `qmpsh.shell.fleet_lines`, `qmpsh.shell.sinks`,
`qmpsh.shell.qmp_mode`) and batch mode on each command's first line
(`qmpsh.batch.runner`), both preparing it the same way
(`qmpsh.lang.bound.prepare`); the ``alias`` built-in (its definition);
completion (`qmpsh.lang.cursor`, the fleet's ``@`` in
`qmpsh.shell.fleet_hooks`); the highlighting (`qmpsh.lang.lexer`, the
shell's cut of the target) and the history's redaction (`qmpsh.lang.redact`,
which keeps the parts as typed and judges the command): a part added here
is one they all know, so that a line means the same everywhere and no
prefix can carry a secret past the redaction.

It is on a one-shot's way (``qmpsh -c query-status``, every line of a
script): a line with none of the characters that start a part is only a
command, found without looking further, and the sink's module is imported
only for a line that may have one.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from qmpsh.lang.tokens import Kind, tokenize

if TYPE_CHECKING:
    from qmpsh.lang.sink import Sink, SinkError

#: what starts a line that is sent without checking
FORCE = "!"
#: what starts a target prefix
TARGET = "@"
#: the word that starts a definition
ALIAS = "alias"
#: ``alias NAME =``: the word, the name (group 1), the ``=``
_ALIAS = ALIAS + r"\s+([^\s=]+)\s*="
#: what an assignment starts with, at least (a word, then a lone ``=``):
#: only such a line is tokenized to be sure
_MAYBE_ASSIGNMENT = r"[ \t]*[^\s=\"'{]+[ \t]+=(?:[ \t\r\n]|$)"
# (compiled by `re` on the first line that needs them, and cached there: a
# one-shot ``-c query-status`` does not pay for it)
# The values below are tuples written out, not NamedTuples: each of those
# costs a one-shot's start-up over a tenth of a millisecond to make.
#: a value made without calling its ``__new__``: quicker, for the common case
_new = tuple.__new__


class Span(tuple[int, int]):
    """Where a part is in the text: ``text[start:end]``."""

    __slots__ = ()
    _fields = ("start", "end")

    def __new__(cls, start: int, end: int) -> Span:
        return _new(cls, (start, end))

    @property
    def start(self) -> int:
        return self[0]

    @property
    def end(self) -> int:
        return self[1]

    def __repr__(self) -> str:
        return f"Span({self[0]}, {self[1]})"


class Binding(tuple[int, Span, int]):
    """``NAME =`` (an assignment) or ``alias NAME =`` (a definition)."""

    __slots__ = ()
    _fields = ("start", "name", "equals")

    def __new__(cls, start: int, name: Span, equals: int) -> Binding:
        return _new(cls, (start, name, equals))

    @property
    def start(self) -> int:
        """Where it starts: the name, or the word ``alias``."""
        return self[0]

    @property
    def name(self) -> Span:
        return self[1]

    @property
    def equals(self) -> int:
        """Where its ``=`` is."""
        return self[2]

    def __repr__(self) -> str:
        return f"Binding({self[0]}, {self[1]!r}, {self[2]})"


class Anatomy(
    tuple[
        str,
        Span | None,
        Span | None,
        int,
        Binding | None,
        Binding | None,
        Span,
        "Sink | None",
        "SinkError | None",
    ]
):
    """The parts of *text* (see the module's docstring); None for a part
    it does not have."""

    __slots__ = ()
    _fields = (
        "text",
        "force",
        "target",
        "body",
        "alias",
        "assign",
        "command",
        "sink",
        "sink_error",
    )

    def __new__(
        cls,
        text: str,
        force: Span | None,
        target: Span | None,
        body: int,
        alias: Binding | None,
        assign: Binding | None,
        command: Span,
        sink: Sink | None,
        sink_error: SinkError | None,
    ) -> Anatomy:
        parts = (text, force, target, body, alias, assign, command, sink, sink_error)
        return _new(cls, parts)

    @property
    def text(self) -> str:
        return self[0]

    @property
    def force(self) -> Span | None:
        """The ``!``."""
        return self[1]

    @property
    def target(self) -> Span | None:
        """``@WORD``, the ``@`` included."""
        return self[2]

    @property
    def body(self) -> int:
        """Where what follows the ``!`` and ``@TARGET`` prefixes (and the
        blanks after them) starts: the binding, the command."""
        return self[3]

    @property
    def alias(self) -> Binding | None:
        return self[4]

    @property
    def assign(self) -> Binding | None:
        return self[5]

    @property
    def command(self) -> Span:
        """The command, from its first character to its last before the
        sink (without a sink: to the end of the text); empty when there is
        none."""
        return self[6]

    @property
    def sink(self) -> Sink | None:
        """Where the output goes."""
        return self[7]

    @property
    def sink_error(self) -> SinkError | None:
        """Why what starts a sink cannot be one (the command then runs to
        the end of the text: it is the caller's to refuse the line or not)."""
        return self[8]

    def __repr__(self) -> str:
        return "Anatomy(" + ", ".join(map(repr, self)) + ")"

    @property
    def word(self) -> str:
        """The target's name: what follows ``@`` ("" without a target)."""
        if self.target is None:
            return ""
        return self.text[self.target.start + len(TARGET) : self.target.end]

    def around(self) -> tuple[str, str, str]:
        """(what comes before the command, the command, what comes after
        it): the three pieces the text is made of."""
        start, end = self.command
        text = self.text
        return text[:start], text[start:end], text[end:]

    def unforced(self) -> str:
        """The text with its ``!`` blanked out (error columns stay right)."""
        if self.force is None:
            return self.text
        at = self.force.start
        return self.text[:at] + " " * len(FORCE) + self.text[at + len(FORCE) :]


def anatomy(text: str, targets: bool = True) -> Anatomy:
    """The parts of *text*; *targets*: whether ``@WORD`` is a prefix (a
    shell open on one target sends it as a command's name)."""
    # the common case: none of the characters a part needs (``!``, ``@``, a
    # binding's ``=``, a sink's ``|`` or ``>``): only a command, found at once
    if (
        "=" not in text
        and "|" not in text
        and ">" not in text
        and "!" not in text
        and "@" not in text
    ):
        start = len(text) - len(text.lstrip())
        command = _new(Span, (start, len(text)))
        return _new(Anatomy, (text, None, None, start, None, None, command, None, None))
    at = _blanks(text, 0)
    force = target = None
    if text.startswith(FORCE, at):
        force = Span(at, at + len(FORCE))
        at = _blanks(text, force.end)
    if targets and text.startswith(TARGET, at):
        end = at + 1
        while end < len(text) and not text[end].isspace():
            end += 1
        target = Span(at, end)
        at = _blanks(text, end)
        if force is None and text.startswith(FORCE, at):  # @vm2 !cmd
            force = Span(at, at + len(FORCE))
            at = _blanks(text, force.end)
    body = at
    alias = _alias(text, at)
    assign = None if alias is not None else assignment_at(text, at)
    binding = alias or assign
    start = at if binding is None else _blanks(text, binding.equals + 1)
    sink, error = _sink(text, start)
    end = len(text)
    if sink is not None:
        end = len(text[: sink.offset].rstrip())
    command = _new(Span, (start, end))
    return _new(
        Anatomy, (text, force, target, body, alias, assign, command, sink, error)
    )


def _blanks(text: str, at: int) -> int:
    """Where the blanks at *at* end."""
    return len(text) - len(text[at:].lstrip())


def _alias(text: str, at: int) -> Binding | None:
    if not text.startswith(ALIAS, at):  # the common case: no regex
        return None
    match = re.compile(_ALIAS).match(text, at)
    if match is None:
        return None
    return Binding(at, Span(*match.span(1)), match.end() - 1)


def assignment_at(text: str, at: int = 0) -> Binding | None:
    """``NAME =`` at *at* in *text*: a first word, then a lone ``=``.  The
    name is not judged here (`qmpsh.lang.variables.assignment` says what
    is wrong with one), nor whether a command follows."""
    if re.compile(_MAYBE_ASSIGNMENT).match(text, at) is None:  # the common case
        return None
    words = [t for t in tokenize(text[at:], blanks=False) if t.word >= 0][:2]
    if len(words) < 2:
        return None
    name, equals = words
    if equals.kind is not Kind.ERROR or equals.text != "=":
        return None
    if name.kind is not Kind.NAME or name.word != name.start:
        return None
    return Binding(
        at + name.start, Span(at + name.start, at + name.end), at + equals.start
    )


def _sink(text: str, start: int) -> tuple[Sink | None, SinkError | None]:
    """The sink of the command starting at *start*, or why it cannot be."""
    # the common case: no tokenizing, nor importing it (the characters of
    # `qmpsh.lang.sink.STARTS`: a test checks each starts a sink here)
    if "|" not in text and ">" not in text:
        return None, None
    from qmpsh.lang.sink import SinkError, split_sink

    rest = text[start:]
    try:
        _, sink = split_sink(rest)
    except SinkError as err:
        return None, SinkError(err.message, start + err.offset)
    if sink is None:
        return None, None
    return sink._replace(offset=start + sink.offset), None
