"""A per-command index of a cached schema: what a one-shot reads instead of
the whole schema.

Next to each cached schema ``SERVER-COMMANDS.json`` (`qmpsh.schema.cache`)
lies ``SERVER-COMMANDS.idx``: a first line of JSON holding every command's
and event's own entry (names, argument type names, features) and where, in
the rest of the file, the entries of the types each one's arguments use
are (its closure: members, variants, elements, alternatives, down to the
builtins); then those entries, one JSON array per distinct closure.

`open_index` finds the index of the connected server's build (the same
identity check as a full load: the greeting's version and package, then
``query-commands``) and `Index.need` reads one command's types when a line
uses it.  So a one-shot typing ``qom-get path=/machine property=type``
reads a few hundred bytes of types instead of building the whole model, and
imports neither pathlib nor hashlib, nor starts the thread a full load
reads the disk in.  The `Schema` it grows (`Index.schema`) knows every
command and event; its types are those of the commands needed so far,
which is all that typing and checking those commands look at.

`build_index` writes the file from a ``query-qmp-schema`` reply (when the
schema is cached, `qmpsh.schema.cache.SchemaCache.store`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from qmpsh.core.errors import QmpshError
from qmpsh.core.paths import cache_dir_name
from qmpsh.core.privfile import open_checked
from qmpsh.schema.keys import command_names, commands_digest, server_key
from qmpsh.schema.model import Schema, SchemaError

if TYPE_CHECKING:
    from qmpsh.schema.service import Server

FORMAT = 1
INDEX_SUFFIX = ".idx"
#: the most a header line may take (a real one is some 40 KiB)
MAX_HEADER = 4 << 20


def build_index(entries: Iterable[Any]) -> bytes:
    """The index of *entries* (a ``query-qmp-schema`` reply), as a file's
    bytes."""
    by_name: dict[str, Mapping[str, Any]] = {}
    heads: list[Mapping[str, Any]] = []
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            continue
        if entry.get("meta-type") in ("command", "event"):
            heads.append(entry)
        else:
            by_name[entry["name"]] = entry
    at: dict[str, tuple[int, int]] = {}
    blobs: dict[bytes, tuple[int, int]] = {}
    offset = 0
    for head in heads:
        names = sorted(_closure(str(head.get("arg-type")), by_name))
        blob = json.dumps([by_name[n] for n in names], separators=(",", ":")).encode()
        if blob not in blobs:
            blobs[blob] = (offset, len(blob))
            offset += len(blob)
        at[head["name"]] = blobs[blob]
    header = {"format": FORMAT, "entries": heads, "at": at, "size": offset}
    line = json.dumps(header, separators=(",", ":")).encode()
    return b"".join([line, b"\n", *blobs])


def _closure(start: str, by_name: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """The names of the types *start* uses, itself included."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        entry = by_name.get(name)
        if name in seen or entry is None:
            continue
        seen.add(name)
        meta = entry.get("meta-type")
        if meta == "array":
            todo.append(str(entry.get("element-type")))
            continue
        if meta not in ("object", "alternate"):
            continue
        for key in ("members", "variants"):
            for part in entry.get(key) or ():
                if isinstance(part, Mapping) and "type" in part:
                    todo.append(str(part["type"]))
    return seen


class Index:
    """An open index: `schema` grows by `need` as lines use commands."""

    def __init__(self, path: str, body: int, header: Mapping[str, Any]) -> None:
        self.path = path
        #: where the closures start in the file
        self.body = body
        self.at: Mapping[str, Any] = header["at"]
        #: every command and event; the types of those needed so far
        self.schema = Schema.from_json(list(header["entries"]))
        self._read: set[tuple[int, int]] = set()

    @classmethod
    def read(cls, path: str) -> Index | None:
        """The index in *path*; None when it is missing, another user's,
        cut short or not an index."""
        try:
            with os.fdopen(open_checked(path, os.O_RDONLY), "rb") as handle:
                line = handle.readline(MAX_HEADER)
                size = os.fstat(handle.fileno()).st_size
            header = json.loads(line)
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                return None
            if size != len(line) + header["size"] or not line.endswith(b"\n"):
                return None  # cut short (never written so, but a disk may fail)
            if not isinstance(header["at"], dict):
                return None
            return cls(path, len(line), header)
        except (OSError, ValueError, KeyError, TypeError, SchemaError):
            return None

    def need(self, name: str) -> None:
        """Add the types command (or event) *name* uses to `schema`, once;
        nothing for a name the server does not have.  A closure that cannot
        be read leaves those types out: lines are then typed and checked as
        without a schema, never refused for it."""
        span = self.at.get(name)
        if not isinstance(span, list) or len(span) != 2:
            return
        offset, length = span
        if (offset, length) in self._read:
            return
        self._read.add((offset, length))
        try:
            fd = open_checked(self.path, os.O_RDONLY)
            try:
                blob = os.pread(fd, length, self.body + offset)
            finally:
                os.close(fd)
            part = Schema.from_json(json.loads(blob))
        except (OSError, ValueError, SchemaError):
            return
        self.schema.types.update(part.types)


async def open_index(server: Server, timeout: float = 30.0) -> Index | None:
    """The index of the cached schema of *server*'s build, or None: no
    greeting (a guest agent), nothing cached for this QEMU, a build not
    seen before, or a failed ``query-commands`` (the caller then loads the
    schema the usual way, `qmpsh.schema.service.SchemaService`)."""
    key = server_key(server.greeting)
    if key is None:
        return None
    directory = os.path.join(cache_dir_name(), "schema")
    try:
        present = {n for n in os.listdir(directory) if n.startswith(key + "-")}
    except OSError:
        return None
    if not any(n.endswith(INDEX_SUFFIX) for n in present):
        return None  # nothing to check the build against: no round trip
    try:
        reply = await server.execute({"execute": "query-commands"}, timeout)
    except QmpshError:
        return None
    names = command_names(reply)
    if names is None:
        return None
    stem = os.path.join(directory, f"{key}-{commands_digest(names)}")
    if os.path.basename(stem) + INDEX_SUFFIX not in present:
        return None
    index = Index.read(stem + INDEX_SUFFIX)
    if index is None:  # damaged: the full load about to follow writes it anew
        with contextlib.suppress(OSError):
            os.unlink(stem + INDEX_SUFFIX)
    else:
        for used in (stem + ".json", stem + INDEX_SUFFIX):
            with contextlib.suppress(OSError):
                os.utime(used)  # most recently used: kept longest
    return index
