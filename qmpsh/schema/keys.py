"""What names a cached schema: the server's build, told by its greeting and
its command names.

A file's name is ``SERVER-COMMANDS``: a digest of the greeting's QEMU
version and package (`server_key`), and a digest of the names
``query-commands`` lists (`commands_digest`).  The second half tells apart
servers that greet the same way but differ in what they offer:
``qemu-system-x86_64`` and ``qemu-storage-daemon`` of one release, or two
targets of one build.

Light on purpose (no pathlib, no hashlib): a one-shot that types its line
reads the cache through these names (`qmpsh.schema.index`).  The digests are
BLAKE2b, from the module hashlib itself takes it from, without hashlib's
OpenSSL start-up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter without it
    from hashlib import blake2b


def digest(text: str) -> str:
    """16 hexadecimal digits naming *text*."""
    return blake2b(text.encode(), digest_size=8).hexdigest()


def server_key(greeting: Mapping[str, Any] | None) -> str | None:
    """A digest of the QEMU version and package in *greeting*, or None."""
    try:
        version = greeting["QMP"]["version"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    return digest(json.dumps(version, sort_keys=True))


def commands_digest(names: Iterable[str]) -> str:
    """A digest of a server's command names (in any order)."""
    return digest("\n".join(sorted(names)))


def command_names(reply: Mapping[str, Any]) -> list[str] | None:
    """The names in a ``query-commands`` reply, or None for an error."""
    result = reply.get("return")
    if not isinstance(result, list):
        return None
    return [r["name"] for r in result if isinstance(r, dict) and "name" in r]
