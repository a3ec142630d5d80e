"""Output shaping: a reply's value as JSON, a table, YAML or CSV (``-o``).

Pure: `shaped` takes the value to show (a reply's ``return``, or what
``--query`` made of it) and returns text; nothing here looks at a
terminal, the caller passes the width to fit (None in a pipe or a file:
nothing is cut).  The text then goes through the output gate like any
other (`qmpsh.core.output`).

``table``
    A list of objects is a table: one column per key, in the order the
    keys are first seen; a cell with a nested value holds it as compact
    JSON, a missing key is an empty cell.  Columns of numbers are aligned
    right.  With a width, the widest columns are narrowed until a row fits
    and what no longer fits in a cell ends with ``…``.  An object is
    ``KEY VALUE`` rows, a list of anything else one item per line, and a
    scalar itself.  Control characters in a cell are escaped (``\\x1b``,
    ``\\x0a``): a cell is one line.
``yaml``
    Block YAML written here (see `to_yaml`): a string is plain only when
    no YAML reader can take it for anything else, otherwise it is
    double-quoted with JSON's escapes (which YAML's double quotes share).
``csv``
    The csv module's quoting, ``\\n`` line ends: a header of the keys of a
    list of objects (or of the one object), then one row per object;
    nested values as compact JSON.
``json``, ``pretty``
    JSON, compact or indented, as qmpsh always wrote it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from qmpsh.core.render import render_json
from qmpsh.core.sanitize import inert_json
from qmpsh.core.settings import SETTING
from qmpsh.core.text import visible

if TYPE_CHECKING:
    from qmpsh.core.query import Query

#: the formats of ``-o`` (its declaration's choices)
FORMATS: tuple[str, ...] = SETTING["output"].choices
#: the formats that show a reply's "return" rather than the whole reply
VALUE_FORMATS = frozenset(("table", "yaml", "csv"))
#: what ends a cell cut short
ELLIPSIS = "…"
#: between two columns of a table
GAP = "  "
#: the narrowest a column is made when fitting a width
NARROWEST = 4


def shaped(value: Any, fmt: str, width: int | None = None) -> str:
    """*value* in the format *fmt* (one of `FORMATS`); *width*: the
    columns a table's rows must fit in (None: no limit)."""
    if fmt == "table":
        return table(value, width)
    if fmt == "yaml":
        return to_yaml(value)
    if fmt == "csv":
        return to_csv(value)
    return render_json(value, fmt == "pretty")


# -- cells ----------------------------------------------------------------


def compact(value: Any) -> str:
    """*value* as a cell shows it: a string as it is, anything else as
    compact JSON (``true``, ``null``, ``{"a":1}``)."""
    if isinstance(value, str):
        return value
    return inert_json(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def cell(value: Any) -> str:
    """A table cell: `compact`, its control characters escaped."""
    return visible(compact(value))


def char_width(ch: str) -> int:
    """Columns *ch* takes on a terminal: 2 for wide East Asian characters,
    0 for combining marks, else 1."""
    if ch.isascii():
        return 1
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(char_width(ch) for ch in text)


def cut(text: str, width: int) -> str:
    """*text* in at most *width* columns, ending with `ELLIPSIS` when cut."""
    if text_width(text) <= width:
        return text
    out = []
    used = 0
    for ch in text:
        w = char_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + ELLIPSIS


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - text_width(text))
    return fill + text if right else text + fill


# -- table ----------------------------------------------------------------


def table(value: Any, width: int | None = None) -> str:
    """*value* as a table (see the module's docstring)."""
    if isinstance(value, list):
        if value and all(isinstance(item, dict) for item in value):
            keys = columns(value)
            if not keys:
                return ""
            rows = [
                [cell(item[k]) if k in item else "" for k in keys] for item in value
            ]
            right = [
                all(_is_number(item.get(k)) for item in value if k in item)
                for k in keys
            ]
            return grid([keys, *rows], right, width, header=True)
        return "\n".join(_line(cell(item), width) for item in value)
    if isinstance(value, dict):
        rows = [[visible(str(k)), cell(v)] for k, v in value.items()]
        return grid(rows, [False, False], width)
    return _line(cell(value), width)


def columns(items: list[dict[str, Any]]) -> list[str]:
    """The keys of *items*, each once, in the order they are first seen."""
    seen: dict[str, None] = {}
    for item in items:
        for key in item:
            seen.setdefault(key, None)
    return list(seen)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _line(text: str, width: int | None) -> str:
    return text if width is None else cut(text, width)


def fit(widths: list[int], room: int) -> list[int]:
    """The column widths, narrowed so that they sum up to at most *room*:
    the widest columns lose first, none below `NARROWEST` (or its own
    width when narrower)."""
    if sum(widths) <= room:
        return widths
    # the largest cap that fits: every column is min(its width, cap)
    low, high = NARROWEST, max(widths)
    while low < high:
        cap = (low + high + 1) // 2
        if sum(min(w, cap) for w in widths) <= room:
            low = cap
        else:
            high = cap - 1
    return [min(w, low) for w in widths]


def grid(
    rows: list[list[str]], right: list[bool], width: int | None, header: bool = False
) -> str:
    """*rows* of cells lined up in columns, `GAP` apart; *right*: which
    columns are aligned right (not the header's cells); *width*: cut to
    fit it."""
    if not rows:
        return ""
    count = len(rows[0])
    widths = [max(text_width(row[i]) for row in rows) for i in range(count)]
    if width is not None:
        widths = fit(widths, width - len(GAP) * (count - 1))
    out = []
    for n, row in enumerate(rows):
        cells = []
        for i, text in enumerate(row):
            text = cut(text, widths[i]) if width is not None else text
            last = i == count - 1
            if last and not (right[i] and not (header and n == 0)):
                cells.append(text)  # no trailing blanks
            else:
                cells.append(
                    _pad(text, widths[i], right[i] and not (header and n == 0))
                )
        line = GAP.join(cells).rstrip()
        # too many columns for even the narrowest: the row is cut too
        out.append(line if width is None else cut(line, width))
    return "\n".join(out)


# -- YAML -----------------------------------------------------------------

#: what a plain (unquoted) YAML string may look like here: a word-ish start,
#: no ``: `` or `` #``, no flow indicators, no trailing blank
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./@+=-]*(?: [A-Za-z0-9_./@+=-]+)*")
#: words YAML 1.1 or 1.2 readers take for booleans or null
_SPECIAL = frozenset(["y", "n", "yes", "no", "true", "false", "on", "off", "null"])


def yaml_string(text: str) -> str:
    """*text* as a YAML scalar: plain when no reader could take it for a
    number, a boolean, null or syntax; else double-quoted (JSON's escapes,
    which YAML's double quotes read the same)."""
    if _PLAIN.fullmatch(text) and text.lower() not in _SPECIAL:
        return text
    return inert_json(json.dumps(text, ensure_ascii=False))


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, str):
        return yaml_string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
    return json.dumps(value)


def to_yaml(value: Any) -> str:
    """*value* as block YAML (a document without ``---``)."""
    out: list[str] = []
    _yaml(value, "", out)
    return "\n".join(out)


def _yaml(value: Any, pad: str, out: list[str]) -> None:
    """Lines of *value* at indentation *pad*; a non-empty dict or list only
    (anything else is one scalar line)."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            name = yaml_string(str(key))
            if _nested(item):
                out.append(f"{pad}{name}:")
                _yaml(item, pad + ("" if isinstance(item, list) else "  "), out)
            else:
                out.append(f"{pad}{name}: {_flow(item)}")
    elif isinstance(value, list) and value:
        for item in value:
            if _nested(item):
                inner: list[str] = []
                _yaml(item, pad + "  ", inner)
                # the first line of the item goes after the dash
                out.append(f"{pad}- {inner[0][len(pad) + 2 :]}")
                out.extend(inner[1:])
            else:
                out.append(f"{pad}- {_flow(item)}")
    else:
        out.append(pad + _flow(value))


def _nested(value: Any) -> bool:
    return isinstance(value, dict | list) and bool(value)


def _flow(value: Any) -> str:
    """A scalar, or an empty collection (``{}``, ``[]``)."""
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _yaml_scalar(value)


# -- CSV ------------------------------------------------------------------


def to_csv(value: Any) -> str:
    """*value* as CSV: a list of objects (or one object) as a header and a
    row per object; a list of anything else one value per row; a scalar one
    row.  No line end after the last row."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        keys = columns(value)
        writer.writerow(keys)
        for item in value:
            writer.writerow([compact(item[k]) if k in item else "" for k in keys])
    elif isinstance(value, list):
        for item in value:
            writer.writerow([compact(item)])
    else:
        writer.writerow([compact(value)])
    return buffer.getvalue().removesuffix("\n")


# -- replies --------------------------------------------------------------


def shape_reply(
    reply: dict[str, Any],
    fmt: str,
    *,
    return_value: bool = False,
    query: Query | None = None,
    width: int | None = None,
) -> str:
    """A successful *reply* as ``-o FMT`` writes it: in JSON the whole
    reply, or its ``return`` with *return_value*; *query* applied to the
    ``return`` first (then only the result is written, in any format); a
    table, YAML and CSV always show the value.  Raises
    `qmpsh.core.query.QueryError` when *query* cannot be applied."""
    value = reply.get("return", reply)
    if query is not None:
        value = query.apply(value)
    elif fmt not in VALUE_FORMATS and not (return_value and "return" in reply):
        value = reply
    return shaped(value, fmt, width)
