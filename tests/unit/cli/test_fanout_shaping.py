"""Fan-out's -o table, yaml and csv (qmpsh.cli.fanout_shaping): rows with a
TARGET column, one group per script line, YAML documents tagged."""

from __future__ import annotations

from typing import Any

import pytest

from qmpsh.cli.fanout_shaping import Layout, rows, yaml_document


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"status": "running"}, [{"TARGET": "w", "status": "running"}]),
        ({}, [{"TARGET": "w"}]),
        ([{"a": 1}, {"b": 2}], [{"TARGET": "w", "a": 1}, {"TARGET": "w", "b": 2}]),
        ([], []),
        (
            ["d0", "d1"],
            [{"TARGET": "w", "VALUE": "d0"}, {"TARGET": "w", "VALUE": "d1"}],
        ),
        (3, [{"TARGET": "w", "VALUE": 3}]),
        (None, [{"TARGET": "w", "VALUE": None}]),
        # the label wins over a key of the value called TARGET
        ({"TARGET": "x", "a": 1}, [{"TARGET": "w", "a": 1}]),
    ],
)
def test_rows(value: Any, expected: list[dict[str, Any]]) -> None:
    assert rows("w", value) == expected
    assert all(next(iter(row)) == "TARGET" for row in rows("w", value))


def test_a_label_cannot_drive_the_terminal() -> None:
    assert rows("a\x1bb", 1)[0]["TARGET"] == "a^[b"
    assert "\x1b" not in yaml_document("a\x1bb", "x")


def test_layout_groups_by_line_and_orders_by_target() -> None:
    layout = Layout(["vm1", "vm2"], ["-c:1", "-c:2"])
    # replies come in any order across targets
    layout.add("vm2", "csv", "-c:2", [{"n": 1}, {"n": 2}])
    layout.add("vm2", "table", "-c:1", {"status": "paused"})
    layout.add("vm1", "csv", "-c:2", [{"n": 3}])
    layout.add("vm1", "table", "-c:1", {"status": "running"})
    assert list(layout.texts()) == [
        "TARGET  status\nvm1     running\nvm2     paused",
        "TARGET,n\nvm1,3\nvm2,1\nvm2,2",
    ]


def test_layout_leaves_out_what_has_no_row() -> None:
    layout = Layout(["vm1"], ["-c:1"])
    layout.add("vm1", "table", "-c:1", [])
    assert list(layout.texts()) == []


def test_yaml_document() -> None:
    assert yaml_document("vm1", {"status": "running", "running": True}) == (
        "---\ntarget: vm1\nvalue:\n  status: running\n  running: true"
    )
    assert yaml_document("[::1]:4444", []) == '---\ntarget: "[::1]:4444"\nvalue: []'
