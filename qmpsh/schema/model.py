"""The model of a server's ``query-qmp-schema``: commands, events and types.

Pure: built from the reply (a list of entries with numeric type names, as
QEMU's introspection gives them) and never talks to the socket.  It answers
the questions the rest of qmpsh asks: which commands and events exist, what
their arguments are, and "what is the type at this dotted argument path,
given the values typed so far" (a flat union's discriminator value selects
its variant; transaction actions are such a union too).

Introspection hides the schema's own type names (objects are ``"123"``,
arrays ``"[123]"``) and folds every integer type (``int8``, ``uint64``,
``size``...) into ``int``; `describe` spells types by their shape instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from qmpsh.schema.entries import (
    Alternate,
    Array,
    Builtin,
    Command,
    Enum,
    Event,
    Member,
    Object,
    Type,
)

PathT = tuple[str | int, ...]

#: the JSON type each builtin stands for, as QEMU words it in its errors
JSON_KINDS = {
    "string": "string",
    "int": "integer",
    "number": "number",
    "boolean": "boolean",
    "null": "null",
    "object": "object",
    "array": "array",
    "value": "any",
}


__all__ = [
    "JSON_KINDS",
    "Alternate",
    "Array",
    "Builtin",
    "Command",
    "Enum",
    "Event",
    "Member",
    "Object",
    "PathT",
    "Schema",
    "SchemaError",
    "Type",
]


class SchemaError(ValueError):
    """The reply is not a ``query-qmp-schema`` result."""


def _features(entry: Mapping[str, Any]) -> tuple[str, ...]:
    raw = entry.get("features") or ()
    return tuple(f for f in raw if isinstance(f, str))


class Schema:
    """Commands, events and types of one server."""

    def __init__(
        self,
        commands: Mapping[str, Command],
        events: Mapping[str, Event],
        types: Mapping[str, Type],
    ) -> None:
        self.commands = dict(commands)
        self.events = dict(events)
        self.types = dict(types)

    @classmethod
    def from_json(cls, entries: Any) -> Schema:
        """Build the model from the ``return`` value of ``query-qmp-schema``."""
        if not isinstance(entries, list):
            raise SchemaError("query-qmp-schema did not return a list")
        commands: dict[str, Command] = {}
        events: dict[str, Event] = {}
        types: dict[str, Type] = {}
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            try:
                _add(entry, commands, events, types)
            except (KeyError, TypeError, AttributeError):
                continue  # a malformed or future entry: leave it out
        return cls(commands, events, types)

    # -- lookups -------------------------------------------------------------

    def type(self, name: str | None) -> Type | None:
        return self.types.get(name) if name is not None else None

    def arguments(self, command: str) -> Object | None:
        """The argument object of *command* (of an event, with ``EVENT``)."""
        found = self.commands.get(command) or self.events.get(command)
        if found is None:
            return None
        arg = self.types.get(found.arg_type)
        return arg if isinstance(arg, Object) else None

    def variant(self, obj: Object, value: Any) -> Object | None:
        """The variant of union *obj* that *value*'s discriminator selects."""
        if obj.tag is None or not isinstance(value, Mapping):
            return None
        case = value.get(obj.tag)
        if not isinstance(case, str):
            return None
        found = self.types.get(obj.variants.get(case, ""))
        return found if isinstance(found, Object) else None

    def members(self, obj: Object, value: Any = None) -> list[Member]:
        """The members of *obj*: its own, plus the selected variant's."""
        out = list(obj.members)
        seen = {id(obj)}
        current: Object | None = obj
        while current is not None:
            current = self.variant(current, value)
            if current is None or id(current) in seen:
                break
            seen.add(id(current))
            out.extend(current.members)
        return out

    def member(self, obj: Object, name: str, value: Any = None) -> Member | None:
        """Member *name* of *obj* given its *value* so far.

        Without a discriminator value, a member found in every variant that
        has it with the same type still counts; otherwise it is unknown.
        """
        found = obj.by_name.get(name)
        if found is not None:
            return found
        variant = self.variant(obj, value)
        if variant is not None:
            return self.member(variant, name, value)
        if obj.tag is None or (
            isinstance(value, Mapping) and isinstance(value.get(obj.tag), str)
        ):
            return None  # not a union, or a case without members of its own
        candidates = {
            m.type: m for m in self._variant_members(obj, name) if m is not None
        }
        return next(iter(candidates.values())) if len(candidates) == 1 else None

    def _variant_members(self, obj: Object, name: str) -> Iterator[Member | None]:
        for type_name in set(obj.variants.values()):
            variant = self.types.get(type_name)
            if isinstance(variant, Object):
                yield self.member(variant, name)

    def object_of(self, typ: Type | None, index: bool = False) -> Type | None:
        """*typ*, or for an alternate its object (or, with *index*, array) member."""
        if not isinstance(typ, Alternate):
            return typ
        want = Array if index else Object
        for name in typ.members:
            member = self.types.get(name)
            if isinstance(member, want):
                return member
        return None

    def type_at(
        self, command: str, path: Sequence[str | int], args: Any = None
    ) -> Type | None:
        """The type at *path* in *command*'s arguments, given the values so far.

        *args* is the whole argument object typed so far; a union's
        discriminator in it selects the variant for paths below.  Returns
        None for paths the schema does not define.
        """
        root = self.arguments(command)
        if root is None:
            return None
        return self.resolve(root, path, args)

    def resolve(self, typ: Type, path: Sequence[str | int], value: Any) -> Type | None:
        current: Type | None = typ
        for step in path:
            current = self.object_of(current, index=isinstance(step, int))
            if isinstance(current, Object) and isinstance(step, str):
                found = self.member(current, step, value)
                if found is None:
                    return None
                current = self.types.get(found.type)
                value = value.get(step) if isinstance(value, Mapping) else None
            elif isinstance(current, Array) and isinstance(step, int):
                current = self.types.get(current.element)
                ok = isinstance(value, list) and -len(value) <= step < len(value)
                value = value[step] if ok else None
            else:
                return None
        return current

    # -- words ---------------------------------------------------------------

    def describe(self, typ: Type | str | None, depth: int = 0) -> str:
        """A short name for a type: ``str``, ``enum``, ``[int]``, ``object|str``."""
        if isinstance(typ, str):
            typ = self.types.get(typ)
        if typ is None:
            return "?"
        if isinstance(typ, Builtin):
            return typ.name
        if isinstance(typ, Enum):
            return "enum"
        if isinstance(typ, Array):
            return f"[{self.describe(typ.element, depth + 1) if depth < 4 else '...'}]"
        if isinstance(typ, Alternate):
            return "|".join(self.describe(m, depth + 1) for m in typ.members)
        return "object"

    def json_kind(self, typ: Type | str | None) -> str:
        """What QEMU's errors call the JSON type *typ* expects."""
        if isinstance(typ, str):
            typ = self.types.get(typ)
        if isinstance(typ, Builtin):
            return JSON_KINDS.get(typ.json_type, typ.json_type)
        if isinstance(typ, Enum):
            return "string"
        if isinstance(typ, Array):
            return "array"
        if isinstance(typ, Alternate):
            kinds = dict.fromkeys(self.json_kind(m) for m in typ.members)
            return " or ".join(kinds)
        return "object"

    def names(self) -> Iterable[str]:
        yield from self.commands
        yield from self.events


def _add(
    entry: Mapping[str, Any],
    commands: dict[str, Command],
    events: dict[str, Event],
    types: dict[str, Type],
) -> None:
    name = entry["name"]
    meta = entry["meta-type"]
    if not isinstance(name, str):
        return
    if meta == "command":
        commands[name] = Command(
            name,
            str(entry["arg-type"]),
            str(entry["ret-type"]),
            entry.get("allow-oob") is True,
            _features(entry),
        )
    elif meta == "event":
        events[name] = Event(name, str(entry["arg-type"]), _features(entry))
    elif meta == "object":
        members = tuple(
            Member(
                m["name"],
                str(m["type"]),
                "default" in m,
                _features(m),
            )
            for m in entry.get("members") or ()
        )
        variants = {
            v["case"]: str(v["type"])
            for v in entry.get("variants") or ()
            if isinstance(v.get("case"), str)
        }
        tag = entry.get("tag")
        types[name] = Object(
            name,
            members,
            tag if isinstance(tag, str) else None,
            variants,
            _features(entry),
        )
    elif meta == "enum":
        values = tuple(str(v) for v in entry.get("values") or ())
        deprecated = frozenset(
            m["name"]
            for m in entry.get("members") or ()
            if "deprecated" in _features(m)
        )
        types[name] = Enum(name, values, deprecated)
    elif meta == "array":
        types[name] = Array(name, str(entry["element-type"]))
    elif meta == "alternate":
        types[name] = Alternate(
            name, tuple(str(m["type"]) for m in entry.get("members") or ())
        )
    elif meta == "builtin":
        types[name] = Builtin(name, str(entry["json-type"]))
