"""The on-disk cache of server schemas, under ``$XDG_CACHE_HOME/qmpsh/schema``.

One file per server build: the name holds a digest of the greeting's QEMU
version and package, and a digest of the server's command names (from
``query-commands``).  The second half tells apart servers that greet the
same way but differ in what they offer: ``qemu-system-x86_64`` and
``qemu-storage-daemon`` of one release, or two targets of one build.  A new
QEMU version greets differently, so its schema is fetched anew; the oldest
files are removed beyond `KEEP`.  Files are 0600 in a 0700 directory,
written whole (temp file + rename), so a crash never leaves half a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from qmpsh.core.paths import cache_dir, private_dir
from qmpsh.schema.model import Schema, SchemaError

FORMAT = 1
KEEP = 16


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def server_key(greeting: Mapping[str, Any] | None) -> str | None:
    """A digest of the QEMU version and package in *greeting*, or None."""
    try:
        version = greeting["QMP"]["version"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    return _digest(json.dumps(version, sort_keys=True))


def commands_digest(names: Iterable[str]) -> str:
    return _digest("\n".join(sorted(names)))


def command_names(reply: Mapping[str, Any]) -> list[str] | None:
    """The names in a ``query-commands`` reply, or None for an error."""
    result = reply.get("return")
    if not isinstance(result, list):
        return None
    return [r["name"] for r in result if isinstance(r, dict) and "name" in r]


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

    def load(self, path: Path) -> Schema | None:
        """The schema in *path*, or None if it is missing or unreadable."""
        try:
            with path.open("rb") as handle:
                data = json.load(handle)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                return None
            schema = Schema.from_json(data.get("schema"))
        except (OSError, ValueError, SchemaError):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used: kept longest
        return schema

    def store(
        self, server: str, digest: str, entries: list[Any], greeting: Any = None
    ) -> Path | None:
        """Write a schema reply to the cache; None if the disk said no."""
        import tempfile  # only to write: a one-shot that reads pays nothing

        target = self.path(server, digest)
        try:
            private_dir(self.directory)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(
                        {"format": FORMAT, "greeting": greeting, "schema": entries},
                        handle,
                        separators=(",", ":"),
                    )
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            return None
        self.prune()
        return target

    def prune(self, keep: int = KEEP) -> None:
        try:
            files = sorted(self.directory.glob("*.json"), key=_mtime, reverse=True)
        except OSError:
            return
        for old in files[keep:]:
            with contextlib.suppress(OSError):
                old.unlink()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
