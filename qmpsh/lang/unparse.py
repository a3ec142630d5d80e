"""Render a QMP request back to shorthand: ``parse(to_shorthand(m)) == m``.

Pure.  Nested objects become dotted keys, arrays stay inline JSON, strings
are left bare when the parser would read them back as the same string, and
anything shorthand cannot say exactly (an ``id``, ``exec-oob``, keys with
dots or spaces, a non-object ``arguments``) is written as a raw JSON line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from qmpsh.lang.tokens import COMMENT, TRANSACTION_CLOSE, TRANSACTION_OPEN, is_bare

_KEY_RE = re.compile(r"[A-Za-z0-9_+\-][A-Za-z0-9_+\-:/@]*")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_+\-.:]*")
_NUMBERISH = re.compile(r"[+-]?[0-9.]")
_WORDS = {"true", "false", "null"}


def to_shorthand(message: Mapping[str, Any]) -> str:
    """The shorthand for *message*, or its compact JSON if there is none."""
    lines = _shorthand(message)
    if lines is None:
        return json.dumps(message, ensure_ascii=False)
    return "\n".join(lines)


def _shorthand(message: Mapping[str, Any]) -> list[str] | None:
    if set(message) - {"execute", "arguments"}:
        return None
    name = message.get("execute")
    args = message.get("arguments", {})
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        return None
    if not isinstance(args, dict) or ("arguments" in message and not args):
        return None
    if name == "transaction":
        return _transaction(args)
    pairs = _pairs(args)
    if pairs is None:
        return None
    return [" ".join([name, *pairs])]


def _transaction(args: Mapping[str, Any]) -> list[str] | None:
    actions = args.get("actions")
    properties = args.get("properties", {})
    if set(args) - {"actions", "properties"} or not isinstance(actions, list):
        return None
    if not isinstance(properties, dict) or ("properties" in args and not properties):
        return None
    lines = [TRANSACTION_OPEN]
    for action in actions:
        if not isinstance(action, dict) or set(action) != {"type", "data"}:
            return None
        kind, data = action["type"], action["data"]
        if not isinstance(kind, str) or not _NAME_RE.fullmatch(kind):
            return None
        if not isinstance(data, dict):
            return None
        pairs = _pairs(data)
        if pairs is None:
            return None
        lines.append("  " + " ".join([kind, *pairs]))
    closing = _pairs(properties)
    if closing is None:
        return None
    lines.append(" ".join([TRANSACTION_CLOSE, *closing]))
    return lines


def _pairs(args: Mapping[str, Any]) -> list[str] | None:
    try:
        return list(_flatten(args, ""))
    except ValueError:
        return None


def _flatten(obj: Mapping[str, Any], prefix: str) -> Iterator[str]:
    for key, value in obj.items():
        if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
            raise ValueError(key)
        path = prefix + key
        if isinstance(value, dict) and value:
            yield from _flatten(value, path + ".")
        else:
            yield f"{path}={render_value(value)}"


def render_value(value: Any) -> str:
    """One value as the parser reads it back (strings bare when safe)."""
    if isinstance(value, str):
        if _bare_ok(value):
            return value
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value != value:  # NaN has no JSON
        raise ValueError(value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _bare_ok(text: str) -> bool:
    if not is_bare(text) or text[0] == COMMENT or text.lower() in _WORDS:
        return False
    if text.endswith(TRANSACTION_CLOSE):
        return False  # a ")" at the end may close a transaction
    # anything that starts like a number is quoted, so that a schema-aware
    # reading (sizes such as 1M, integers with leading zeros) keeps it a string
    return not _NUMBERISH.match(text)
