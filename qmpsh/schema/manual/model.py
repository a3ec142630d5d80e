"""The model of a QMP reference manual, and its JSON-able form.

A `Reference` holds the `Entry` of every documented command, event and type
of one server (QEMU, the storage daemon or the guest agent), keyed by name,
as `qmpsh.schema.manual.parse.parse_reference` builds it from a whole page.
All classes are frozen dataclasses of plain values; `entry_to_dict` and
`entry_from_dict` give a JSON-compatible form for the on-disk cache
(`qmpsh.schema.cache.ManualCache`).  Pure, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast, get_args

ServerKind = Literal["qemu", "storage-daemon", "guest-agent", "unknown"]
EntryKind = Literal["command", "event", "object", "enum", "alternate", "other"]
MemberRole = Literal["member", "value", "include"]
Direction = Literal["->", "<-"]

ENTRY_KINDS: tuple[EntryKind, ...] = get_args(EntryKind)
SERVER_KINDS: tuple[ServerKind, ...] = get_args(ServerKind)


@dataclass(frozen=True, slots=True)
class Member:
    """An argument, member, enum value, or an included type (``include``).

    For ``role == "include"`` (``The members of X [when ...]``), ``name`` is the
    included type and ``when`` the union branch condition, if any.
    """

    name: str
    type_text: str | None = None
    text: str = ""
    optional: bool = False
    role: MemberRole = "member"
    condition: str | None = None
    when: str | None = None


@dataclass(frozen=True, slots=True)
class Feature:
    """A QAPI feature (``deprecated``, ``unstable``, ...) and its text."""

    name: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    """One ``->`` (client to server) or ``<-`` message of an example: its
    text, and where it is in the example's text (first line, line count)."""

    direction: Direction
    json_text: str
    line: int = 0
    lines: int = 1


@dataclass(frozen=True, slots=True)
class Example:
    """A literal example block: its title, full text and the messages in it."""

    title: str
    text: str
    messages: tuple[Message, ...] = ()


@dataclass(frozen=True, slots=True)
class Entry:
    """One documented definition; ``sections`` keeps Notes, TODO and the rest."""

    name: str
    kind: EntryKind
    kind_text: str = ""
    description: str = ""
    members: tuple[Member, ...] = ()
    returns: str | None = None
    since: str | None = None
    condition: str | None = None
    features: tuple[Feature, ...] = ()
    deprecated: str | None = None
    sections: tuple[tuple[str, str], ...] = ()
    examples: tuple[Example, ...] = ()
    chapter: str | None = None

    @property
    def is_deprecated(self) -> bool:
        return self.deprecated is not None


@dataclass(frozen=True, slots=True)
class Reference:
    """A parsed manual: server kind, version, page title and entries by name."""

    version: str | None
    kind: ServerKind
    title: str | None = None
    entries: dict[str, Entry] = field(default_factory=dict)

    def names(self, kind: EntryKind) -> list[str]:
        """Names of the entries of one kind, in page order."""
        return [name for name, entry in self.entries.items() if entry.kind == kind]

    def find(self, name: str) -> Entry | None:
        """Look an entry up by exact name, then ignoring case and ``_``/``-``."""
        if name in self.entries:
            return self.entries[name]
        wanted = fold(name)
        for key, entry in self.entries.items():
            if fold(key) == wanted:
                return entry
        return None


def entry_kind(kind_text: str) -> EntryKind:
    """The kind of an entry from its heading's ``(Command)``, ``(Enum)``..."""
    lowered = kind_text.lower()
    return next((k for k in ENTRY_KINDS if k == lowered), "other")


def fold(name: str) -> str:
    """A name as the forgiving lookups compare it: any case, ``_`` as ``-``."""
    return name.lower().replace("_", "-")


def entry_to_dict(entry: Entry) -> dict[str, Any]:
    """A JSON-compatible dict of one entry."""
    return asdict(entry)


def entry_from_dict(raw: Mapping[str, Any]) -> Entry:
    """Rebuild an `Entry` from `entry_to_dict` output; KeyError or TypeError
    for a dict that is not one."""
    return Entry(
        name=str(raw["name"]),
        kind=cast(EntryKind, raw["kind"]),
        kind_text=raw.get("kind_text", ""),
        description=raw.get("description", ""),
        members=tuple(Member(**member) for member in raw.get("members", ())),
        returns=raw.get("returns"),
        since=raw.get("since"),
        condition=raw.get("condition"),
        features=tuple(Feature(**feature) for feature in raw.get("features", ())),
        deprecated=raw.get("deprecated"),
        sections=tuple((str(t), str(x)) for t, x in raw.get("sections", ())),
        examples=tuple(
            Example(
                title=example["title"],
                text=example["text"],
                messages=tuple(Message(**m) for m in example.get("messages", ())),
            )
            for example in raw.get("examples", ())
        ),
        chapter=raw.get("chapter"),
    )
