"""JSON values nested very deeply: measure them, and write them without recursion.

Pure.  Python's ``json`` recurses once per level and gives up near the
interpreter's recursion limit, while QEMU accepts messages nested up to
`MAX_DEPTH` levels.  `depth` lets the parser refuse what QEMU would refuse
(QEMU answers a too-deep request with an error without an id, which ends the
session), and `dumps` writes any value, however deep, as compact JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any

#: the deepest nesting of a whole message that QEMU's JSON parser accepts
MAX_DEPTH = 1024


def depth(value: Any) -> int:
    """How many containers deep *value* is: 0 for a scalar, 1 for ``[]``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            items: Any = node.values()
        elif isinstance(node, list | tuple):
            items = node
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in items)
    return deepest


def non_finite(value: Any) -> float | None:
    """The first NaN or infinity inside *value*, or None: JSON has no such
    number (``json`` would write ``NaN``/``Infinity``, which QEMU refuses)."""
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, float):
            if not math.isfinite(node):
                return node
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return None


def dumps(value: Any, *, ensure_ascii: bool = False) -> str:
    """Compact JSON for *value* at any depth (same text as ``json.dumps``)."""
    out: list[str] = []
    # a stack of pending work: values to write, or literal text to emit
    stack: list[tuple[bool, Any]] = [(True, value)]
    encode = json.JSONEncoder(ensure_ascii=ensure_ascii).encode
    while stack:
        is_value, item = stack.pop()
        if not is_value:
            out.append(item)
        elif isinstance(item, dict):
            parts: list[tuple[bool, Any]] = [(False, "{")]
            for i, (key, child) in enumerate(item.items()):
                sep = ", " if i else ""
                name = key if isinstance(key, str) else json.dumps(key)
                parts += [(False, f"{sep}{encode(name)}: "), (True, child)]
            parts.append((False, "}"))
            stack.extend(reversed(parts))
        elif isinstance(item, list | tuple):
            parts = [(False, "[")]
            for i, child in enumerate(item):
                if i:
                    parts.append((False, ", "))
                parts.append((True, child))
            parts.append((False, "]"))
            stack.extend(reversed(parts))
        else:
            out.append(encode(item))
    return "".join(out)
