"""Where is the cursor?  The first, pure stage of completion.

`locate` reads the text before the cursor (earlier lines of an open
transaction included) and says what kind of thing is being typed there: a
command name, a transaction action, an argument name below some dotted path,
a value at a path, an argument of a built-in, or nothing completable (inside
a raw JSON line, a ``{...}`` value or a comment).  It never raises: the text
is usually half typed.

Arguments typed before the cursor come along as a nested dict (bare values
kept as text), so that the completer can pick a union's variant from its
discriminator, or the QOM path that ``property=`` refers to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from qmpsh.lang.force_prefix import split_force
from qmpsh.lang.literal import LiteralError, parse_literal, scan_string
from qmpsh.lang.parser import TRANSACTION_CLOSE, TRANSACTION_OPEN, PathT

_WS = " \t\r\n"


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


@dataclass
class _Word:
    text: str
    #: index of the first unquoted '=', or -1
    eq: int = -1


def _words(text: str) -> tuple[list[list[_Word]], bool, bool]:
    """Statements (lines) of words; whether the text ends inside a word,
    and whether it ends inside a comment."""
    statements: list[list[_Word]] = [[]]
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            statements.append([])
            i += 1
        elif ch in _WS:
            i += 1
        elif ch == "#":
            nl = text.find("\n", i)
            if nl < 0:
                return statements, False, True
            i = nl
        else:
            start, eq = i, -1
            quote = ""
            depth = 0
            while i < n:
                ch = text[i]
                if quote:
                    if ch == "\\":
                        i += 1
                    elif ch == quote:
                        quote = ""
                elif ch in "\"'":
                    quote = ch
                elif depth and ch in "]}":
                    depth -= 1
                elif ch in "[{" and (depth or (eq >= 0 and i == start + eq + 1)):
                    depth += 1
                elif ch == "=" and eq < 0 and not depth:
                    eq = i - start
                elif ch in _WS and not depth:
                    break
                i += 1
            statements[-1].append(_Word(text[start:i], eq))
            if i >= n:
                return statements, True, False
    return statements, False, False


def _value(raw: str) -> Any:
    """A typed value as text (bare), a decoded string, or a parsed literal."""
    if raw.startswith(("{", "[")):
        try:
            return parse_literal(raw)
        except LiteralError:
            return None
    if "'" in raw or '"' in raw:
        out: list[str] = []
        i = 0
        while i < len(raw):
            if raw[i] in "\"'":
                try:
                    part, i = scan_string(raw, i)
                except LiteralError:
                    return None
                out.append(part)
            else:
                j = i
                while j < len(raw) and raw[j] not in "\"'":
                    j += 1
                out.append(raw[i:j])
                i = j
        return "".join(out)
    return raw


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


def _pairs(words: Iterable[_Word], into: dict[str, Any]) -> None:
    for word in words:
        if word.eq > 0:
            value = _value(word.text[word.eq + 1 :])
            if value is not None:
                _assign(into, word.text[: word.eq], value)


def locate(text: str, builtins: Iterable[str] = ()) -> Where:
    """What is being typed at the end of *text* (the text before the cursor).

    *builtins* are names of shell built-ins, whose arguments are not QMP's.
    """
    stripped = split_force(text)[1].lstrip()  # "!" sends without validating
    if stripped.startswith("{"):
        return Nowhere()
    statements, in_word, in_comment = _words(stripped)
    if in_comment:
        return Nowhere()
    current = statements[-1]
    partial = current.pop() if in_word else None
    first = next((s[0] for s in statements if s), partial)
    if first is None:
        return CommandName("")
    if first.text == TRANSACTION_OPEN and first is not partial:
        return _in_transaction(statements, partial)
    if len(statements) > 1 and any(statements[:-1]):
        return Nowhere()  # only a transaction spans lines
    if first is partial:
        return CommandName(partial.text)
    if first.text in set(builtins):
        words = tuple(w.text for w in current[1:])
        return BuiltinArg(first.text, partial.text if partial else "", words)
    args: dict[str, Any] = {}
    _pairs(current[1:], args)
    return _argument(first.text, (), partial, args, None)


def _argument(
    command: str,
    prefix: PathT,
    partial: _Word | None,
    args: dict[str, Any],
    action: str | None,
) -> Where:
    if partial is None:
        return ArgKey(command, prefix, "", args, action)
    if partial.eq < 0:
        *parents, last = partial.text.split(".")
        return ArgKey(command, (*prefix, *parents), last, args, action)
    key = partial.text[: partial.eq]
    raw = partial.text[partial.eq + 1 :]
    if not key or any(not part for part in key.split(".")):
        return Nowhere()
    path: PathT = (*prefix, *key.split("."))
    if raw.startswith(("{", "[")):
        return Nowhere()
    quote = ""
    if raw.startswith(('"', "'")):
        quote, raw = raw[0], raw[1:]
        if quote in raw:
            return Nowhere()  # a closed quote: nothing more to offer
    elif "'" in raw or '"' in raw:
        return Nowhere()
    return ArgValue(command, path, raw, args, action, quote)


def _in_transaction(statements: list[list[_Word]], partial: _Word | None) -> Where:
    """Inside ``transaction( ... )``: actions, their data, then properties."""
    actions: list[dict[str, Any]] = []
    args: dict[str, Any] = {"actions": actions}
    lines = [list(s) for s in statements]
    # the words after "transaction(" on its own line start the first action
    opening = next(i for i, s in enumerate(lines) if s)
    lines[opening] = lines[opening][1:]
    for line in lines[:-1]:
        if not line:
            continue
        if line[0].text == TRANSACTION_CLOSE:
            return Nowhere()  # the transaction is over
        data: dict[str, Any] = {}
        _pairs(line[1:], data)
        actions.append({"type": line[0].text, "data": data})
    current = lines[-1]
    if current and current[0].text == TRANSACTION_CLOSE:
        properties: dict[str, Any] = {}
        _pairs(current[1:], properties)
        args["properties"] = properties
        return _argument("transaction", ("properties",), partial, args, None)
    if not current:
        if partial is None:
            return ActionName("", len(actions))
        if partial.eq < 0:
            return ActionName(partial.text, len(actions))
        return Nowhere()
    name = current[0].text
    data = {}
    _pairs(current[1:], data)
    actions.append({"type": name, "data": data})
    prefix: PathT = ("actions", len(actions) - 1, "data")
    return _argument("transaction", prefix, partial, args, name)
