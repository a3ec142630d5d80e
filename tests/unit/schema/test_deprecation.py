"""What a request uses that the schema marks deprecated (captured 7.2 schema)."""

from __future__ import annotations

from typing import Any

import pytest

from qmpsh.schema.deprecation import Use, deprecated_uses, deprecation_warning
from qmpsh.schema.model import Schema
from tests import schemas


@pytest.fixture(scope="module")
def schema() -> Schema:
    return schemas.system()


def uses(schema: Schema, command: str, **args: Any) -> list[Use]:
    return deprecated_uses({"execute": command, "arguments": args}, schema)


def test_commands_arguments_values(schema: Schema) -> None:
    assert uses(schema, "query-status") == []
    assert uses(schema, "drive-backup", device="d", sync="full", target="t") == [
        Use("command")
    ]
    assert uses(schema, "block-commit", device="d", top="t", base="b") == [
        Use("argument", ("top",)),
        Use("argument", ("base",)),
    ]
    assert uses(schema, "block-commit", device="d", **{"top-node": "n"}) == []
    action = {"type": "drive-backup", "data": {"device": "d"}}
    assert uses(
        schema, "transaction", actions=[{"type": "abort", "data": {}}, action]
    ) == [Use("value", ("actions", 1, "type"), "drive-backup")]
    # nothing to say about what the schema does not know
    assert uses(schema, "no-such-command", top=1) == []
    assert deprecated_uses({"execute": 3}, schema) == []
    assert uses(schema, "block-commit", device={"x": [1] * 5}) == []


def test_the_warning_without_a_manual(schema: Schema) -> None:
    message = {"execute": "block-commit", "arguments": {"top": "t", "base": "b"}}
    found = deprecated_uses(message, schema)
    assert deprecation_warning(message, found, None) == (
        "warning: block-commit: top and base are deprecated"
    )
    message = {"execute": "drive-backup", "arguments": {}}
    assert deprecation_warning(message, [Use("command")], None) == (
        "warning: drive-backup is deprecated"
    )
    message = {"execute": "transaction", "arguments": {}}
    value = Use("value", ("actions", 0, "type"), "drive-backup")
    assert deprecation_warning(message, [value], None) == (
        "warning: transaction: actions.0.type=drive-backup is deprecated"
    )
