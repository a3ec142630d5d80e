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

Values: quoted text is always a string (double quotes take JSON escapes,
single quotes take ``\\'``); ``{...}``/``[...]`` is JSON or Python's
spelling of it; a bare word is a number if JSON would read it as one,
``true``/``false`` (any case) a boolean, ``null`` null, else a string.  A
schema-aware `Typer` can replace those rules for bare words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

from qmpsh.deepjson import MAX_DEPTH, depth
from qmpsh.literal import LiteralError, clip, parse_literal, parse_number, scan_string

PathT = tuple[str | int, ...]

#: QMP names, downstream extensions (``__com.vendor_x-y``) included
_COMMAND_RE = re.compile(r"[A-Za-z_][\w.+:-]*")

_WS = " \t\r\n"
_BOOLS = {"true": True, "false": False}
TRANSACTION_OPEN = "transaction("
TRANSACTION_CLOSE = ")"


class ParseError(ValueError):
    """Malformed input; `offset` indexes the text given to `parse`."""

    def __init__(self, message: str, offset: int, text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.line = text.count("\n", 0, offset) + 1
        self.column = offset - (text.rfind("\n", 0, offset) + 1) + 1

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.message}"


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


class _NeedMore(Exception):
    def __init__(self, what: str, offset: int) -> None:
        self.what = what
        self.offset = offset


class _Word(NamedTuple):
    start: int
    end: int
    raw: str
    #: for ``key=value`` words: the key, where the value starts, the value
    key: str | None = None
    value_start: int = 0
    value: Any = None
    #: bare scalar text still to be typed, when the value was unquoted
    bare: str | None = None


class _Builder:
    """Builds the arguments object, refusing keys set twice or both ways."""

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

    def assign(self, word: _Word, root: dict[str, Any], prefix: PathT) -> None:
        assert word.key is not None
        keys = word.key.split(".")
        if len(prefix) + len(keys) >= MAX_DEPTH:
            raise self._too_deep(word, len(prefix) + len(keys) + 1)
        for k in keys:
            if not k:
                raise ParseError(
                    f"empty name in {clip(word.key)}: write names like a.b.c",
                    word.start,
                    self.text,
                )
        node = root
        path: PathT = prefix
        for k in keys[:-1]:
            path = (*path, k)
            if path in self.leaves:
                raise self._both(path, prefix, word)
            if path not in self.parents:
                self.parents.add(path)
                node[k] = {}
            node = node[k]
        path = (*path, keys[-1])
        if path in self.parents:
            raise self._both(path, prefix, word)
        if path in self.leaves:
            raise ParseError(
                f"{_dotted(path, prefix)!r} is set twice", word.start, self.text
            )
        self.leaves.add(path)
        value = word.value
        if word.bare is not None:
            value = self.typer(self.command, path, word.bare, self.args)
        if isinstance(value, dict | list):
            # the message, then one object per name in the path, then the value
            total = 1 + len(path) + depth(value)
            if total > MAX_DEPTH:
                raise self._too_deep(word, total)
        node[keys[-1]] = value

    def _too_deep(self, word: _Word, levels: int) -> ParseError:
        return ParseError(
            f"the request would be nested {levels} levels deep; QEMU accepts "
            f"at most {MAX_DEPTH}",
            word.start,
            self.text,
        )

    def _both(self, path: PathT, prefix: PathT, word: _Word) -> ParseError:
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
    start = _skip_blank(text, 0)
    if start >= len(text):
        return None
    try:
        if text[start] == "{":
            return _parse_raw(text, start)
        statements = _statements(text, start)
    except _NeedMore as more:
        return Incomplete(more.what, more.offset)
    first = statements[0]
    if first[0].raw == TRANSACTION_OPEN and first[0].key is None:
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
            f"a line starts with a command name, not {clip(name.raw)}",
            name.start,
            text,
        )
    builder = _Builder(text, typer, name.raw)
    for word in first[1:]:
        _need_pair(word, text)
        builder.assign(word, builder.args, ())
    message: dict[str, Any] = {"execute": name.raw}
    if builder.args:
        message["arguments"] = builder.args
    return Request(message)


def _parse_transaction(
    text: str, statements: list[list[_Word]], typer: Typer
) -> Request | Incomplete:
    actions: list[dict[str, Any]] = []
    builder = _Builder(text, typer, "transaction", {"actions": actions})
    properties: dict[str, Any] = {}
    words = iter([(i, w) for i, stmt in enumerate(statements) for w in stmt][1:])
    current: tuple[int, dict[str, Any]] | None = None  # (statement, data)
    closed_at: int | None = None
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
        if word.raw == TRANSACTION_CLOSE and word.key is None:
            closed_at = stmt_no
            continue
        if current is None or current[0] != stmt_no:
            if word.key is not None:
                raise ParseError(
                    "each transaction line starts with an action name, "
                    f"not {clip(word.raw)}",
                    word.start,
                    text,
                )
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


def _need_pair(word: _Word, text: str, where: str = "") -> None:
    if word.key is None:
        hint = f" {where}" if where else ""
        raise ParseError(
            f"expected name=value{hint}, got {clip(word.raw)}", word.start, text
        )


def _parse_raw(text: str, start: int) -> Request:
    end = _match_brackets(text, start)
    try:
        value = parse_literal(text[start:end])
    except LiteralError as err:
        raise ParseError(f"bad JSON: {err.message}", start + err.offset, text) from None
    rest = _skip_blank(text, end)
    if rest < len(text):
        raise ParseError("unexpected text after the JSON object", rest, text)
    if not isinstance(value, dict):
        raise ParseError("a raw JSON line must be one object {...}", start, text)
    levels = depth(value)
    if levels > MAX_DEPTH:
        raise ParseError(
            f"the request is nested {levels} levels deep; QEMU accepts at most "
            f"{MAX_DEPTH}",
            start,
            text,
        )
    return Request(value, raw=True)


def _skip_blank(text: str, pos: int) -> int:
    """Skip whitespace, newlines and comments."""
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch in _WS:
            pos += 1
        elif ch == "#":
            nl = text.find("\n", pos)
            pos = n if nl < 0 else nl
        else:
            break
    return pos


def _statements(text: str, pos: int) -> list[list[_Word]]:
    """Words grouped by line; newlines inside quotes or brackets don't count."""
    out: list[list[_Word]] = []
    current: list[_Word] = []
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch == "\n":
            if current:
                out.append(current)
                current = []
            pos += 1
        elif ch in _WS:
            pos += 1
        elif ch == "#":
            nl = text.find("\n", pos)
            pos = n if nl < 0 else nl
        else:
            word = _scan_word(text, pos)
            current.append(word)
            pos = word.end
    if current:
        out.append(current)
    return out


def _scan_word(text: str, pos: int) -> _Word:
    n = len(text)
    i = pos
    while i < n and text[i] not in _WS and text[i] not in "=\"'":
        i += 1
    if i < n and text[i] == "=":
        key = text[pos:i]
        if not key:
            raise ParseError("a name is missing before '='", pos, text)
        value, bare, end = _scan_value(text, i + 1)
        return _Word(pos, end, text[pos:end], key, i + 1, value, bare)
    if i < n and text[i] in "\"'":
        _, _, end = _scan_value(text, pos)  # a quoted stray word
        return _Word(pos, end, text[pos:end])
    return _Word(pos, i, text[pos:i])


def _scan_value(text: str, pos: int) -> tuple[Any, str | None, int]:
    """Scan a value; return (value, bare text or None, end)."""
    n = len(text)
    if pos < n and text[pos] in "{[":
        end = _match_brackets(text, pos)
        if end < n and text[end] not in _WS:
            raise ParseError(
                f"unexpected {text[end]!r} after the closing {text[end - 1]!r}",
                end,
                text,
            )
        try:
            return parse_literal(text[pos:end]), None, end
        except LiteralError as err:
            raise ParseError(
                f"bad JSON value: {err.message} (quote the value to send it "
                "as a string)",
                pos + err.offset,
                text,
            ) from None
    parts: list[str] = []
    quoted = False
    i = pos
    while i < n and text[i] not in _WS:
        if text[i] in "\"'":
            quoted = True
            try:
                part, i = scan_string(text, i)
            except LiteralError as err:
                if err.offset >= n:
                    raise _NeedMore("quote", i) from None
                raise ParseError(err.message, err.offset, text) from None
            parts.append(part)
        else:
            j = i
            while j < n and text[j] not in _WS and text[j] not in "\"'":
                j += 1
            parts.append(text[i:j])
            i = j
    value = "".join(parts)
    return value, (None if quoted else value), i


def _match_brackets(text: str, pos: int) -> int:
    """The end of the bracketed span opening at *pos* (quotes respected)."""
    depth = 0
    i = pos
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
        elif ch in "\"'":
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise _NeedMore("quote", i)
            i = j
        i += 1
    raise _NeedMore("bracket", pos)


class Accumulator:
    """Feeds lines to `parse` until a command is complete.

    A line that makes the pending text invalid is dropped, so a typo inside a
    long transaction costs that line only.
    """

    def __init__(self, typer: Typer | None = None) -> None:
        self.typer = typer
        self.buffer = ""
        self.open: Incomplete | None = None

    @property
    def pending(self) -> bool:
        return self.open is not None

    def feed(self, line: str) -> Request | Incomplete | None:
        text = f"{self.buffer}\n{line}" if self.open else line
        try:
            result = parse(text, self.typer)
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
