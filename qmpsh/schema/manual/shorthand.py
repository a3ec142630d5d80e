"""The manual's example requests as qmpsh shorthand, checked both ways.

`translate` turns the JSON after an example's ``->`` into the shorthand line
(or lines: a transaction) that qmpsh's parser reads back as the very same
JSON; when there is none, it keeps the JSON and says why.  Pure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from qmpsh.lang.parser import ParseError, Request, parse
from qmpsh.lang.unparse import to_shorthand


@dataclass(frozen=True, slots=True)
class Translation:
    """An example request as shown: *text* is shorthand when *shorthand*,
    else the request as the manual wrote it, and *why* says why."""

    text: str
    shorthand: bool
    why: str = ""


def translate(json_text: str) -> Translation:
    """The shorthand for one ``->`` message of an example."""
    try:
        message = json.loads(json_text)
    except json.JSONDecodeError as error:
        return Translation(json_text, False, f"not JSON as written ({error.msg})")
    except RecursionError:
        return Translation(json_text, False, "not JSON as written (nested too deep)")
    if not isinstance(message, dict) or not isinstance(message.get("execute"), str):
        return Translation(json_text, False, "not a command request")
    try:
        text = to_shorthand(message)
        if text.startswith("{"):
            return Translation(json_text, False, _no_shorthand(message))
        back = parse(text)
    except RecursionError:
        return Translation(json_text, False, "nested too deep for shorthand")
    except ParseError as error:
        why = f"its shorthand does not parse back ({error.message})"
        return Translation(json_text, False, why)
    if not isinstance(back, Request) or back.message != message:
        return Translation(json_text, False, "its shorthand reads back differently")
    return Translation(text, True)


def _no_shorthand(message: dict[str, Any]) -> str:
    """Why `to_shorthand` kept *message* as JSON."""
    extra = sorted(set(message) - {"execute", "arguments"})
    if extra:
        return f"shorthand has no way to say {', '.join(extra)}"
    args = message.get("arguments")
    if not isinstance(args, dict):
        return "its arguments are not an object"
    if not args:
        return "an empty arguments object (shorthand sends none)"
    return "an argument name shorthand cannot spell (a dot, a space...)"
