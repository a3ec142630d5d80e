"""Completion, second stage: candidates for what `qmpsh.lang.cursor.locate` found.

`candidates` is pure: given where the cursor is, the schema, the built-ins
and the live values at hand, it lists what may be typed there (no
prompt_toolkit here: `qmpsh.shell.completion.QmpCompleter` turns them into
its ``Completion`` objects).

Deprecated and unstable commands, members and enum values say so in their
meta text and carry the style classes ``completion.deprecated`` or
``completion.unstable``.  Given QEMU's manual (complete: no roff is parsed
on a keystroke), the meta text also says what the manual says, in one line
(`qmpsh.schema.manual.scope.one_line`): a command's first sentence, an
argument's after its type, an enum value's; for what is deprecated, what
to use instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from qmpsh.builtins.helptext import member_line
from qmpsh.builtins.registry import Builtin
from qmpsh.lang.cursor import (
    ActionName,
    ArgKey,
    ArgValue,
    BuiltinArg,
    CommandName,
    Where,
    dig,
)
from qmpsh.lang.tokens import TRANSACTION_CLOSE, TRANSACTION_OPEN
from qmpsh.schema.manual.scope import (
    NOWHERE,
    Doc,
    deprecation_hint,
    first_sentence,
    one_line,
    scope_at,
)
from qmpsh.schema.manual.view import Manual
from qmpsh.schema.model import Alternate, Enum, Object, Schema
from qmpsh.schema.model import Builtin as BuiltinType
from qmpsh.shell.candidate import (
    SUBSTRING_FROM,
    Candidate,
    LiveLookup,
    matches,
    no_live_values,
    quoted,
)
from qmpsh.shell.completion_values import (
    builtin_source,
    file_values,
    is_file_arg,
    live_source,
    qom_candidates,
)
from qmpsh.shell.live_values import Value
from qmpsh.shell.properties import properties_source, property_keys, property_values

__all__ = [
    "SUBSTRING_FROM",
    "Candidate",
    "LiveLookup",
    "candidates",
    "live_source",
    "matches",
    "no_live_values",
    "properties_source",
    "static_values",
]

HELP_TOPICS: tuple[Value, ...] = (("keys", "key bindings"),)


def _flags(features: Sequence[str]) -> tuple[str, str]:
    marks = [f for f in ("deprecated", "unstable") if f in features]
    style = " ".join(f"class:completion.{m}" for m in marks)
    return ", ".join(marks), style


def candidates(
    where: Where,
    schema: Schema | None,
    *,
    builtins: Mapping[str, Builtin] | None = None,
    extra_commands: Iterable[Value] = (),
    live: LiveLookup = no_live_values,
    manual: Manual | None = None,
) -> list[Candidate]:
    """What may be typed at *where* (with the words of *manual*)."""
    if isinstance(where, CommandName):
        found = _commands(where.prefix, schema, builtins or {}, extra_commands)
        return _described(found, manual) if manual is not None else found
    if isinstance(where, ActionName):
        return _actions(where, schema)
    if isinstance(where, BuiltinArg):
        return _builtin_args(where, schema, builtins or {}, live, manual)
    if schema is None:
        return []
    if isinstance(where, ArgKey):
        return _keys(where, schema, manual, live)
    if isinstance(where, ArgValue):
        return _values(where, schema, live, manual)
    return []


def _described(found: list[Candidate], manual: Manual) -> list[Candidate]:
    """Command names with the manual's first sentence (or, for a deprecated
    one, what to use instead) after their meta text."""
    out = []
    for item in found:
        entry = manual.get(item.text) if item.text in manual else None
        if entry is None or entry.kind != "command":
            out.append(item)
            continue
        flags = item.meta
        hint = deprecation_hint(manual, entry.name) if "deprecated" in flags else ""
        words = first_sentence(hint or entry.description)
        meta = f"{flags}: {words}" if flags and words else flags or words
        out.append(Candidate(item.text, item.start, item.display, meta, item.style))
    return out


def _commands(
    prefix: str,
    schema: Schema | None,
    builtins: Mapping[str, Builtin],
    extra: Iterable[Value],
) -> list[Candidate]:
    table: dict[str, tuple[str, str]] = {}
    if schema is not None:
        for name, command in schema.commands.items():
            table[name] = _flags(command.features)
        if "transaction" in schema.commands:
            table[TRANSACTION_OPEN] = ("transaction over several lines", "")
    for name, meta in extra:
        table.setdefault(name, (meta, ""))
    for name, item in builtins.items():
        table.setdefault(
            name, (f"built-in: {item.summary}", "class:completion.builtin")
        )
    start = -len(prefix)
    return [
        Candidate(name, start, name, *table[name])
        for name in matches(prefix, sorted(table))
    ]


def _actions(where: ActionName, schema: Schema | None) -> list[Candidate]:
    kinds: dict[str, tuple[str, str]] = {}
    if schema is not None:
        actions = schema.type_at("transaction", ("actions", 0), {})
        if isinstance(actions, Object) and actions.tag is not None:
            tag = actions.by_name.get(actions.tag)
            enum = schema.type(tag.type) if tag is not None else None
            old = enum.deprecated if isinstance(enum, Enum) else frozenset()
            for kind in actions.variants:
                if kind in old:
                    kinds[kind] = ("action, deprecated", "class:completion.deprecated")
                else:
                    kinds[kind] = ("action", "")
    start = -len(where.prefix)
    out = [Candidate(k, start, k, *kinds[k]) for k in matches(where.prefix, kinds)]
    if where.index and TRANSACTION_CLOSE.startswith(where.prefix):
        out.append(Candidate(TRANSACTION_CLOSE, start, ")", "end of the transaction"))
    return out


#: options of built-ins that take a value (the word after them is not positional)
_VALUE_OPTIONS = frozenset(
    {"--timeout", "--interval", "-n", "--count", "--top", "--base", "--speed"}
    | {"--job-id", "--backing-file", "--exclude-event"}
)


def _positional(words: Sequence[str]) -> list[str]:
    """The words that are not options or option values."""
    out: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _VALUE_OPTIONS
        else:
            out.append(word)
    return out


def _builtin_args(
    where: BuiltinArg,
    schema: Schema | None,
    builtins: Mapping[str, Builtin],
    live: LiveLookup = no_live_values,
    manual: Manual | None = None,
) -> list[Candidate]:
    table: dict[str, str] = {}
    name, words, prefix = where.name, where.words, where.prefix
    item = builtins.get(name)
    if item is not None:
        table.update(dict.fromkeys(item.options, "option"))
    after_option = bool(words) and words[-1] in _VALUE_OPTIONS
    if after_option:
        table.clear()  # the option's value comes next
    positional = _positional(words)
    if name == "help" and not words:
        if schema is not None:
            table.update(dict.fromkeys(sorted(schema.commands), "command"))
            table.update(dict.fromkeys(sorted(schema.events), "event"))
        table.update(dict.fromkeys(sorted(builtins), "built-in"))
        table.update(dict(HELP_TOPICS))
        if manual is not None and prefix[:1].isupper():  # BlockdevOptions
            for type_name in manual.names():
                kind = manual.kind_of(type_name)
                if kind not in ("command", "event"):
                    table.setdefault(type_name, f"{kind} (the manual's)")
    events = (name == "wait" and not positional and not after_option) or (
        name == "filter" and (words[-1:] == ("--exclude-event",) or not after_option)
    )
    if events and schema is not None and "=" not in prefix:
        table.update(dict.fromkeys(sorted(schema.events), "event"))
    if name == "watch" and positional:
        table.clear()  # the rest is the watched command's
    elif name == "watch" and not after_option:
        if schema is not None:
            table.update(dict.fromkeys(sorted(schema.commands), "command"))
        table.update(dict.fromkeys(sorted(builtins), "built-in"))
    source = builtin_source(name, words, prefix)
    display: dict[str, str] = {}
    if source is not None:
        found = live(source) or []
        if source[0] == "qom":
            found = qom_candidates(prefix, found)
            display = {path: path.rsplit("/", 1)[-1] or path for path, _ in found}
        for value, meta in found:
            table.setdefault(value, meta)
    start = -len(prefix)
    return [
        Candidate(n, start, display.get(n, n), table[n]) for n in matches(prefix, table)
    ]


def _keys(
    where: ArgKey,
    schema: Schema,
    manual: Manual | None,
    live: LiveLookup = no_live_values,
) -> list[Candidate]:
    obj = schema.object_of(schema.type_at(where.command, where.parent, where.args))
    if not isinstance(obj, Object):
        return []
    found = _member_keys(where, schema, obj, manual)
    # device_add driver=X: X's properties, after the schema's own members
    return found + property_keys(where, schema, live, {c.display for c in found})


def _member_keys(
    where: ArgKey, schema: Schema, obj: Object, manual: Manual | None
) -> list[Candidate]:
    level = dig(where.args, where.parent)
    members = schema.members(obj, level)
    given = where.given()
    tag = obj.tag
    ranked = sorted(
        (m for m in members if m.name not in given),
        key=lambda m: (m.name != tag, m.optional),
    )
    by_name = {m.name: m for m in ranked}
    start = -len(where.prefix)
    scope = NOWHERE
    if manual is not None:
        scope = scope_at(manual, where.command, where.parent, where.args)
    out: list[Candidate] = []
    for name in matches(where.prefix, by_name):
        member = by_name[name]
        typ = schema.type(member.type)
        suffix = "." if isinstance(typ, Object) else "="
        _, style = _flags(member.features)
        meta = member_line(schema, member, name == tag)
        deprecated = "deprecated" in member.features
        words = one_line(scope.member(name), manual, deprecated)
        if words:
            meta = f"{meta}: {words}"
        out.append(Candidate(name + suffix, start, name, meta, style))
    return out


def static_values(schema: Schema, typ: Any, depth: int = 0) -> list[Value]:
    """Values a type spells by itself: enum values, true/false, null."""
    if isinstance(typ, Enum):
        return [(v, "deprecated" if v in typ.deprecated else "") for v in typ.values]
    if isinstance(typ, BuiltinType):
        if typ.json_type == "boolean":
            return [("true", "bool"), ("false", "bool")]
        if typ.json_type == "null":
            return [("null", "null")]
        return []
    if isinstance(typ, Alternate) and depth < 3:
        out: list[Value] = []
        for name in typ.members:
            out += static_values(schema, schema.type(name), depth + 1)
        return out
    return []


def _values(
    where: ArgValue, schema: Schema, live: LiveLookup, manual: Manual | None = None
) -> list[Candidate]:
    typ = schema.type_at(where.command, where.path, where.args)
    if typ is None:
        return property_values(where, schema, live)
    key = where.path[-1] if where.path and isinstance(where.path[-1], str) else ""
    command = where.action or where.command
    prefix = where.prefix
    values: dict[str, str] = dict(static_values(schema, typ))
    source = live_source(where)
    if source is not None and _takes_string(schema, typ):
        found = live(source) or []
        if source[0] == "qom":
            found = qom_candidates(prefix, found)
        for value, meta in found:
            # implicit nodes ("#block123") only when asked for
            if not value.startswith("#") or prefix.startswith("#"):
                values.setdefault(value, meta)
    if is_file_arg(command, key) and _takes_string(schema, typ):
        for value, meta in file_values(prefix):
            values.setdefault(value, meta)
    start = -len(prefix)
    docs: Mapping[str, Doc] = {}
    if manual is not None and key:
        scope = scope_at(manual, where.command, where.path[:-1], where.args)
        docs = scope.values(key)[1]
    out: list[Candidate] = []
    for value in matches(prefix, values):
        meta = values[value]
        style = "class:completion.deprecated" if meta == "deprecated" else ""
        words = one_line(docs.get(value), manual, meta == "deprecated")
        if words:
            meta = f"{meta}: {words}" if meta else words
        text = quoted(value, where.quote)
        display = value
        if source is not None and source[0] == "qom":
            display = value.rsplit("/", 1)[-1] or value
        out.append(Candidate(text, start, display, meta, style))
    return out


def _takes_string(schema: Schema, typ: Any) -> bool:
    if isinstance(typ, BuiltinType):
        return typ.json_type in ("string", "value")
    if isinstance(typ, Alternate):
        return any(_takes_string(schema, schema.type(m)) for m in typ.members)
    return False
