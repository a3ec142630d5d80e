"""Run every row of the reliability matrix, then write docs/reliability.md.

Each row asserts its own behaviour (one clear line, the documented exit
code, no traceback, nothing lost).  The last test renders the rows into the
table of docs/reliability.md: if the file differs, it is rewritten and the
test fails, so that a changed behaviour shows up as a changed document to
review and commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults import (  # noqa: F401  (they register rows)
    rows_bounds,
    rows_files,
    rows_history,
    rows_input,
    rows_load,
    rows_lost,
    rows_policy,
    rows_replies,
    rows_secrets,
    rows_server,
    rows_shell,
    rows_terminal,
    rows_terminal_shell,
)
from tests.faults.matrix import ROWS, VERDICT, Row, observe, ordered, table
from tests.procs import ROOT

DOC = ROOT / "docs" / "reliability.md"
BEGIN = "<!-- begin table: written by tests/faults/test_matrix.py -->\n"
END = "<!-- end table -->\n"

OBSERVED: dict[str, Row] = {}


@pytest.mark.parametrize("row_id", list(ROWS))
def test_row(row_id: str, tmp_path: Path) -> None:
    OBSERVED[row_id] = observe(ROWS[row_id], tmp_path)


def test_reliability_table(tmp_path: Path) -> None:
    """docs/reliability.md holds the table of what the rows observed."""
    for row_id, spec in ROWS.items():
        if row_id not in OBSERVED:  # deselected, or run on its own
            OBSERVED[row_id] = observe(spec, tmp_path / row_id)
    rows = [OBSERVED[row_id] for row_id in ordered()]
    assert all(r.verdict.startswith(VERDICT) for r in rows)
    text = DOC.read_text() if DOC.exists() else f"# Reliability\n\n{BEGIN}{END}"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    wanted = head + BEGIN + table(rows) + END + tail
    if text != wanted:
        DOC.write_text(wanted)
        pytest.fail(
            f"{DOC} was out of date and has been rewritten: review and commit it"
        )
