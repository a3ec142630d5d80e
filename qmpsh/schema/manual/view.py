"""`Manual`: one server's reference manual, its entries built when asked for.

A `Manual` comes from one of three places, and answers the same way:

- a whole `Reference` (`Manual.from_reference`): everything parsed;
- the page's `EntryIndex` (`Manual.from_index`): an entry is parsed from
  its slice of the page the first time it is asked for (``help`` without a
  cache: a fraction of a millisecond per entry instead of the whole page's
  parse); `Manual.build_some` parses the rest a time slice at a time;
- the disk cache (`Manual.from_cache`): the JSON text of every entry,
  decoded into an `Entry` when first asked for.

`complete` says every entry is at hand without parsing roff: what the
completion menu and the signature line wait for, since they run on every
keystroke.  Pure, no I/O; used from the event loop's thread only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from qmpsh.schema.manual.lazy import EntryIndex
from qmpsh.schema.manual.model import (
    SERVER_KINDS,
    Entry,
    EntryKind,
    Reference,
    ServerKind,
    entry_from_dict,
    entry_kind,
    entry_to_dict,
    fold,
)
from qmpsh.schema.manual.parse import page_info
from qmpsh.schema.manual.roff import read_roff

#: the layout of `Manual.to_cache`; another number is not read
CACHE_FORMAT = 2


class Manual:
    """The entries of one server's manual, by name, built on demand."""

    def __init__(
        self,
        *,
        kind: ServerKind,
        version: str | None,
        title: str | None,
        kinds: Mapping[str, EntryKind],
        build: Callable[[str], Entry | None],
        complete: bool = False,
        source: str = "",
    ) -> None:
        #: the server the page documents
        self.kind = kind
        #: the QEMU version the page is from (its ``.TH`` line)
        self.version = version
        self.title = title
        #: where it came from: the page's file name
        self.source = source
        #: every entry is at hand without parsing roff
        self.complete = complete
        self._kinds = dict(kinds)
        self._build = build
        self._entries: dict[str, Entry | None] = {}
        self._folded: dict[str, str] | None = None
        self._pending: Iterator[str] | None = None
        #: what `qmpsh.schema.manual.scope` computes once per manual
        self.memo: dict[object, Any] = {}

    # -- where it comes from ---------------------------------------------

    @classmethod
    def from_reference(cls, reference: Reference, source: str = "") -> Manual:
        entries = reference.entries
        return cls(
            kind=reference.kind,
            version=reference.version,
            title=reference.title,
            kinds={name: entry.kind for name, entry in entries.items()},
            build=entries.get,
            complete=True,
            source=source,
        )

    @classmethod
    def from_index(cls, index: EntryIndex, source: str = "") -> Manual:
        text = index.text
        first = min((start for start, _ in index.spans.values()), default=len(text))
        # the .TH line and the NAME section are what tell (not the contents)
        name = text.find("\n.SH NAME", 0, first)
        stop = text.find("\n.S", name + 9, first) if name != -1 else -1
        prefix = text[: stop if stop != -1 else min(first, 20000)]
        kind, version, title = page_info(read_roff(prefix), index.page_name)
        manual = cls(
            kind=kind,
            version=version,
            title=title,
            kinds=index.kinds,
            build=index.parse,
            source=source,
        )
        manual.complete = not index.kinds
        return manual

    @classmethod
    def from_cache(cls, data: Any, source: str = "") -> Manual | None:
        """The manual in `to_cache` form, or None when *data* is not one."""
        try:
            if data.get("format") != CACHE_FORMAT:
                return None
            raw: dict[str, str] = dict(data["entries"])
            kinds = {str(n): entry_kind(str(k)) for n, k in dict(data["kinds"]).items()}
            kind: ServerKind = "unknown"
            if data["kind"] in SERVER_KINDS:
                kind = data["kind"]
            version, title = data.get("version"), data.get("title")
        except (AttributeError, KeyError, TypeError, ValueError):
            return None

        def build(name: str) -> Entry | None:
            try:
                return entry_from_dict(json.loads(raw[name]))
            except (KeyError, TypeError, ValueError, RecursionError):
                return None

        return cls(
            kind=kind,
            version=version if isinstance(version, str) else None,
            title=title if isinstance(title, str) else None,
            kinds=kinds,
            build=build,
            complete=True,
            source=source,
        )

    def to_cache(self, entries: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Everything as JSON-compatible data; *entries*: the entries in
        `entry_to_dict` form already, else they are made (and parsed).  Each
        entry is kept as JSON text, decoded when asked for: loading the file
        then takes a third of the time."""
        if entries is None:
            entries = {entry.name: entry_to_dict(entry) for entry in self.entries()}
        return {
            "format": CACHE_FORMAT,
            "kind": self.kind,
            "version": self.version,
            "title": self.title,
            "kinds": {name: entry["kind"] for name, entry in entries.items()},
            "entries": {
                name: json.dumps(entry, separators=(",", ":"))
                for name, entry in entries.items()
            },
        }

    # -- what callers use ------------------------------------------------

    def get(self, name: str) -> Entry | None:
        """The entry called exactly *name*, or None."""
        try:
            return self._entries[name]
        except KeyError:
            pass
        entry = self._build(name) if name in self._kinds else None
        self._entries[name] = entry
        return entry

    def find(self, name: str) -> Entry | None:
        """The entry called *name*, ignoring case and ``_``/``-``."""
        if name in self._kinds:
            return self.get(name)
        if self._folded is None:
            self._folded = {fold(n): n for n in reversed(self._kinds)}
        exact = self._folded.get(fold(name))
        return self.get(exact) if exact is not None else None

    def kind_of(self, name: str) -> EntryKind | None:
        """The kind of the entry *name* (without building it), or None."""
        return self._kinds.get(name)

    def names(self, kind: EntryKind | None = None) -> list[str]:
        """Entry names (of one kind), in page order."""
        if kind is None:
            return list(self._kinds)
        return [name for name, k in self._kinds.items() if k == kind]

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def __len__(self) -> int:
        return len(self._kinds)

    def entries(self) -> Iterator[Entry]:
        """Every entry, in page order."""
        for name in self._kinds:
            entry = self.get(name)
            if entry is not None:
                yield entry

    def build_some(self, budget: float) -> bool:
        """Build entries for up to *budget* seconds; True once all are built
        (the manual is then `complete`)."""
        if self.complete:
            return True
        if self._pending is None:
            self._pending = iter(list(self._kinds))
        deadline = time.perf_counter() + budget
        for name in self._pending:
            self.get(name)
            if time.perf_counter() >= deadline:
                return False
        self.complete = True
        return True
