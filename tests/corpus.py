"""QEMU's documented QMP examples, copied from ../shared/corpus into tests/data.

``qapi-examples.jsonl``: one example per line, with ``request`` (or null for
an event example) and ``replies``; see ``qapi-examples.README.md``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

PATH = Path(__file__).resolve().parent / "data" / "qapi-examples.jsonl"


@cache
def examples() -> tuple[dict[str, Any], ...]:
    with PATH.open(encoding="utf-8") as handle:
        return tuple(json.loads(line) for line in handle if line.strip())


def requests() -> list[dict[str, Any]]:
    return [e["request"] for e in examples() if e["request"] is not None]


def replies() -> list[dict[str, Any]]:
    return [
        m
        for e in examples()
        for m in e["replies"]
        if isinstance(m, dict) and "event" not in m
    ]


def events() -> list[dict[str, Any]]:
    return [
        m
        for e in examples()
        for m in e["replies"]
        if isinstance(m, dict) and "event" in m
    ]
