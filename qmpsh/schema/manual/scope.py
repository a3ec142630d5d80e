"""The manual's words for what the live schema has: arguments, members, values.

The live schema (``query-qmp-schema``) stays the authority on what exists;
it names no types, though (``"123"``), so the manual is followed by the
names it uses itself: a command's Arguments, the type each one names
(``BlockdevRef``, ``array of SocketAddress``), the members of that type,
``The members of X`` included, and of a union the branch the values typed
so far select (``when driver is "qcow2"``).

A `Scope` is the manual's members at one level of a command's arguments
(or an event's data, or a type's members); `scope_at` walks to the level a
dotted path is at.  What a member's entry says of its deprecation is
`deprecation_hint`; `one_line` (with `first_sentence`) makes the one-line
text that the completion menu and the signature line show.  Pure; what is computed per
manual is kept in `Manual.memo`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from qmpsh.schema.manual.model import Entry, Member
from qmpsh.schema.manual.view import Manual

_WHEN = re.compile(r'^(?P<tag>[\w-]+) is "(?P<case>[^"]*)"')
_ARRAY = re.compile(r"^(?:array of |list of |\[)+")
_NAME = re.compile(r"^[A-Za-z][\w-]*$")
_IDENTIFIER = re.compile(r"\b[A-Z][A-Za-z0-9]+\b")
#: what `Manual.memo` holds at most (a union's members per tag value typed)
MEMO_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class Doc:
    """A member as the manual documents it, and the entry that lists it."""

    member: Member
    #: the entry whose Arguments, Members or Values list it (whose Features
    #: say what its deprecation means)
    owner: str

    @property
    def text(self) -> str:
        return self.member.text


class Scope:
    """The manual's members at one level, for the values typed there."""

    __slots__ = ("documented", "entry", "manual", "value")

    def __init__(
        self,
        manual: Manual | None,
        entry: str | None,
        value: Any = None,
        documented: bool = True,
    ) -> None:
        self.manual = manual
        #: the entry whose members these are (None: nothing is known here)
        self.entry = entry
        self.value = value
        #: a member missing here is missing from the manual (not merely
        #: from what could be followed), worth saying
        self.documented = documented and manual is not None and entry is not None

    @property
    def docs(self) -> Mapping[str, Doc]:
        if self.manual is None or self.entry is None:
            return {}
        return members_of(self.manual, self.entry, self.value)

    def member(self, name: str) -> Doc | None:
        return self.docs.get(name)

    def at(self, value: Any) -> Scope:
        """The same level for another value (an array's element)."""
        return Scope(self.manual, self.entry, value, self.documented)

    def child(self, name: str, value: Any = None) -> Scope:
        """The level below member *name* (an object, or an array of them)."""
        doc = self.member(name)
        if doc is None or self.manual is None:
            return Scope(self.manual, None)
        return Scope(
            self.manual, object_entry(self.manual, doc.member.type_text), value
        )

    def values(self, name: str) -> tuple[str | None, Mapping[str, Doc]]:
        """The enum that member *name* takes, and its values' texts."""
        doc = self.member(name)
        if doc is None or self.manual is None:
            return None, {}
        enum = enum_entry(self.manual, doc.member.type_text)
        if enum is None:
            return None, {}
        return enum, members_of(self.manual, enum, None)


NOWHERE = Scope(None, None)


def entry_scope(manual: Manual | None, name: str, value: Any = None) -> Scope:
    """The members of the entry *name* (a command's arguments, an event's
    data, a type's members) for *value*."""
    if manual is None or name not in manual:
        return Scope(manual, None)
    return Scope(manual, name, value)


def scope_at(
    manual: Manual | None, command: str, path: Sequence[str | int], args: Any
) -> Scope:
    """The level *path* is at in *command*'s arguments *args*."""
    scope = entry_scope(manual, command, args)
    value = args
    for step in path:
        if isinstance(step, int):
            ok = isinstance(value, list) and -len(value) <= step < len(value)
            value = value[step] if ok else None
            scope = scope.at(value)
        else:
            value = value.get(step) if isinstance(value, Mapping) else None
            scope = scope.child(step, value)
        if scope.entry is None:
            break
    return scope


def returns_scope(manual: Manual | None, entry: Entry) -> Scope:
    """The members of what *entry* returns, when its Returns text names an
    object the manual documents ("a list of BlockInfo"); never `documented`
    (the guess may be wrong: nothing is said of what it lacks)."""
    if manual is None or not entry.returns:
        return NOWHERE
    for word in _IDENTIFIER.findall(entry.returns):
        found = object_entry(manual, word)
        if found is not None:
            return Scope(manual, found, None, documented=False)
    return NOWHERE


# -- following type names -------------------------------------------------


def type_name(type_text: str | None) -> str | None:
    """The entry a member's type names: ``X`` for ``array of X``."""
    if not type_text:
        return None
    name = _ARRAY.sub("", type_text).rstrip("]").strip()
    return name if _NAME.match(name) else None


def object_entry(manual: Manual, type_text: str | None) -> str | None:
    """The object entry a member of this type has members from: the type, or
    the object one of an alternate (``BlockdevRef``: ``BlockdevOptions``)."""
    return _entry_of(manual, type_name(type_text), "object", 0)


def enum_entry(manual: Manual, type_text: str | None) -> str | None:
    """The enum entry a member of this type takes values from."""
    return _entry_of(manual, type_name(type_text), "enum", 0)


def _entry_of(manual: Manual, name: str | None, kind: str, depth: int) -> str | None:
    if name is None or depth > 3:
        return None
    found = manual.kind_of(name)
    if found == kind:
        return name
    if found != "alternate":
        return None
    entry = manual.get(name)
    for member in entry.members if entry is not None else ():
        inner = _entry_of(manual, type_name(member.type_text), kind, depth + 1)
        if inner is not None:
            return inner
    return None


# -- the members of an entry ----------------------------------------------


def members_of(manual: Manual, name: str, value: Any) -> Mapping[str, Doc]:
    """The members of entry *name* by name, the included types' too, for
    *value*: of a union, the branch its tag selects first (every branch
    when the tag has no value yet)."""
    key = ("members", name, _cases(_tags(manual, name), value))
    found: Mapping[str, Doc] | None = manual.memo.get(key)
    if found is None:
        if len(manual.memo) > MEMO_LIMIT:  # every tag value typed: bounded
            manual.memo.clear()
        out: dict[str, Doc] = {}
        _collect(manual, name, value, out, frozenset())
        found = manual.memo[key] = out
    return found


def _cases(tags: tuple[str, ...], value: Any) -> tuple[str | int, ...]:
    """What *value* says of each of *tags*: its string, else 0 (absent) or 1."""
    if not isinstance(value, Mapping):
        return (0,) * len(tags)
    out: list[str | int] = []
    for tag in tags:
        case = value.get(tag)
        out.append(case if isinstance(case, str) else int(tag in value))
    return tuple(out)


def _tags(manual: Manual, name: str) -> tuple[str, ...]:
    """The tags the branches of *name* (and what it includes) depend on."""
    key = ("tags", name)
    found: tuple[str, ...] | None = manual.memo.get(key)
    if found is None:
        tags: dict[str, None] = {}
        _gather_tags(manual, name, tags, frozenset())
        found = manual.memo[key] = tuple(tags)
    return found


def _gather_tags(
    manual: Manual, name: str, tags: dict[str, None], seen: frozenset[str]
) -> None:
    entry = manual.get(name) if name not in seen else None
    for member in entry.members if entry is not None else ():
        if member.role != "include":
            continue
        when = _WHEN.match(member.when or "")
        if when:
            tags[when.group("tag")] = None
        else:
            _gather_tags(manual, member.name, tags, seen | {name})


def _collect(
    manual: Manual, name: str, value: Any, out: dict[str, Doc], seen: frozenset[str]
) -> None:
    entry = manual.get(name) if name not in seen else None
    if entry is None:
        return
    seen = seen | {name}
    branches: list[tuple[Member, bool]] = []
    for member in entry.members:
        if member.role != "include":
            out.setdefault(member.name, Doc(member, name))
        elif member.when is None:
            _collect(manual, member.name, value, out, seen)
        else:
            branches.append((member, _selected(member.when, value)))
    chosen = [m for m, selected in branches if selected]
    for member in chosen or [m for m, _ in branches if _unset(m.when, value)]:
        _collect(manual, member.name, value, out, seen)


def _selected(when: str, value: Any) -> bool:
    found = _WHEN.match(when)
    if found is None or not isinstance(value, Mapping):
        return False
    return value.get(found.group("tag")) == found.group("case")


def _unset(when: str | None, value: Any) -> bool:
    """The tag of this branch has no value yet: every branch counts."""
    found = _WHEN.match(when or "")
    if found is None:
        return True
    return not isinstance(value, Mapping) or found.group("tag") not in value


# -- words ----------------------------------------------------------------

_SINCE = re.compile(r"\s*\((?:[^()]*;\s*)?[Ss]ince:?\s[^()]*\)")
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z(\"'`]|\s*$)")


@lru_cache(maxsize=4096)
def first_sentence(text: str, limit: int = 72) -> str:
    """The first sentence of *text* on one line, without its ``(Since X)``,
    cut to *limit* characters (with an ellipsis)."""
    paragraph = text.strip().split("\n\n", 1)[0]
    line = " ".join(paragraph.split())
    found = _SENTENCE_END.search(line)
    if found is not None:
        line = line[: found.start()]
    line = _SINCE.sub("", line).rstrip(" .;:,")
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "\u2026"
    return line


def one_line(
    doc: Doc | None, manual: Manual | None, deprecated: bool = False, limit: int = 72
) -> str:
    """What the completion menu and the signature line say of a member or a
    value: its first sentence; for one the schema marks deprecated, what
    its entry says to use instead, when it says."""
    if doc is None:
        return ""
    hint = deprecation_hint(manual, doc.owner) if deprecated else ""
    return first_sentence(hint or doc.text, limit)


_DEPRECATED = re.compile(r"\bdeprecated\b", re.IGNORECASE)


def deprecation_hint(manual: Manual | None, owner: str) -> str:
    """What the entry *owner* says to use instead of what it deprecates
    ("Use base-node and top-node instead."), or ""."""
    entry = manual.get(owner) if manual is not None else None
    if entry is None or entry.deprecated is None:
        return ""
    text = " ".join(entry.deprecated.split())
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
    rest = [s for s in sentences if not _DEPRECATED.search(s)]
    return " ".join(rest) if rest else text
