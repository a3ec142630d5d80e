"""Schemas captured from the installed QEMU 7.2 (tests/data/qmp-schema.README.md)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from qmpsh.schema.model import Schema

DATA = Path(__file__).resolve().parent / "data"
SYSTEM = DATA / "qmp-schema-x86_64-7.2.json"
STORAGE_DAEMON = DATA / "qmp-schema-storage-daemon-7.2.json"


@cache
def captured(path: Path = SYSTEM) -> dict[str, Any]:
    """``{"greeting": ..., "schema": [...]}`` as captured."""
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@cache
def system() -> Schema:
    """The schema of ``qemu-system-x86_64`` 7.2."""
    return Schema.from_json(captured(SYSTEM)["schema"])


@cache
def storage_daemon() -> Schema:
    """The schema of ``qemu-storage-daemon`` 7.2."""
    return Schema.from_json(captured(STORAGE_DAEMON)["schema"])
