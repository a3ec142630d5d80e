"""Turn the lines of a tbl(1) table (between ``.TS`` and ``.TE``) into text.

Options and format lines are skipped, ``_``/``=`` rules dropped, ``T{ ... T}``
text blocks joined into one cell, and rows rendered as ``a | b | c`` with the
columns padded.  Pure function, never raises.
"""

from __future__ import annotations

from collections.abc import Mapping

from qmpsh.schema.manual.escapes import strip_comment, unescape


def _data_lines(lines: list[str]) -> list[str]:
    """Drop the options line and the format section(s) of a table."""
    data: list[str] = []
    in_format = True
    for index, line in enumerate(lines):
        stripped = line.strip()
        if in_format:
            if index == 0 and stripped.endswith(";"):
                continue
            if stripped.endswith("."):
                in_format = False
            continue
        if stripped == ".T&":
            in_format = True
            continue
        data.append(line)
    return data


def table_text(lines: list[str], strings: Mapping[str, str] | None = None) -> str:
    """Render a table's source lines as aligned plain-text rows."""
    rows: list[list[str]] = []
    row: list[str] = []
    block: list[str] | None = None

    def cells(rest: str) -> list[str] | None:
        """Add the cells of *rest* to the row; the open block's lines, if any."""
        pieces = rest.split("\t")
        for position, piece in enumerate(pieces):
            if piece.endswith("T{") and position == len(pieces) - 1:
                return []
            row.append(unescape(strip_comment(piece), strings).strip())
        return None

    for line in _data_lines(lines):
        if block is not None:
            if line.startswith("T}"):
                row.append(" ".join(part for part in block if part))
                block = None
                rest = line[2:].lstrip("\t") if line[2:3] == "\t" else ""
                if rest:
                    block = cells(rest)
                if block is None:
                    rows.append(row)
                    row = []
            elif not line.startswith((".", "'")):
                block.append(unescape(strip_comment(line), strings).strip())
            continue
        if line.strip() in ("_", "=", ""):
            continue
        if line.startswith((".", "'")):
            continue
        block = cells(line)
        if block is None:
            rows.append(row)
            row = []
    if block is not None:
        row.append(" ".join(part for part in block if part))
    if row:
        rows.append(row)
    widths: dict[int, int] = {}
    for cells_of_row in rows:
        for column, cell in enumerate(cells_of_row):
            widths[column] = max(widths.get(column, 0), len(cell))
    rendered = []
    for cells_of_row in rows:
        padded = [cell.ljust(widths[col]) for col, cell in enumerate(cells_of_row)]
        rendered.append(" | ".join(padded).rstrip())
    return "\n".join(rendered)
