"""Type-aware values: a bare word becomes what the schema says goes there.

`schema_typer` makes a `qmpsh.lang.parser.Typer` from a schema (or from a
function returning the schema of the moment, which may still be loading).
For a bare (unquoted) word at an argument path of type

- ``str`` or an enum: the word itself (``id=007`` sends ``"007"``,
  ``name=true`` sends ``"true"``);
- ``int``: a decimal integer (leading zeros allowed), ``0x`` hexadecimal, or
  a size as `qmpsh.lang.sizes` reads it (``64M``, ``1.5K`` is 1536).
  Introspection does not tell QEMU's ``size`` from its other integer types,
  so sizes work for every integer argument;
- ``number``: an integer or a decimal number;
- ``bool``: ``true``/``false`` in any case;
- ``null``: ``null``;
- an alternate: the first member, in schema order, whose type the word spells
  exactly (null, a boolean, a number, an enum value); otherwise the word as
  a string when the alternate takes strings.  So ``backing=null`` sends
  null; quote it (``backing="null"``) to send the string;
- ``any``, or a path the schema does not know: the schema-less rules of
  `qmpsh.lang.parser.default_typer`.

A word the type cannot take (``speed=fast`` for an integer) is left to the
schema-less rules, and validation reports it.

`property_typer` does the same for what the schema does not describe: the
properties ``device_add driver=X`` sets on its device, by the type QEMU's
``device-list-properties`` gives (`property_value`: ``str`` and
``link<...>`` a string, ``bool`` a boolean, ``int8``... ``uint64`` and
``size`` an integer as above; other types by the schema-less rules).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from qmpsh.lang.literal import parse_number
from qmpsh.lang.parser import PathT, Typer, default_typer
from qmpsh.lang.sizes import SizeError, parse_size
from qmpsh.schema.model import Alternate, Builtin, Enum, Schema, Type

_INT_RE = re.compile(r"[+-]?[0-9]+")
_HEX_RE = re.compile(r"0[xX][0-9a-fA-F]+")
_BOOLS = {"true": True, "false": False}


class _NoMatch:
    """The word does not spell a value of the type."""


NO_MATCH = _NoMatch()


def parse_int(text: str) -> int | None:
    """An integer as typed for an integer argument (see the module doc)."""
    if _INT_RE.fullmatch(text):
        return int(text)
    if _HEX_RE.fullmatch(text):
        return int(text, 16)
    try:
        return parse_size(text)
    except SizeError:
        return None


def exact(schema: Schema, typ: Type | None, text: str) -> Any:
    """The value *text* spells for *typ*, or `NO_MATCH` (strings never match)."""
    if isinstance(typ, Builtin):
        kind = typ.json_type
        if kind == "int":
            number = parse_int(text)
            return NO_MATCH if number is None else number
        if kind == "number":
            if _INT_RE.fullmatch(text):
                return int(text)
            real = parse_number(text)
            return NO_MATCH if real is None else real
        if kind == "boolean":
            return _BOOLS.get(text.lower(), NO_MATCH)
        if kind == "null":
            return None if text == "null" else NO_MATCH
        return NO_MATCH
    if isinstance(typ, Enum):
        return text if text in typ.values else NO_MATCH
    return NO_MATCH


def bare_value(schema: Schema, typ: Type | None, text: str) -> Any:
    """*text* (a bare word) as a value of *typ*."""
    if isinstance(typ, Builtin):
        if typ.json_type == "string":
            return text
        if typ.json_type == "value":
            return _fallback(text)
        value = exact(schema, typ, text)
        return _fallback(text) if value is NO_MATCH else value
    if isinstance(typ, Enum):
        return text
    if isinstance(typ, Alternate):
        takes_string = False
        for name in typ.members:
            member = schema.type(name)
            value = exact(schema, member, text)
            if value is not NO_MATCH:
                return value
            if isinstance(member, Enum) or (
                isinstance(member, Builtin) and member.json_type == "string"
            ):
                takes_string = True
        return text if takes_string else _fallback(text)
    return _fallback(text)


def _fallback(text: str) -> Any:
    return default_typer("", (), text, {})


_PROPERTY_INTS = frozenset(
    {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "size"}
)


def property_value(kind: str, text: str) -> Any:
    """*text* (a bare word) as a value of a QOM property of type *kind*, or
    `NO_MATCH` when the type says nothing (the schema-less rules then)."""
    if kind in ("str", "string") or kind.startswith("link<"):
        return text
    if kind == "bool":
        return _BOOLS.get(text.lower(), NO_MATCH)
    if kind in _PROPERTY_INTS:
        number = parse_int(text)
        return NO_MATCH if number is None else number
    return NO_MATCH


#: a command name and its arguments so far -> the properties (name -> QOM
#: type) it sets beyond the schema's members, or None when not known (yet)
PropertyTypes = Callable[[str, Mapping[str, Any]], Mapping[str, str] | None]


def property_types(reply: Mapping[str, Any]) -> dict[str, str]:
    """Property name -> type from a ``device-list-properties`` (or
    ``qom-list-properties``) reply; nothing for an error."""
    result = reply.get("return")
    out: dict[str, str] = {}
    for rec in result if isinstance(result, list) else ():
        if isinstance(rec, Mapping):
            name, kind = rec.get("name"), rec.get("type")
            if isinstance(name, str) and isinstance(kind, str):
                out[name] = kind
    return out


def property_typer(base: Typer, properties: PropertyTypes) -> Typer:
    """*base*, but a top-level argument that *properties* knows (and the
    schema does not, or *base* would have typed it) typed by its property
    type."""

    def typer(command: str, path: PathT, text: str, args: Mapping[str, Any]) -> Any:
        if len(path) == 1 and isinstance(path[0], str):
            known = properties(command, args)
            kind = known.get(path[0]) if known is not None else None
            if kind is not None:
                value = property_value(kind, text)
                if value is not NO_MATCH:
                    return value
        return base(command, path, text, args)

    return typer


def schema_typer(source: Schema | Callable[[], Schema | None]) -> Typer:
    """A parser `Typer` using *source* (a schema, or a function giving one)."""
    get = source if callable(source) else (lambda: source)

    def typer(command: str, path: PathT, text: str, args: Mapping[str, Any]) -> Any:
        schema = get()
        if schema is None:
            return default_typer(command, path, text, args)
        typ = schema.type_at(command, path, args)
        if typ is None:
            return default_typer(command, path, text, args)
        return bare_value(schema, typ, text)

    return typer
