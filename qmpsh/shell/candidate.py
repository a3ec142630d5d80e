"""One completion candidate, and how typed prefixes match names.

Pure, and shared by `qmpsh.shell.candidates` and `qmpsh.shell.properties`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from qmpsh.lang.tokens import is_bare
from qmpsh.shell.live_values import Source, Value

#: a prefix this long also matches inside names ("status" finds query-status)
SUBSTRING_FROM = 3


@dataclass(frozen=True)
class Candidate:
    """One completion: *text* replaces the last ``-start`` characters."""

    text: str
    start: int
    display: str = ""
    meta: str = ""
    style: str = ""


LiveLookup = Callable[[Source], list[Value] | None]


def no_live_values(source: Source) -> list[Value] | None:
    """The `LiveLookup` without live values."""
    return None


def matches(prefix: str, names: Iterable[str]) -> list[str]:
    """Names starting with *prefix* (any case), then names containing it
    (for prefixes of `SUBSTRING_FROM` characters or more), earliest and
    shortest first."""
    low = prefix.lower()
    pool = list(dict.fromkeys(names))
    first = [n for n in pool if n.lower().startswith(low)]
    if len(low) < SUBSTRING_FROM:
        return first
    taken = set(first)
    inside = [n for n in pool if low in n.lower() and n not in taken]
    inside.sort(key=lambda n: (n.lower().index(low), len(n)))
    return first + inside


def quoted(value: str, quote: str) -> str:
    """*value* as inserted after an opening *quote* (closing it), or bare."""
    if quote == '"':
        return json.dumps(value, ensure_ascii=False)[1:]
    if quote == "'":
        return value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if not is_bare(value):  # "#" is fine after "="
        return json.dumps(value, ensure_ascii=False)
    return value
