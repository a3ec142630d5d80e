"""The entries of a server's schema, as `qmpsh.schema.model` holds them:
members, builtins, enums, arrays, alternates, objects, commands, events.

Frozen values compared by their fields (an `Object` by identity), written
out rather than made by ``@dataclass``: making eight dataclasses cost a
one-shot that types its line some 6 ms at import (see bench/README.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class _Value:
    """A frozen record compared by its fields: what ``@dataclass(frozen=True,
    slots=True)`` makes, written out."""

    __slots__: tuple[str, ...] = ()

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")


_set = object.__setattr__


class Member(_Value):
    __slots__ = ("features", "name", "optional", "type")
    name: str
    type: str
    optional: bool
    #: "deprecated", "unstable" and the like (the help and completion mark them)
    features: tuple[str, ...]

    def __init__(
        self,
        name: str,
        type: str,
        optional: bool = False,
        features: tuple[str, ...] = (),
    ) -> None:
        _set(self, "name", name)
        _set(self, "type", type)
        _set(self, "optional", optional)
        _set(self, "features", features)


class Builtin(_Value):
    __slots__ = ("json_type", "name")
    name: str
    #: string, int, number, boolean, null, object, array or value (any)
    json_type: str

    def __init__(self, name: str, json_type: str) -> None:
        _set(self, "name", name)
        _set(self, "json_type", json_type)


class Enum(_Value):
    __slots__ = ("deprecated", "name", "values")
    name: str
    values: tuple[str, ...]
    #: values marked deprecated
    deprecated: frozenset[str]

    def __init__(
        self,
        name: str,
        values: tuple[str, ...],
        deprecated: frozenset[str] = frozenset(),
    ) -> None:
        _set(self, "name", name)
        _set(self, "values", values)
        _set(self, "deprecated", deprecated)


class Array(_Value):
    __slots__ = ("element", "name")
    name: str
    element: str

    def __init__(self, name: str, element: str) -> None:
        _set(self, "name", name)
        _set(self, "element", element)


class Alternate(_Value):
    __slots__ = ("members", "name")
    name: str
    #: member type names, in schema order
    members: tuple[str, ...]

    def __init__(self, name: str, members: tuple[str, ...]) -> None:
        _set(self, "name", name)
        _set(self, "members", members)


class Object(_Value):
    """An object type, compared by identity (as ``eq=False`` made it)."""

    __slots__ = ("by_name", "features", "members", "name", "tag", "variants")
    name: str
    members: tuple[Member, ...]
    #: the discriminator of a flat union, and its case -> variant type name
    tag: str | None
    variants: Mapping[str, str]
    features: tuple[str, ...]
    by_name: Mapping[str, Member]

    def __init__(
        self,
        name: str,
        members: tuple[Member, ...],
        tag: str | None = None,
        variants: Mapping[str, str] | None = None,
        features: tuple[str, ...] = (),
    ) -> None:
        _set(self, "name", name)
        _set(self, "members", members)
        _set(self, "tag", tag)
        _set(self, "variants", {} if variants is None else variants)
        _set(self, "features", features)
        _set(self, "by_name", {m.name: m for m in members})

    __eq__ = object.__eq__
    __hash__ = object.__hash__


Type = Builtin | Enum | Array | Alternate | Object


class Command(_Value):
    __slots__ = ("allow_oob", "arg_type", "features", "name", "ret_type")
    name: str
    arg_type: str
    ret_type: str
    allow_oob: bool
    features: tuple[str, ...]

    def __init__(
        self,
        name: str,
        arg_type: str,
        ret_type: str,
        allow_oob: bool = False,
        features: tuple[str, ...] = (),
    ) -> None:
        _set(self, "name", name)
        _set(self, "arg_type", arg_type)
        _set(self, "ret_type", ret_type)
        _set(self, "allow_oob", allow_oob)
        _set(self, "features", features)


class Event(_Value):
    __slots__ = ("arg_type", "features", "name")
    name: str
    arg_type: str
    features: tuple[str, ...]

    def __init__(
        self, name: str, arg_type: str, features: tuple[str, ...] = ()
    ) -> None:
        _set(self, "name", name)
        _set(self, "arg_type", arg_type)
        _set(self, "features", features)
