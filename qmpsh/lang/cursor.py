"""Where is the cursor?  The first, pure stage of completion.

`locate` reads the text before the cursor (earlier lines of an open
transaction included) and says what kind of thing is being typed there: a
command name, a transaction action, an argument name below some dotted path,
a value at a path, an argument of a built-in, or nothing completable (inside
a raw JSON line, a ``{...}`` value or a comment, a sink).  It never raises:
the text is usually half typed.  What surrounds the command (``!``,
``NAME =``, ``alias NAME =``, a sink) is what `qmpsh.lang.anatomy` finds,
as for the shell's Enter.  It reads the words of `qmpsh.lang.tokens.tokenize`,
as the parser does: the word at the cursor is whatever the last token is
part of, when nothing separates it from the cursor.

Arguments typed before the cursor come along as a nested dict (bare values
kept as text), so that the completer can pick a union's variant from its
discriminator, or the QOM path that ``property=`` refers to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from qmpsh.lang.anatomy import anatomy
from qmpsh.lang.literal import LiteralError, parse_literal, scan_string
from qmpsh.lang.parser import PathT
from qmpsh.lang.tokens import (
    COMMENT,
    TRANSACTION_OPEN,
    Kind,
    Token,
    lines,
    tokenize,
)

_KEY, _BARE, _QUOTED, _BRACKETED = Kind.KEY, Kind.BARE, Kind.QUOTED, Kind.BRACKETED
_JSON, _OPEN, _CLOSE, _ERROR = Kind.JSON, Kind.OPEN, Kind.CLOSE, Kind.ERROR


@dataclass(frozen=True)
class Nowhere:
    """Nothing to complete here."""


@dataclass(frozen=True)
class CommandName:
    prefix: str


@dataclass(frozen=True)
class ActionName:
    """The first word of a line inside ``transaction(``."""

    prefix: str
    #: how many actions come before this one
    index: int = 0


@dataclass(frozen=True)
class ArgKey:
    command: str
    #: the path of the object whose member is being named
    parent: PathT
    #: the last dotted segment typed so far (what completion replaces)
    prefix: str
    args: Mapping[str, Any] = field(default_factory=dict)
    #: for transaction actions: the action's name (``command`` is "transaction")
    action: str | None = None

    def given(self) -> set[str]:
        """Members already set to a value (not an object) at `parent`."""
        node = dig(self.args, self.parent)
        if not isinstance(node, Mapping):
            return set()
        return {k for k, v in node.items() if not isinstance(v, Mapping)}


@dataclass(frozen=True)
class ArgValue:
    command: str
    path: PathT
    #: the value typed so far (without an opening quote)
    prefix: str
    args: Mapping[str, Any] = field(default_factory=dict)
    action: str | None = None
    #: the opening quote, when the value started with one
    quote: str = ""


@dataclass(frozen=True)
class BuiltinArg:
    name: str
    prefix: str
    #: the complete words before it
    words: tuple[str, ...] = ()


Where = Nowhere | CommandName | ActionName | ArgKey | ArgValue | BuiltinArg


def dig(value: Any, path: Iterable[str | int]) -> Any:
    """``value[p0][p1]...``, or None where that does not exist."""
    for step in path:
        if isinstance(step, int):
            ok = isinstance(value, list) and -len(value) <= step < len(value)
            value = value[step] if ok else None
        elif isinstance(value, Mapping):
            value = value.get(step)
        else:
            return None
    return value


def _text(word: list[Token]) -> str:
    return "".join(t.text for t in word)


def _is_pair(word: list[Token]) -> bool:
    return word[0].kind is _KEY


def _value(tokens: list[Token]) -> Any:
    """A typed value as text (bare), a decoded string, or a parsed literal;
    None when it does not read."""
    if not tokens:
        return ""
    if tokens[0].kind is _BRACKETED:
        if len(tokens) > 1:
            return None
        try:
            return parse_literal(tokens[0].text)
        except LiteralError:
            return None
    out: list[str] = []
    for token in tokens:
        if token.kind is _QUOTED:
            try:
                part, _ = scan_string(token.text, 0)
            except LiteralError:
                return None
            out.append(part)
        else:
            out.append(token.text)
    return "".join(out)


def _assign(root: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    if not all(parts):
        return
    node = root
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            return
        node = child
    if parts[-1] not in node:
        node[parts[-1]] = value


def _pairs(words: Iterable[list[Token]], into: dict[str, Any]) -> None:
    for word in words:
        if _is_pair(word):
            value = _value(word[2:])
            if value is not None:
                _assign(into, word[0].text, value)


def locate(text: str, builtins: Iterable[str] = ()) -> Where:
    """What is being typed at the end of *text* (the text before the cursor).

    *builtins* are names of shell built-ins, whose arguments are not QMP's.
    """
    # what surrounds the command is not completed here: a leading "!", a
    # "NAME =" or "alias NAME =" (the body is a command), and the shell
    # command or file of a sink after the cursor's "|" or ">"
    parts = anatomy(text, targets=False)
    if parts.sink is not None or parts.sink_error is not None:
        return Nowhere()
    stripped = text[parts.command.start :]
    tokens = tokenize(stripped, blanks=False)
    # after the last token come blanks and comments: a comment there is open
    tail = stripped[tokens[-1].end :] if tokens else stripped
    if COMMENT in tail:
        return Nowhere()
    statements = lines(tokens)
    current = statements[-1]
    partial = current.pop() if tokens and not tail and tokens[-1].word >= 0 else None
    first = next((s[0] for s in statements if s), partial)
    if first is None:
        return CommandName("")
    if first[0].kind is _JSON:
        return Nowhere()  # a raw JSON request
    if first[0].kind is _OPEN:
        if first is partial:
            return CommandName(TRANSACTION_OPEN)
        return _in_transaction(statements, partial)
    if len(statements) > 1 and any(statements[:-1]):
        return Nowhere()  # only a transaction spans lines
    if first is partial:
        return CommandName(_text(partial))
    command = _text(first)
    if command in set(builtins):
        words = tuple(_text(w) for w in current[1:])
        return BuiltinArg(command, _text(partial) if partial else "", words)
    args: dict[str, Any] = {}
    _pairs(current[1:], args)
    return _argument(command, (), partial, args, None)


def _argument(
    command: str,
    prefix: PathT,
    partial: list[Token] | None,
    args: dict[str, Any],
    action: str | None,
) -> Where:
    if partial is None:
        return ArgKey(command, prefix, "", args, action)
    if partial[0].kind is _ERROR:
        return Nowhere()  # "=...": a value with no name
    if not _is_pair(partial):
        *parents, last = _text(partial).split(".")
        return ArgKey(command, (*prefix, *parents), last, args, action)
    key = partial[0].text
    if any(not part for part in key.split(".")):
        return Nowhere()
    path: PathT = (*prefix, *key.split("."))
    value = partial[2:]
    if not value:
        return ArgValue(command, path, "", args, action)
    if len(value) > 1:
        return Nowhere()  # pieces glued together, or text after a literal
    token = value[0]
    if token.kind is _BARE:
        return ArgValue(command, path, token.text, args, action)
    if token.kind is _QUOTED and token.open_at >= 0:
        quote, typed = token.text[0], token.text[1:]
        if quote not in typed:  # an escaped quote: leave it be
            return ArgValue(command, path, typed, args, action, quote)
    return Nowhere()  # a closed quote, or a literal: nothing more to offer


def _in_transaction(
    statements: list[list[list[Token]]], partial: list[Token] | None
) -> Where:
    """Inside ``transaction( ... )``: actions, their data, then properties."""
    actions: list[dict[str, Any]] = []
    args: dict[str, Any] = {"actions": actions}
    rows = [list(s) for s in statements]
    # the words after "transaction(" on its own line start the first action
    opening = next(i for i, s in enumerate(rows) if s)
    rows[opening] = rows[opening][1:]
    for row in rows[:-1]:
        if _closes(row) is not None:
            return Nowhere()  # the transaction is over
        if row:
            _action(row, actions)
    current = rows[-1]
    close = _closes(current)
    if close is not None:
        if close:
            _action(current[:close], actions)
        properties: dict[str, Any] = {}
        _pairs(current[close + 1 :], properties)
        args["properties"] = properties
        return _argument("transaction", ("properties",), partial, args, None)
    if not current:
        if partial is None:
            return ActionName("", len(actions))
        if partial[0].kind is not _ERROR and not _is_pair(partial):
            return ActionName(_text(partial), len(actions))
        return Nowhere()
    name = _action(current, actions)
    prefix: PathT = ("actions", len(actions) - 1, "data")
    return _argument("transaction", prefix, partial, args, name)


def _closes(row: list[list[Token]]) -> int | None:
    """Where the ``)`` ending the transaction is in *row*, if it is."""
    return next((i for i, w in enumerate(row) if w[0].kind is _CLOSE), None)


def _action(row: list[list[Token]], actions: list[dict[str, Any]]) -> str:
    """Add the action *row* names, with its data; return its name."""
    name = _text(row[0])
    data: dict[str, Any] = {}
    _pairs(row[1:], data)
    actions.append({"type": name, "data": data})
    return name
