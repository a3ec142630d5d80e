"""The shorthand parser: text in, a QMP request (or "more input") out.

Pure: no sockets, no terminal.  ``parse(text)`` returns a `Request`, an
`Incomplete` (a transaction, a quote or a bracket is still open: feed another
line), or ``None`` for a blank or comment-only line, and raises `ParseError`
with the position of the problem.  The grammar::

    command [key=value ...]          # a comment
    blockdev-add driver=qcow2 node-name=n file.driver=file file.filename=/x
    device_add driver=e1000 id="a name with spaces" romfile=''
    block-set-write-threshold node-name=n write-threshold=1024
    x-foo list=[1, 2, 3] obj={"a": 1, 'b': True}
    {"execute": "query-status", "id": "mine"}       # raw JSON, sent as is
    transaction(
      block-dirty-bitmap-add node=drive0 name=bitmap1
      block-dirty-bitmap-clear node=drive0 name=bitmap0
    ) completion-mode=grouped                       # -> "properties"
    transaction(block-dirty-bitmap-clear node=drive0 name=bitmap0)   # one line

Values: quoted text is always a string (double quotes take JSON escapes,
single quotes take ``\\'``); ``{...}``/``[...]`` is JSON or Python's
spelling of it; a bare word is a number if JSON would read it as one,
``true``/``false`` (any case) a boolean, ``null`` null, else a string.  A
schema-aware `Typer` can replace those rules for bare words.

What a word is belongs to `qmpsh.lang.tokens`, reading its value strictly to
`qmpsh.lang.words`; this module owns the sentence: a command's name, then
pairs whose dotted keys build the arguments; a transaction's actions and
properties; a raw JSON request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

from qmpsh.core.deepjson import MAX_DEPTH, depth
from qmpsh.lang.literal import LiteralError, clip, parse_literal, parse_number
from qmpsh.lang.tokens import TRANSACTION_OPEN, Kind, Token, tokenize
from qmpsh.lang.words import NeedMore, ParseError, Word, check_closed, read

__all__ = [
    "Accumulator",
    "Incomplete",
    "ParseError",
    "Request",
    "Typer",
    "default_typer",
    "parse",
]

PathT = tuple[str | int, ...]

#: QMP names, downstream extensions (``__com.vendor_x-y``) included
_COMMAND_RE = re.compile(r"[A-Za-z_][\w.+:-]*")
#: a variable's name (`qmpsh.lang.variables.NAME_RE`)
_VARIABLE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_BOOLS = {"true": True, "false": False}
_JSON, _OPEN, _CLOSE = Kind.JSON, Kind.OPEN, Kind.CLOSE
_CONTAINERS = (dict, list)
_new = tuple.__new__


class Request(NamedTuple):
    """A QMP message ready to send."""

    message: dict[str, Any]
    #: True when the user typed the JSON message themselves.
    raw: bool = False

    @property
    def command(self) -> str:
        name = self.message.get("execute", self.message.get("exec-oob"))
        return name if isinstance(name, str) else ""


class Incomplete(NamedTuple):
    """More input is needed; `what` names what is still open."""

    what: str
    #: where the open construct started, in the text given to `parse`
    offset: int = 0


class Typer(Protocol):
    """Turns a bare (unquoted) scalar word into a JSON value."""

    def __call__(
        self, command: str, path: PathT, text: str, args: Mapping[str, Any]
    ) -> Any: ...


def default_typer(command: str, path: PathT, text: str, args: Mapping[str, Any]) -> Any:
    """The schema-less rules: JSON numbers, true/false (any case), null."""
    if text[:1] in "-0123456789":
        number = parse_number(text)
        if number is not None:
            return number
    lowered = text.lower()
    if lowered in _BOOLS:
        return _BOOLS[lowered]
    if text == "null":
        return None
    return text


class _Builder:
    """Builds the arguments object, refusing keys set twice or both ways."""

    __slots__ = ("args", "command", "leaves", "parents", "text", "typer")

    def __init__(
        self,
        text: str,
        typer: Typer,
        command: str,
        args: dict[str, Any] | None = None,
    ) -> None:
        self.text = text
        self.typer = typer
        self.command = command
        self.args: dict[str, Any] = {} if args is None else args
        self.leaves: set[PathT] = set()
        self.parents: set[PathT] = set()

    def assign(self, word: Word, root: dict[str, Any], prefix: PathT) -> None:
        key = word.key
        assert key is not None
        keys = key.split(".")
        if len(prefix) + len(keys) >= MAX_DEPTH:
            raise self._too_deep(word, len(prefix) + len(keys) + 1)
        if "" in keys:
            raise ParseError(
                f"empty name in {clip(key)}: write names like a.b.c",
                word.start,
                self.text,
            )
        leaves, parents = self.leaves, self.parents
        node = root
        path: PathT = prefix
        if len(keys) > 1:
            for k in keys[:-1]:
                path = (*path, k)
                if path in leaves:
                    raise self._both(path, prefix, word)
                if path not in parents:
                    parents.add(path)
                    node[k] = {}
                node = node[k]
        last = keys[-1]
        path = (*path, last)
        if path in parents:
            raise self._both(path, prefix, word)
        if path in leaves:
            raise ParseError(
                f"{_dotted(path, prefix)!r} is set twice", word.start, self.text
            )
        leaves.add(path)
        value = word.value
        if word.bare is not None:
            value = self.typer(self.command, path, word.bare, self.args)
        if isinstance(value, _CONTAINERS):
            # the message, then one object per name in the path, then the value
            total = 1 + len(path) + depth(value)
            if total > MAX_DEPTH:
                raise self._too_deep(word, total)
        node[last] = value

    def _too_deep(self, word: Word, levels: int) -> ParseError:
        return ParseError(
            f"the request would be nested {levels} levels deep; QEMU accepts "
            f"at most {MAX_DEPTH}",
            word.start,
            self.text,
        )

    def _both(self, path: PathT, prefix: PathT, word: Word) -> ParseError:
        name = _dotted(path, prefix)
        return ParseError(
            f"{name!r} is given both a value and members ({name}=... and "
            f"{name}.MEMBER=...): use one form",
            word.start,
            self.text,
        )


def _dotted(path: PathT, prefix: PathT) -> str:
    return ".".join(str(p) for p in path[len(prefix) :])


def parse(text: str, typer: Typer | None = None) -> Request | Incomplete | None:
    """Parse one command (which may span lines) from *text*."""
    typer = typer or default_typer
    tokens = tokenize(text, blanks=False)
    for head in tokens:
        if head.word >= 0:
            break
    else:
        return None  # blank, or comments only
    try:
        if head.kind is _JSON:
            return _parse_raw(text, tokens, head)
        statements = read(text, tokens)
    except NeedMore as more:
        return Incomplete(more.what, more.offset)
    first = statements[0]
    if first[0].kind is _OPEN:
        return _parse_transaction(text, statements, typer)
    if len(statements) > 1:
        raise ParseError(
            "one command per line (only a transaction( spans lines)",
            statements[1][0].start,
            text,
        )
    name = first[0]
    if name.key is not None or not _COMMAND_RE.fullmatch(name.raw):
        raise ParseError(
            f"a line starts with a command name, not {clip(name.raw)}"
            f"{_not_a_command_hint(name.raw)}",
            name.start,
            text,
        )
    builder = _Builder(text, typer, name.raw)
    assign, args = builder.assign, builder.args
    for word in first[1:]:
        if word.key is None:
            _need_pair(word, text)
        assign(word, args, ())
    message: dict[str, Any] = {"execute": name.raw}
    if args:
        message["arguments"] = args
    return _new(Request, (message, False))  # Request(message), quicker


def _parse_transaction(
    text: str, statements: list[list[Word]], typer: Typer
) -> Request | Incomplete:
    actions: list[dict[str, Any]] = []
    builder = _Builder(text, typer, "transaction", {"actions": actions})
    properties: dict[str, Any] = {}
    current: tuple[int, dict[str, Any]] | None = None  # (statement, data)
    closed_at: int | None = None
    words = [(n, w) for n, stmt in enumerate(statements) for w in stmt][1:]
    for stmt_no, word in words:
        if closed_at is not None:
            if stmt_no != closed_at:
                raise ParseError(
                    "unexpected input after the transaction's ')'",
                    word.start,
                    text,
                )
            _need_pair(word, text, "after ')' (transaction properties)")
            builder.assign(word, properties, ("properties",))
            continue
        if word.kind is _CLOSE:
            closed_at = stmt_no
            continue
        if current is None or current[0] != stmt_no:
            _need_action(word, text)
            data: dict[str, Any] = {}
            actions.append({"type": word.raw, "data": data})
            current = (stmt_no, data)
            continue
        _need_pair(word, text)
        builder.assign(word, current[1], ("actions", len(actions) - 1, "data"))
    if closed_at is None:
        return Incomplete("transaction", statements[0][0].start)
    arguments: dict[str, Any] = {"actions": actions}
    if properties:
        arguments["properties"] = properties
    return Request({"execute": "transaction", "arguments": arguments})


def _need_action(word: Word, text: str) -> None:
    """The first word of a transaction line must name an action."""
    if word.key is None and _COMMAND_RE.fullmatch(word.raw):
        return
    if word.key is None and word.raw.startswith(TRANSACTION_OPEN):
        problem = "transactions do not nest: close this one with ')' first"
    elif word.raw[:1] in "{[":
        problem = (
            "a transaction line is an action in shorthand (NAME name=value...), "
            f"not JSON: {clip(word.raw)}"
        )
    else:
        problem = (
            f"each transaction line starts with an action name, not {clip(word.raw)}"
        )
    raise ParseError(problem, word.start, text)


def _need_pair(word: Word, text: str, where: str = "") -> None:
    if word.key is None:
        hint = f" {where}" if where else ""
        raise ParseError(
            f"expected name=value{hint}, got {clip(word.raw)}{_lone_cr(text, word.start)}",
            word.start,
            text,
        )


def _lone_cr(text: str, pos: int) -> str:
    """A hint when a carriage return split the line: alone, it is not a line
    break (only LF and CR LF are), so two commands became one."""
    if "\r" in text[text.rfind("\n", 0, pos) + 1 : pos]:
        return " (a carriage return \\r alone does not end a line)"
    return ""


def _not_a_command_hint(word: str) -> str:
    """What was probably meant by a line starting with *word* that is no
    command name: ``x=query-status`` a binding, ``@web1`` a target."""
    if word.startswith("@"):
        return (
            ": @TARGET works in a shell on several targets; in a script, give "
            "the target as ADDRESS (several for fan-out)"
        )
    name, equals, command = word.partition("=")
    if equals and _VARIABLE_RE.fullmatch(name) and _COMMAND_RE.fullmatch(command):
        return f" (to bind a reply, write {name} = {command})"
    return ""


def _parse_raw(text: str, tokens: list[Token], head: Token) -> Request:
    check_closed(text, head)
    try:
        value = parse_literal(head.text)
    except LiteralError as err:
        raise ParseError(
            f"bad JSON: {err.message}", head.start + err.offset, text
        ) from None
    rest = next((t for t in tokens if t.word > head.start), None)
    if rest is not None:
        raise ParseError("unexpected text after the JSON object", rest.start, text)
    if not isinstance(value, dict):
        raise ParseError("a raw JSON line must be one object {...}", head.start, text)
    levels = depth(value)
    if levels > MAX_DEPTH:
        raise ParseError(
            f"the request is nested {levels} levels deep; QEMU accepts at most "
            f"{MAX_DEPTH}",
            head.start,
            text,
        )
    return Request(value, raw=True)


class Accumulator:
    """Feeds lines to `parse` until a command is complete.

    A line that makes the pending text invalid is dropped, so a typo inside a
    long transaction costs that line only.
    """

    def __init__(
        self,
        typer: Typer | None = None,
        parser: Callable[[str, Typer | None], Request | Incomplete | None]
        | None = None,
    ) -> None:
        self.typer = typer
        #: what parses the text (`parse`, or one that replaces variables
        #: first: `qmpsh.lang.bound.parse_bound`)
        self.parser = parser or parse
        self.buffer = ""
        self.open: Incomplete | None = None

    @property
    def pending(self) -> bool:
        return self.open is not None

    def feed(self, line: str) -> Request | Incomplete | None:
        text = f"{self.buffer}\n{line}" if self.open else line
        try:
            result = self.parser(text, self.typer)
        except ParseError:
            if not self.open:
                self.buffer = ""
            raise
        if isinstance(result, Incomplete):
            self.buffer, self.open = text, result
        else:
            self.buffer, self.open = "", None
        return result

    def reset(self) -> None:
        self.buffer, self.open = "", None

    def finish(self) -> None:
        """At end of input: raise `ParseError` if something is still open."""
        if self.open is None:
            return
        opened = ParseError("", self.open.offset, self.buffer)
        what = {
            "transaction": "transaction( is never closed with ')'",
            "quote": "a quote is never closed",
            "bracket": "a { or [ is never closed",
        }.get(self.open.what, f"unfinished {self.open.what}")
        message = f"{what} (opened at line {opened.line}, column {opened.column})"
        text = self.buffer
        self.reset()
        raise ParseError(message, len(text), text)
