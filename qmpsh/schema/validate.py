"""Check a request against the server's schema before sending it.

Pure.  `validate` returns the problems QEMU itself would report, worded as
QEMU words them where it can (``Parameter 'id' is missing``,
``Invalid parameter type for 'id', expected: string``), with a "did you
mean" where a close name exists.  It must never refuse what QEMU accepts, so
it checks only what the schema says for certain:

- ``device_add`` takes any device property besides its declared members
  (its arguments bypass the schema, ``'gen': false`` in QEMU's terms), so
  unknown members are allowed there, as for ``object-add`` and
  ``netdev_add`` on QEMUs where they were not yet typed (no union);
- integer ranges are not checked: introspection folds every integer type
  into ``int`` (QEMU even takes -1 for a ``uint64``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

from qmpsh.schema.model import (
    Alternate,
    Array,
    Builtin,
    Enum,
    Member,
    Object,
    Schema,
    Type,
)

__all__ = [
    "Problem",
    "check_request",
    "suggest",
    "unknown_first_word",
    "validate",
]

#: commands whose arguments QEMU passes on beyond the declared members
LOOSE_COMMANDS = frozenset({"device_add"})
#: commands that were loose before QEMU typed them as unions
LOOSE_UNLESS_UNION = frozenset({"object-add", "netdev_add"})
#: what a QMP message may hold besides the command
MESSAGE_KEYS = frozenset({"execute", "exec-oob", "arguments", "id"})
#: how similar a name must be to be suggested, and how far below the best
#: suggestion others may be to be offered too
CUTOFF = 0.6
CLOSE = 0.1


class Problem:
    """One reason QEMU would refuse the request (a frozen value, written out
    rather than a dataclass: making one costs a one-shot a millisecond)."""

    __slots__ = ("message", "path", "suggestions")
    message: str
    #: where, as QEMU spells it: ``file.filename``, ``actions[0].data.x``
    path: str
    #: the names or values probably meant, best first
    suggestions: tuple[str, ...]

    def __init__(
        self, message: str, path: str = "", suggestions: tuple[str, ...] = ()
    ) -> None:
        _set = object.__setattr__
        _set(self, "message", message)
        _set(self, "path", path)
        _set(self, "suggestions", suggestions)

    def _fields(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.message, self.path, self.suggestions)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Problem:
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        message, path, suggestions = self._fields()
        return f"Problem({message=!r}, {path=!r}, {suggestions=!r})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __str__(self) -> str:
        if not self.suggestions:
            return self.message
        names = " or ".join(repr(s) for s in self.suggestions)
        return f"{self.message}; did you mean {names}?"


def suggest(word: str, choices: Iterable[str], most: int = 3) -> tuple[str, ...]:
    """The choices closest to *word* (those about as close as the best one).

    A choice that is *word* with two adjacent letters swapped comes first,
    even below the cutoff, and only choices that difflib finds at least as
    close come with it (``query-stauts``: ``query-status``, then
    ``query-stats``, which difflib finds closer; ``wiat``: ``wait`` alone,
    not ``watch``).  The rest are ranked by difflib's ratio.
    """
    from difflib import SequenceMatcher  # only when something is wrong

    pool = list(dict.fromkeys(choices))
    matcher = SequenceMatcher(b=word)
    swapped: list[str] = []
    scored: list[tuple[float, str]] = []
    for choice in pool:
        matcher.set_seq1(choice)
        if _swapped(word, choice):
            swapped.append(choice)
            scored.append((matcher.ratio(), choice))
        elif matcher.real_quick_ratio() >= CUTOFF and matcher.quick_ratio() >= CUTOFF:
            ratio = matcher.ratio()
            if ratio >= CUTOFF:
                scored.append((ratio, choice))
    if scored:
        # as close as the best, give or take CLOSE; next to a transposition,
        # only what difflib finds at least as close as it
        floor = max(r for r, _ in scored) - CLOSE
        floor = max([floor, *(r for r, c in scored if c in swapped)])
        scored.sort(key=lambda rc: -rc[0])
        close = [c for r, c in scored if c not in swapped and r >= floor]
        return tuple([*swapped, *close][:most])
    lowered = word.lower()
    starts = [c for c in pool if lowered and c.lower().startswith(lowered)]
    return tuple(starts) if len(starts) == 1 else ()


def _swapped(word: str, choice: str) -> bool:
    """Whether *choice* is *word* with one pair of adjacent letters swapped."""
    if len(word) != len(choice) or word == choice:
        return False
    diff = [i for i, (a, b) in enumerate(zip(word, choice, strict=True)) if a != b]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and word[diff[0]] == choice[diff[1]]
        and word[diff[1]] == choice[diff[0]]
    )


#: the command name that starts a shorthand line (not ``transaction(``)
_FIRST_WORD = re.compile(r"\s*([A-Za-z_][\w.+:-]*)(?=\s|$)")


def unknown_first_word(
    text: str, commands: Collection[str], builtin_names: Collection[str]
) -> str | None:
    """The command name *text* starts with, when neither the server
    (*commands*) nor qmpsh (*builtin_names*) knows it; else None.

    For a line that does not parse (``wiat BLOCK_JOB_READY``), an unknown
    first word is the real problem, not the parser's ``expected
    name=value``: the caller then says what an unknown command gets."""
    match = _FIRST_WORD.match(text)
    if match is None:
        return None
    name = match.group(1)
    return None if name in commands or name in builtin_names else name


def validate(
    message: Mapping[str, Any], schema: Schema, builtin_names: Iterable[str] = ()
) -> list[Problem]:
    """Every problem with *message* (a QMP request) under *schema*; an
    unknown command's suggestions include *builtin_names* (``jbos``: 'jobs')."""
    extra = [k for k in message if k not in MESSAGE_KEYS]
    if extra:
        return [Problem(f"QMP input member {extra[0]!r} is unexpected")]
    oob = "exec-oob" in message
    name = message.get("exec-oob" if oob else "execute")
    if name is None:
        return []  # QEMU's own complaint is clear enough
    if not isinstance(name, str):
        key = "exec-oob" if oob else "execute"
        return [Problem(f"QMP input member {key!r} must be a string")]
    command = schema.commands.get(name)
    if command is None:
        return [
            Problem(
                f"The command {name} has not been found",
                suggestions=suggest(name, [*schema.commands, *builtin_names]),
            )
        ]
    if oob and not command.allow_oob:
        return [Problem(f"The command {name} does not support OOB")]
    args = message.get("arguments", {})
    if not isinstance(args, Mapping):
        return [Problem("QMP input member 'arguments' must be an object")]
    root = schema.type(command.arg_type)
    if root is None:
        return []
    loose = name in LOOSE_COMMANDS or (
        name in LOOSE_UNLESS_UNION and isinstance(root, Object) and root.tag is None
    )
    return list(_Checker(schema, loose).value(root, args, ""))


class _Checker:
    def __init__(self, schema: Schema, loose: bool = False) -> None:
        self.schema = schema
        #: allow unknown members at the top level
        self.loose = loose

    def value(self, typ: Type, value: Any, path: str) -> Iterator[Problem]:
        if isinstance(typ, Builtin):
            if not _is_kind(typ.json_type, value):
                yield self._wrong_type(typ, path)
        elif isinstance(typ, Enum):
            yield from self._enum(typ, value, path)
        elif isinstance(typ, Array):
            if not isinstance(value, list):
                yield self._wrong_type(typ, path)
                return
            element = self.schema.type(typ.element)
            if element is not None:
                for i, item in enumerate(value):
                    yield from self.value(element, item, f"{path}[{i}]")
        elif isinstance(typ, Alternate):
            member = self._alternative(typ, value)
            if member is None:
                yield self._wrong_type(typ, path)
            else:
                yield from self.value(member, value, path)
        elif isinstance(typ, Object):
            if not isinstance(value, Mapping):
                yield self._wrong_type(typ, path)
                return
            yield from self._object(typ, value, path)

    def _object(
        self, obj: Object, value: Mapping[str, Any], path: str
    ) -> Iterator[Problem]:
        schema = self.schema
        members = schema.members(obj, value)
        known = {m.name: m for m in members}
        tag_ok = obj.tag is None or (
            isinstance(value.get(obj.tag), str) and value[obj.tag] in obj.variants
        )
        #: members a misspelt key probably meant: not reported missing too
        meant: set[str] = set()
        if tag_ok and not (self.loose and not path):
            for key in value:
                if key not in known:
                    closest = self._closest(key, members, value)
                    meant.update(closest[:1])
                    yield Problem(
                        f"Parameter {_join(path, key)!r} is unexpected",
                        _join(path, key),
                        closest,
                    )
        for member in members:
            if member.name not in value:
                if not member.optional and member.name not in meant:
                    where = _join(path, member.name)
                    yield Problem(f"Parameter {where!r} is missing", where)
                continue
            typ = schema.type(member.type)
            if typ is not None:
                yield from self.value(typ, value[member.name], _join(path, member.name))

    def _closest(
        self, key: str, members: list[Member], value: Mapping[str, Any]
    ) -> tuple[str, ...]:
        found = suggest(key, (m.name for m in members))
        if found:
            return found
        unset = [m.name for m in members if m.name not in value]
        required = [m.name for m in members if m.name not in value and not m.optional]
        if len(required) == 1:
            return (required[0],)
        return (unset[0],) if len(unset) == 1 else ()

    def _enum(self, typ: Enum, value: Any, path: str) -> Iterator[Problem]:
        if not isinstance(value, str):
            yield self._wrong_type(typ, path)
        elif value not in typ.values:
            yield Problem(
                f"Parameter {path!r} does not accept value {value!r}",
                path,
                suggest(value, typ.values),
            )

    def _alternative(self, alt: Alternate, value: Any) -> Type | None:
        for name in alt.members:
            member = self.schema.type(name)
            if member is not None and _accepts_kind(member, value):
                return member
        return None

    def _wrong_type(self, typ: Type, path: str) -> Problem:
        kind = self.schema.json_kind(typ)
        return Problem(f"Invalid parameter type for {path!r}, expected: {kind}", path)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_kind(json_type: str, value: Any) -> bool:
    if json_type == "value":
        return True
    if json_type == "string":
        return isinstance(value, str)
    if json_type == "boolean":
        return isinstance(value, bool)
    if json_type == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if json_type == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if json_type == "null":
        return value is None
    if json_type == "object":
        return isinstance(value, Mapping)
    if json_type == "array":
        return isinstance(value, list)
    return True  # a JSON type this version does not know: let QEMU judge


def _accepts_kind(typ: Type, value: Any) -> bool:
    """Whether an alternate would pick member *typ* for *value* (by JSON type)."""
    if isinstance(typ, Builtin):
        return _is_kind(typ.json_type, value)
    if isinstance(typ, Enum):
        return isinstance(value, str)
    if isinstance(typ, Array):
        return isinstance(value, list)
    if isinstance(typ, Object):
        return isinstance(value, Mapping)
    return False


def check_request(
    message: Mapping[str, Any], schema: Schema, builtin_names: Iterable[str] = ()
) -> str | None:
    """One line saying why QEMU would refuse *message*, or None if it is fine
    (*builtin_names*: also suggested for an unknown command)."""
    problems = validate(message, schema, builtin_names)
    if not problems:
        return None
    name = message.get("execute", message.get("exec-oob"))
    text = str(problems[0])
    if isinstance(name, str) and name in schema.commands:
        text = f"{name}: {text}"
    if len(problems) > 1:
        more = len(problems) - 1
        text += f" (and {more} more problem{'s' if more > 1 else ''})"
    return text
