"""A line's parts: what surrounds its command, found in one place.  Pure.

A line typed at the prompt is a command with, each optional, in order::

    ! @vm2 h = query-block flat=true | grep x
    │ │    │   │                     └ sink: | CMD, > FILE, >> FILE
    │ │    │   └ the command
    │ │    └ NAME = (its return value bound: `qmpsh.lang.variables`),
    │ │      or alias NAME = (a definition: the command is its body)
    │ └ @TARGET: where it runs, in a shell open on several targets
    └ ! (sent without checking: `qmpsh.lang.force_prefix`), before or
      after the target

`anatomy` finds them, with their offsets in the text, and never raises: a
sink that cannot be is reported (`Anatomy.sink_error`), and what is not a
part is left to the command.  Its readers are the shell on Enter (its line
modes: `qmpsh.shell.fleet_lines`, `qmpsh.shell.sinks`,
`qmpsh.shell.qmp_mode`), the highlighting (`qmpsh.lang.lexer`, the shell's
cut of the target) and the history's redaction (`qmpsh.lang.redact`, which
keeps the parts as typed and judges the command): a part added here is one
they all know, so that no prefix can carry a secret past the redaction.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from qmpsh.lang.force_prefix import FORCE
from qmpsh.lang.sink import STARTS, Sink, SinkError, split_sink
from qmpsh.lang.tokens import Kind, tokenize

#: what starts a target prefix
TARGET = "@"
#: ``alias NAME =``: the word, the name (group 1), the ``=``
_ALIAS = re.compile(r"alias\s+([^\s=]+)\s*=")
#: what an assignment starts with, at least (a word, then a lone ``=``):
#: only such a line is tokenized to be sure
_MAYBE_ASSIGNMENT = re.compile(r"[ \t]*[^\s=\"'{]+[ \t]+=(?:[ \t\r\n]|$)")


class Span(NamedTuple):
    """Where a part is in the text: ``text[start:end]``."""

    start: int
    end: int


class Binding(NamedTuple):
    """``NAME =`` (an assignment) or ``alias NAME =`` (a definition)."""

    #: where it starts: the name, or the word ``alias``
    start: int
    name: Span
    #: where its ``=`` is
    equals: int


class Anatomy(NamedTuple):
    """The parts of *text* (see the module's docstring); None for a part
    it does not have."""

    text: str
    #: the ``!``
    force: Span | None
    #: ``@WORD``, the ``@`` included
    target: Span | None
    #: where what follows the ``!`` and ``@TARGET`` prefixes (and the
    #: blanks after them) starts: the binding, the command
    body: int
    alias: Binding | None
    assign: Binding | None
    #: the command, from its first character to its last before the sink
    #: (without a sink: to the end of the text); empty when there is none
    command: Span
    #: where the output goes
    sink: Sink | None
    #: why what starts a sink cannot be one (the command then runs to the
    #: end of the text: it is the caller's to refuse the line or not)
    sink_error: SinkError | None

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
    return Anatomy(
        text, force, target, body, alias, assign, Span(start, end), sink, error
    )


def _blanks(text: str, at: int) -> int:
    """Where the blanks at *at* end."""
    return len(text) - len(text[at:].lstrip())


def _alias(text: str, at: int) -> Binding | None:
    match = _ALIAS.match(text, at)
    if match is None:
        return None
    return Binding(at, Span(*match.span(1)), match.end() - 1)


def assignment_at(text: str, at: int = 0) -> Binding | None:
    """``NAME =`` at *at* in *text*: a first word, then a lone ``=``.  The
    name is not judged here (`qmpsh.lang.variables.split_assignment` says
    what is wrong with one), nor whether a command follows."""
    if _MAYBE_ASSIGNMENT.match(text, at) is None:  # the common case
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
    rest = text[start:]
    if not any(c in rest for c in STARTS):  # the common case: no tokenizing
        return None, None
    try:
        _, sink = split_sink(rest)
    except SinkError as err:
        return None, SinkError(err.message, start + err.offset)
    if sink is None:
        return None, None
    return sink._replace(offset=start + sink.offset), None
