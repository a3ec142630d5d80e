"""Output tagged with the target it came from, for several targets at once.

Fan-out (`qmpsh.cli.fanout`) and ``qmpsh events`` over several targets
write one JSON line per reply or event, with a ``"target"`` member naming
where it came from, and prefix their stderr lines with the target:
``qmpsh: web1: -c:2: stop: ...``, and ``web1: LINE`` for what is not
qmpsh's (a guest program's stderr, ``guest-run --text``).  The tagging is pure (`tag_json`,
`tag_text`); the streams and the console here hand whole lines to the
output gate (`qmpsh.core.output`), so lines of different targets never mix
within a line: each is written by one call, between two turns of the
event loop.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TextIO, cast

from qmpsh.core.output import emit, settle, write
from qmpsh.core.sanitize import shown


def label_json(label: str) -> str:
    """*label* as a JSON string, made visible first (a path may hold an
    escape character: it must not reach the terminal)."""
    return json.dumps(shown(label), ensure_ascii=False)


def tag_json(label: str, text: str) -> str:
    """*text*, one rendered JSON value (compact or indented), with
    ``"target": LABEL`` first.  An object gets the member; anything else
    (``-r``'s list or string), or an object that has a top-level
    ``"target"`` of its own, becomes ``{"target": LABEL, "value": ...}``."""
    tag = label_json(label)
    body = text.rstrip("\n")
    if not body.startswith("{") or _has_target(body):
        return f'{{"target": {tag}, "value": {body}}}'
    rest = body[1:]
    if rest.lstrip().startswith("}"):
        return f'{{"target": {tag}}}'
    if rest.startswith("\n"):  # indented (--pretty): as the lines below
        second = rest[1:]
        indent = second[: len(second) - len(second.lstrip(" "))]
        return f'{{\n{indent}"target": {tag},{rest}'
    return f'{{"target": {tag}, {rest.lstrip()}'


def _one_value(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _has_target(body: str) -> bool:
    if '"target"' not in body:  # the common case: no parsing
        return False
    try:
        value = json.loads(body)
    except ValueError:
        return False
    return isinstance(value, dict) and "target" in value


def tag_text(label: str, text: str) -> str:
    """A built-in's output: one JSON value (what the built-in rendered) as
    `tag_json` tags it; anything else (HMP output, a guest program's
    output, text that only looks like JSON: ``{...}\\n{...}`` from a guest
    would otherwise pass for two lines of other targets') as
    ``{"target": LABEL, "text": "..."}``, one line whatever it holds."""
    if text.lstrip().startswith(("{", "[")) and _one_value(text):
        return tag_json(label, text)
    return f'{{"target": {label_json(label)}, "text": {json.dumps(text)}}}'


def tag_error(label: str, text: str) -> str:
    """Each line of *text*, for stderr: ``qmpsh: MESSAGE`` as ``qmpsh:
    LABEL: MESSAGE`` (`about`), any other (the rest of a message of
    several lines) as ``LABEL: LINE``: no line on stderr leaves the
    target unsaid."""
    head = "qmpsh: "
    return "\n".join(
        head + about(label, line[len(head) :])
        if line.startswith(head)
        else f"{shown(label)}: {line}"
        for line in text.split("\n")
    )


def tag_lines(label: str, text: str) -> str:
    """Each line of *text* (another program's, whatever it says, ``qmpsh:``
    too) after ``LABEL: ``."""
    who = f"{shown(label)}: "
    return "\n".join(who + line for line in text.split("\n"))


def about(label: str, text: str) -> str:
    """*text* after ``LABEL: `` (once: a message about a named target
    may name it first already)."""
    who = f"{shown(label)}: "
    return text if text.startswith(who) else who + text


class _Stream:
    """What `qmpsh.batch.runner.BatchRunner` writes to: whole lines (the
    runner writes each with one call), tagged, then passed on."""

    def __init__(
        self, label: str, stream: TextIO, on_failure: Callable[[], None]
    ) -> None:
        self.label = label
        self.stream = stream
        self.on_failure = on_failure
        #: the pieces of a line written in several calls (a reply of
        #: megabytes: `qmpsh.core.output.emit_json`), until its "\\n"
        self._pieces: list[str] = []

    def tag(self, text: str) -> str:
        raise NotImplementedError

    def write(self, text: str) -> int:
        if not text.endswith("\n"):
            self._pieces.append(text)
            return len(text)
        whole = text
        if self._pieces:
            self._pieces.append(text)
            whole = "".join(self._pieces)
            self._pieces = []
        try:
            # already through the gate (the runner's `emit`): as it is
            emit(self.stream, self.tag(whole), "\n", raw=True)
        except OSError:
            self.on_failure()
            raise
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False  # no colour: tags and colours would not mix

    def fileno(self) -> int:
        return self.stream.fileno()


class _Out(_Stream):
    def tag(self, text: str) -> str:
        return tag_json(self.label, text)


class _Err(_Stream):
    def tag(self, text: str) -> str:
        return tag_error(self.label, text.rstrip("\n"))


def tagged_out(label: str, on_failure: Callable[[], None]) -> TextIO:
    """Stdout for one target's runner: each JSON line tagged (`tag_json`);
    *on_failure* is called when stdout cannot be written."""
    return cast(TextIO, _Out(label, sys.stdout, on_failure))


def tagged_err(label: str) -> TextIO:
    """Stderr for one target's runner: each line prefixed (`tag_error`)."""
    return cast(TextIO, _Err(label, sys.stderr, lambda: None))


class TaggedConsole:
    """A `qmpsh.builtins.context.Console` for one target of several: what
    built-ins print is tagged (`tag_text`), what they say is prefixed."""

    def __init__(self, label: str) -> None:
        self.label = label
        #: the target was stopped (--fail-fast, stdout gone): what it
        #: still has to say (a late reply to a request left behind) is noise
        self.silenced = False

    def out(self, text: str) -> None:
        if not self.silenced:
            write(tag_text(self.label, text), "\n")

    def err(self, text: str) -> None:
        if self.silenced:
            return
        sys.stdout.flush()
        emit(sys.stderr, tag_error(self.label, f"qmpsh: {text}"), "\n")
        sys.stderr.flush()

    def relay_err(self, text: str) -> None:
        """Another program's stderr (``guest-run --text``): each line after
        ``LABEL: `` (`tag_lines`; no ``qmpsh:``: the words are not qmpsh's)."""
        if self.silenced:
            return
        settle()
        emit(sys.stderr, tag_lines(self.label, text), "\n")
        sys.stderr.flush()
