"""The on-disk cache of server schemas, under ``$XDG_CACHE_HOME/qmpsh/schema``.

One file per server build: the name holds a digest of the greeting's QEMU
version and package, and a digest of the server's command names (from
``query-commands``; `qmpsh.schema.keys`).  The second half tells apart
servers that greet the same way but differ in what they offer:
``qemu-system-x86_64`` and ``qemu-storage-daemon`` of one release, or two
targets of one build.  A new QEMU version greets differently, so its schema
is fetched anew; the oldest files are removed beyond `KEEP`.  Next to each
schema lies its per-command index (``.idx``, `qmpsh.schema.index`), which a
one-shot reads instead.  Files are 0600 in a 0700 directory, written whole
(temp file + rename), so a crash never leaves half a file.

`ManualCache` keeps QEMU's QMP reference manuals parsed, the same way, under
``$XDG_CACHE_HOME/qmpsh/manual``: one file per man page file, named by a
digest of its path, size and modification time (a new QEMU package brings a
new page, hence a new file).  It stores and returns plain JSON data; what it
means is `qmpsh.schema.manual.view.Manual`'s business.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from qmpsh.core.paths import cache_dir, private_dir
from qmpsh.core.privfile import check_owned_dir, read_owned
from qmpsh.schema.index import INDEX_SUFFIX, build_index
from qmpsh.schema.keys import command_names, commands_digest, digest, server_key
from qmpsh.schema.model import Schema, SchemaError

__all__ = [
    "KEEP",
    "ManualCache",
    "SchemaCache",
    "command_names",
    "commands_digest",
    "server_key",
]

FORMAT = 1
KEEP = 16

#: the schemas this process has loaded (`SchemaCache.load`), by file
_LOADED: dict[tuple[str, int, int], Schema] = {}
_LOADING = threading.Lock()


class SchemaCache:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else cache_dir() / "schema"

    def path(self, server: str, digest: str) -> Path:
        return self.directory / f"{server}-{digest}.json"

    def candidates(self, server: str) -> list[Path]:
        """Cached files for *server*, the most recently used first."""
        try:
            found = list(self.directory.glob(f"{server}-*.json"))
        except OSError:
            return []
        return sorted(found, key=_mtime, reverse=True)

    @staticmethod
    def digest_of(path: Path) -> str:
        return path.stem.rsplit("-", 1)[-1]

    @staticmethod
    def index_of(path: Path) -> Path:
        """The per-command index next to the schema in *path*."""
        return path.with_suffix(INDEX_SUFFIX)

    def load(self, path: Path) -> Schema | None:
        """The schema in *path*, or None if it is missing or unreadable.

        A file already loaded by this process (the same file: path, inode
        and size; files are replaced whole, never rewritten) gives the
        same `Schema`, which nothing changes: a hundred servers of one
        build, in one fan-out (qmpsh.cli.fanout), hold one schema, not a
        hundred."""
        with _LOADING:  # one thread builds it; the others then share it
            try:
                info = os.stat(path)
            except OSError:
                return None
            key = (str(path), info.st_ino, info.st_size)
            schema = _LOADED.get(key)
            if schema is None:
                schema = self._read(path)
                if schema is None:
                    return None
                while len(_LOADED) >= KEEP:  # the oldest first
                    del _LOADED[next(iter(_LOADED))]
                _LOADED[key] = schema
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used: kept longest
        return schema

    def _read(self, path: Path) -> Schema | None:
        """Read and build the schema in *path*; write its index when it has
        none (a disk that said no then)."""
        try:
            data = json.loads(read_owned(path))  # never another user's file
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                return None
            schema = Schema.from_json(data.get("schema"))
        except (OSError, ValueError, SchemaError):
            return None
        if not self.index_of(path).exists():
            self._store_index(path, data["schema"])
        return schema

    def store(
        self, server: str, digest: str, entries: list[Any], greeting: Any = None
    ) -> Path | None:
        """Write a schema reply to the cache; None if the disk said no."""

        target = self.path(server, digest)
        data = {"format": FORMAT, "greeting": greeting, "schema": entries}
        try:
            _write(self.directory, target, data)
        except OSError:
            return None
        self._store_index(target, entries)
        self.prune()
        return target

    def _store_index(self, path: Path, entries: list[Any]) -> None:
        """Write the index of the schema in *path* (`qmpsh.schema.index`);
        without it, one-shots load the whole schema, as before."""
        with contextlib.suppress(OSError, ValueError):
            _write_bytes(self.directory, self.index_of(path), build_index(entries))

    def prune(self, keep: int = KEEP) -> None:
        """Remove all but the *keep* most recently used schemas, with their
        indexes (and any index left without its schema)."""
        try:
            files = sorted(self.directory.glob("*.json"), key=_mtime, reverse=True)
            indexes = list(self.directory.glob(f"*{INDEX_SUFFIX}"))
        except OSError:
            return
        kept = {self.index_of(path) for path in files[:keep]}
        for old in [*files[keep:], *(i for i in indexes if i not in kept)]:
            with contextlib.suppress(OSError):
                old.unlink()


class ManualCache:
    """Parsed manual pages as JSON, by page file."""

    KEEP = 8

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else cache_dir() / "manual"

    def path(self, page: Path) -> Path | None:
        """The cache file of the man page *page*; None when it cannot be
        looked at."""
        try:
            info = page.stat()
            real = os.path.realpath(page)
        except OSError:
            return None
        key = digest(f"{real}\0{info.st_size}\0{info.st_mtime_ns}")
        return self.directory / f"{page.name.split('.', 1)[0]}-{key}.json"

    def load(self, page: Path) -> Any:
        """The data stored for *page* (its current version), or None."""
        path = self.path(page)
        if path is None:
            return None
        try:
            with path.open("rb") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used: kept longest
        return data

    def store(self, page: Path, data: Any) -> Path | None:
        """Write *data* for *page*; None if the disk said no."""
        target = self.path(page)
        if target is None:
            return None
        try:
            _write(self.directory, target, data)
        except (OSError, ValueError):
            return None
        try:
            files = sorted(self.directory.glob("*.json"), key=_mtime, reverse=True)
        except OSError:
            return target
        for old in files[self.KEEP :]:
            with contextlib.suppress(OSError):
                old.unlink()
        return target


def _write(directory: Path, target: Path, data: Any) -> None:
    """*data* as JSON into *target*, whole or not at all (0600, in a 0700
    *directory*)."""
    _write_bytes(directory, target, json.dumps(data, separators=(",", ":")).encode())


def _write_bytes(directory: Path, target: Path, data: bytes) -> None:
    """*data* into *target*, whole or not at all (0600, in a 0700
    *directory*)."""
    private_dir(directory)
    check_owned_dir(directory)  # not another user's to fill
    import tempfile  # only to write: a one-shot that reads pays nothing

    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
