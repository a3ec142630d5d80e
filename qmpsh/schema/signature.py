"""The signature of the command being typed, for the toolbar.

Pure.  `signature` says which command (or transaction action) is being
typed, its arguments at the level the cursor is in (``file.`` shows the
members of ``file``, for the variant its ``driver`` selects), which were
given already and which one the cursor is on.  `fragments` renders it as
prompt_toolkit formatted text, the current argument highlighted:

    blockdev-add  driver=enum  [node-name=str]  [discard=enum] ...
    driver: block driver name

The second line, given QEMU's manual (`qmpsh.schema.manual`), is what it
says of the argument the cursor is on (for a deprecated one: what to use
instead), or of the command while its name is typed.

Style classes: ``signature.command``, ``signature.argument``,
``signature.optional``, ``signature.given``, ``signature.current``,
``signature.doc``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from qmpsh.lang.cursor import ArgKey, ArgValue, CommandName, dig, locate
from qmpsh.schema.manual.scope import (
    deprecation_hint,
    first_sentence,
    one_line,
    scope_at,
)
from qmpsh.schema.manual.view import Manual
from qmpsh.schema.model import Object, Schema


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    optional: bool
    given: bool = False
    current: bool = False
    deprecated: bool = False


@dataclass(frozen=True)
class Signature:
    #: the command, or the transaction action
    command: str
    #: the dotted path of the level shown ("" for the top)
    path: str
    params: tuple[Param, ...]
    #: what the manual says of the current argument (or of the command while
    #: its name is typed), on one line; "" without
    doc: str = ""

    @property
    def current(self) -> Param | None:
        return next((p for p in self.params if p.current), None)


def signature(
    schema: Schema,
    text: str,
    builtins: Iterable[str] = (),
    manual: Manual | None = None,
) -> Signature | None:
    """The signature for the text before the cursor, or None; with the
    words of *manual* (complete: nothing is parsed here)."""
    where = locate(text, builtins)
    if isinstance(where, CommandName):
        if where.prefix not in schema.commands:
            return None
        sig = _build(schema, where.prefix, where.prefix, (), {}, None)
        return _command_doc(sig, schema, manual) if sig and manual else sig
    if isinstance(where, ArgKey):
        level, name = where.parent, where.prefix
    elif isinstance(where, ArgValue):
        level, name = where.path[:-1], str(where.path[-1])
    else:
        return None
    shown = where.action or where.command
    sig = _build(schema, where.command, shown, level, where.args, name)
    current = sig.current if sig is not None else None
    if sig is None or current is None or manual is None:
        return sig
    scope = scope_at(manual, where.command, level, where.args)
    words = one_line(scope.member(current.name), manual, current.deprecated, 200)
    return replace(sig, doc=f"{current.name}: {words}" if words else "")


def _command_doc(sig: Signature, schema: Schema, manual: Manual) -> Signature:
    """*sig* with the command's first sentence (or its deprecation hint)."""
    entry = manual.get(sig.command)
    if entry is None:
        return sig
    deprecated = "deprecated" in schema.commands[sig.command].features
    hint = deprecation_hint(manual, entry.name) if deprecated else ""
    words = first_sentence(hint or entry.description, 200)
    return replace(sig, doc=f"{sig.command}: {words}" if words else "")


def _build(
    schema: Schema,
    command: str,
    shown: str,
    level: tuple[str | int, ...],
    args: object,
    current: str | None,
) -> Signature | None:
    obj = schema.object_of(schema.type_at(command, level, args))
    if not isinstance(obj, Object):
        return None
    value = dig(args, level)
    members = schema.members(obj, value)
    names = [m.name for m in members]
    if current is not None and current not in names:
        starting = [n for n in names if n.startswith(current)]
        current = starting[0] if len(starting) == 1 else None
    given = set(value) if isinstance(value, dict) else set()
    params = tuple(
        Param(
            m.name,
            schema.describe(m.type),
            m.optional,
            m.name in given,
            m.name == current,
            "deprecated" in m.features,
        )
        for m in members
    )
    start = 3 if level[:1] == ("actions",) and command == "transaction" else 0
    path = ".".join(str(p) for p in level[start:])
    return Signature(shown, path, params)


def fragments(sig: Signature, width: int | None = None) -> list[tuple[str, str]]:
    """*sig* as (style, text) pairs, cut to *width* around the current argument."""
    head = sig.command + (f" {sig.path}." if sig.path else "")
    parts: list[tuple[str, str]] = []
    for p in sig.params:
        text = f"{p.name}={p.type}"
        if p.optional:
            text = f"[{text}]"
        style = "class:signature.optional" if p.optional else "class:signature.argument"
        if p.given:
            style = "class:signature.given"
        if p.current:
            style = "class:signature.current"
        parts.append((style, text))
    out: list[tuple[str, str]] = [("class:signature.command", head)]
    if width is None:
        for part in parts:
            out += [("", "  "), part]
        return _with_doc(out, sig.doc, width)
    room = width - len(head)
    index = next((i for i, p in enumerate(sig.params) if p.current), 0)
    lo = hi = index
    used = len(parts[index][1]) + 2 if parts else 0
    # grow around the current argument while it fits, preferring what follows
    while parts:
        grown = False
        for side in (1, -1):
            j = hi + 1 if side == 1 else lo - 1
            if 0 <= j < len(parts) and used + len(parts[j][1]) + 2 <= room - 8:
                used += len(parts[j][1]) + 2
                lo, hi = min(lo, j), max(hi, j)
                grown = True
        if not grown:
            break
    if parts and lo > 0:
        out.append(("", "  ..."))
    for part in parts[lo : hi + 1] if parts else []:
        out += [("", "  "), part]
    if parts and hi < len(parts) - 1:
        out.append(("", "  ..."))
    return _with_doc(out, sig.doc, width)


def _with_doc(
    out: list[tuple[str, str]], doc: str, width: int | None
) -> list[tuple[str, str]]:
    """*out*, then the manual's line under it, cut to *width*."""
    if not doc:
        return out
    if width is not None and len(doc) > width:
        doc = doc[: max(width - 1, 0)] + "\u2026"
    return [*out, ("", "\n"), ("class:signature.doc", doc)]
