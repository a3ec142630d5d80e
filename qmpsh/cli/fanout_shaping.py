"""Fan-out's ``-o table``, ``yaml`` and ``csv``: every target's replies laid out together.

Each target's `qmpsh.batch.replies.ReplyWriter` hands over the value of a
successful reply (its ``return``, ``--query`` applied to it on that
target) instead of writing it (`qmpsh.batch.replies.ReplyWriter.values`):

``table``, ``csv``
    One table (or CSV) per script line, written once every target is done
    (its columns line up across targets), in the order of the script: a
    leading ``TARGET`` column, then the value's.  An object is one row, a
    list of objects one row each; a plain value, or each item of a list of
    them, sits in a ``VALUE`` column.  Rows come in the order of the
    targets, a target's in the order of its replies.
``yaml``
    One document per reply as it comes, ``---`` first, tagged:
    ``target: LABEL`` and ``value: ...`` (`yaml_document`).

Pure, but for `Layout` keeping what is to be written; the caller writes
through the output gate (`qmpsh.core.output`).  Imported when a value
format is first in force.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from qmpsh.core.sanitize import shown
from qmpsh.core.shape import table, to_csv, to_yaml

#: the column naming the target (upper case: QMP's names are lower case)
TARGET = "TARGET"
#: the column of a value that is no object
VALUE = "VALUE"


def rows(label: str, value: Any) -> list[dict[str, Any]]:
    """One target's *value* as table rows, `TARGET` first (see the
    module's docstring).  An empty list is no row; an empty object is a
    row with only the target (it answered)."""
    items = value if isinstance(value, list) else [value]
    tag = shown(label)
    out: list[dict[str, Any]] = []
    for item in items:
        row: dict[str, Any] = {TARGET: tag}
        if isinstance(item, Mapping):
            # a key of the value called TARGET (a --query's) yields to the label
            row.update((k, v) for k, v in item.items() if k != TARGET)
        else:
            row[VALUE] = item
        out.append(row)
    return out


def yaml_document(label: str, value: Any) -> str:
    """One target's *value* as a YAML document of its own, tagged."""
    return "---\n" + to_yaml({"target": shown(label), "value": value})


class Layout:
    """The rows of table and CSV replies, kept until they are written
    (`texts`): one group per script line and format."""

    def __init__(self, targets: Sequence[str], lines: Sequence[str]) -> None:
        #: each target's place, each line's place (its ``where``)
        self._target_rank = {label: n for n, label in enumerate(targets)}
        self._line_rank = {where: n for n, where in enumerate(lines)}
        #: (line, format) -> (target's place, row), in arrival order
        self._groups: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}

    def add(self, label: str, fmt: str, where: str, value: Any) -> None:
        """*label*'s reply on the line *where*, as ``-o FMT`` (table or csv)."""
        group = self._groups.setdefault((where, fmt), [])
        rank = self._target_rank.get(label, len(self._target_rank))
        group.extend((rank, row) for row in rows(label, value))

    def texts(self, width: int | None = None) -> Iterator[str]:
        """Each group as text, in the order of the script (empty groups
        left out); *width*: a table's rows fit it (None: nothing is cut)."""
        last = len(self._line_rank)
        for where, fmt in sorted(
            self._groups, key=lambda key: self._line_rank.get(key[0], last)
        ):
            # sorted is stable: a target's rows stay in the order they came
            ordered = [row for _, row in sorted(self._groups[where, fmt], key=_rank)]
            if not ordered:
                continue
            yield table(ordered, width) if fmt == "table" else to_csv(ordered)


def _rank(item: tuple[int, dict[str, Any]]) -> int:
    return item[0]
