"""A request's own id: what qmpsh can route a reply back by, said in JSON."""

from __future__ import annotations

import pytest

from qmpsh.wire.customids import custom_id_problem


@pytest.mark.parametrize("given", ["a", "", "my-id 1", "__qmp"])
def test_accepted(given: str) -> None:
    assert custom_id_problem(given) is None


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (5, "not 5"),
        (1.5, "not 1.5"),
        (None, "not null"),
        (True, "not true"),
        ({"x": [1]}, 'not {"x": [1]}'),
        (["é"], 'not ["é"]'),
        ("a__qmp#1", 'must not contain "__qmp#"'),
    ],
)
def test_refused_with_json(given: object, shown: str) -> None:
    problem = custom_id_problem(given)
    assert problem is not None and shown in problem
    assert "'" not in problem.replace("qmpsh's", "")  # JSON, not Python's repr


def test_a_long_id_is_clipped() -> None:
    problem = custom_id_problem({"k": "x" * 100})
    assert problem is not None and problem.endswith("...")
    assert len(problem) < 140
