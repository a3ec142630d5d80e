"""Validation before sending: QEMU's wording, suggestions, and never refusing
what QEMU accepts."""

from __future__ import annotations

from typing import Any

import pytest

from qmpsh.builtins.registry import MODULES
from qmpsh.schema.model import Schema
from qmpsh.schema.validate import (
    check_request,
    suggest,
    unknown_first_word,
    validate,
)
from tests import corpus, schemas

#: corpus examples this QEMU (7.2) refuses, and why.  Each was sent to the
#: real QEMU by tests/integration/test_schema_live.py, which checks that
#: QEMU refuses it too; this table is the reasoning.
EXPECTED_REFUSALS = {
    # "paging" became optional in QEMU 8.2
    ("qapi/dump.json", 85): "Parameter 'paging' is missing",
    ("qapi/misc.json", 1706): "Parameter 'paging' is missing",
    # "channels" was added to migrate in QEMU 9.0
    **{
        ("qapi/migration.json", line): "Parameter 'channels' is unexpected"
        for line in (1621, 1630, 1638, 1646, 1701, 1710, 1718)
    },
    # "calc-time-unit" was added in QEMU 8.2
    ("qapi/migration.json", 2120): "Parameter 'calc-time-unit' is unexpected",
    # object-add took "props" before QEMU 6.0 typed its arguments
    ("qapi/misc.json", 1863): "Parameter 'props' is unexpected",
}


@pytest.fixture(scope="module")
def schema() -> Schema:
    return schemas.system()


def first(message: dict[str, Any], schema: Schema) -> str:
    problems = validate(message, schema)
    assert problems, message
    return str(problems[0])


def req(command: str, **args: Any) -> dict[str, Any]:
    return {"execute": command, "arguments": args}


#: (request, the first problem): QEMU's own wording (see the live test)
ROWS: list[tuple[dict[str, Any], str]] = [
    (
        {"execute": "query-stat"},
        "The command query-stat has not been found; did you mean 'query-stats' or "
        "'query-status'?",
    ),
    (
        req("device_del", devce="x"),
        "Parameter 'devce' is unexpected; did you mean 'id'?",
    ),
    (req("device_del"), "Parameter 'id' is missing"),
    (req("device_del", id=5), "Invalid parameter type for 'id', expected: string"),
    (
        req("blockdev-add", driver="qcow3", **{"node-name": "x"}),
        "Parameter 'driver' does not accept value 'qcow3'; did you mean 'qcow' or "
        "'qcow2'?",
    ),
    (
        req("blockdev-add", driver="qcow2", file={"driver": "file", "fillename": "x"}),
        "Parameter 'file.fillename' is unexpected; did you mean 'filename'?",
    ),
    (
        req("blockdev-add", driver="qcow2", file={"driver": "file"}),
        "Parameter 'file.filename' is missing",
    ),
    (
        req("blockdev-add", driver="qcow2", file=5),
        "Invalid parameter type for 'file', expected: object or string",
    ),
    (req("blockdev-add", **{"node-name": "x"}), "Parameter 'driver' is missing"),
    (
        req("transaction", actions=[{"type": "abort", "data": {"x": 1}}]),
        "Parameter 'actions[0].data.x' is unexpected",
    ),
    (
        req(
            "transaction",
            actions=[{"type": "block-dirty-bitmap-add", "data": {"node": "x"}}],
        ),
        "Parameter 'actions[0].data.name' is missing",
    ),
    (
        req(
            "transaction",
            actions=[
                {"type": "block-dirty-bitmap-add", "data": {"node": "x", "name": 3}}
            ],
        ),
        "Invalid parameter type for 'actions[0].data.name', expected: string",
    ),
    (
        req("transaction", actions="x"),
        "Invalid parameter type for 'actions', expected: array",
    ),
    (req("query-status", x=1), "Parameter 'x' is unexpected"),
    (
        {"execute": "query-status", "arguments": []},
        "QMP input member 'arguments' must be an object",
    ),
    (
        req("migrate-set-parameters", **{"tls-creds": 5}),
        "Invalid parameter type for 'tls-creds', expected: string or null",
    ),
    (
        req("migrate-set-parameters", **{"block-incremental": "yes"}),
        "Invalid parameter type for 'block-incremental', expected: boolean",
    ),
    (
        req(
            "migrate-set-capabilities",
            capabilities=[{"capability": "bad", "state": True}],
        ),
        "Parameter 'capabilities[0].capability' does not accept value 'bad'",
    ),
    (
        req("balloon", value=5.0),
        "Invalid parameter type for 'value', expected: integer",
    ),
    ({"exec-oob": "query-status"}, "The command query-status does not support OOB"),
    ({"execute": "query-status", "foo": 1}, "QMP input member 'foo' is unexpected"),
    (
        req(
            "object-add",
            **{"qom-type": "memory-backend-ram", "id": "m", "size": 1, "bogus": 1},
        ),
        "Parameter 'bogus' is unexpected",
    ),
    (
        req("netdev_add", type="user", id="n", bogus=1),
        "Parameter 'bogus' is unexpected",
    ),
    ({"execute": 5}, "QMP input member 'execute' must be a string"),
]


@pytest.mark.parametrize(("message", "expected"), ROWS)
def test_problems(schema: Schema, message: dict[str, Any], expected: str) -> None:
    assert first(message, schema) == expected


ACCEPTED = [
    {"execute": "query-status"},
    req("device_del", id="x"),
    # device_add passes unknown members to the device as properties
    req("device_add", driver="virtio-net-pci", id="n", mac="52:54:00:12:34:56"),
    req("migrate-set-parameters", **{"tls-creds": None, "max-bandwidth": -1}),
    req("qom-set", path="/machine", property="x", value={"a": [1, None]}),
    req(
        "blockdev-add",
        driver="qcow2",
        **{"node-name": "n"},
        file={"driver": "file", "filename": "/x"},
        backing=None,
    ),
    req("blockdev-add", driver="qcow2", **{"node-name": "n"}, file="node0"),
    {"exec-oob": "migrate-pause", "id": "p1"},
    # QEMU's number type takes integers too
    {"execute": "query-status", "id": {"any": "json"}},
]


@pytest.mark.parametrize("message", ACCEPTED)
def test_accepted(schema: Schema, message: dict[str, Any]) -> None:
    assert validate(message, schema) == []


def test_corpus_is_never_refused_unless_qemu_refuses_it(schema: Schema) -> None:
    """Every documented request of a command this QEMU has is accepted, but
    for the listed ones (newer or older QEMU's arguments)."""
    refused = {}
    checked = 0
    for example in corpus.examples():
        message = example["request"]
        if message is None:
            continue
        name = message.get("execute", message.get("exec-oob"))
        if name not in schema.commands:
            continue
        checked += 1
        problems = validate(message, schema)
        if problems:
            refused[(example["source"], example["line"])] = problems
    assert checked > 200
    assert set(refused) == set(EXPECTED_REFUSALS)
    for key, problems in refused.items():
        assert EXPECTED_REFUSALS[key] in [p.message for p in problems], key


def test_corpus_commands_missing_from_this_qemu_are_reported(schema: Schema) -> None:
    for message in corpus.requests():
        name = message.get("execute")
        if isinstance(name, str) and name not in schema.commands:
            assert first(message, schema).startswith(f"The command {name} has not")


def test_storage_daemon_has_its_own_commands() -> None:
    qsd = schemas.storage_daemon()
    assert first({"execute": "query-status"}, qsd).startswith(
        "The command query-status has not been found"
    )
    assert validate(req("query-block-exports"), qsd) == []


def test_check_request_is_one_line(schema: Schema) -> None:
    assert check_request({"execute": "query-status"}, schema) is None
    line = check_request(req("device_del", devce="x", other=1), schema)
    # "id is missing" goes without saying after "did you mean 'id'?"
    assert line == (
        "device_del: Parameter 'devce' is unexpected; did you mean 'id'? "
        "(and 1 more problem)"
    )
    line = check_request(req("device_del", a=1, b=2), schema)
    assert line == (
        "device_del: Parameter 'a' is unexpected; did you mean 'id'? "
        "(and 1 more problem)"
    )


def test_suggest() -> None:
    assert suggest("query-stauts", ["query-status", "quit"]) == ("query-status",)
    assert suggest("blockdev-ad", ["blockdev-add", "blockdev-del"]) == (
        "blockdev-add",
        "blockdev-del",
    )
    assert suggest("zzz", ["query-status"]) == ()
    # no close match, but the only name it starts
    assert suggest("query-cpu", ["query-cpus-fast", "quit"]) == ("query-cpus-fast",)


def test_suggest_ranks_a_transposition_first() -> None:
    # difflib alone puts query-stats first (a higher ratio); two adjacent
    # letters swapped is the likelier typo
    choices = ["query-stats", "query-status", "quit"]
    assert suggest("query-stauts", choices) == ("query-status", "query-stats")
    assert suggest("query-stauts", reversed(choices)) == ("query-status", "query-stats")
    # a short word's transposition is offered even below the cutoff
    assert suggest("ab", ["ba", "bb"]) == ("ba",)
    assert suggest("jbos", ["jobs", "job-cancel"]) == ("jobs",)
    # next to a transposition, only what difflib finds at least as close
    assert suggest("wiat", ["watch", "wait"]) == ("wait",)
    # nothing is a transposition of itself, nor of a word of another length
    assert suggest("stop", ["stop"]) == ("stop",)
    assert suggest("ab", ["bac"]) == ()
    # one swap only: two swaps is just a near miss
    assert suggest("badc", ["abcd"]) == ()


def test_an_unknown_command_suggests_builtins_too(schema: Schema) -> None:
    assert check_request({"execute": "jbos"}, schema, MODULES) == (
        "The command jbos has not been found; did you mean 'jobs'?"
    )
    assert check_request({"execute": "jbos"}, schema) == (
        "The command jbos has not been found"
    )
    problems = validate({"execute": "query-stauts"}, schema, MODULES)
    assert problems[0].suggestions == ("query-status", "query-stats")


@pytest.mark.parametrize(
    ("line", "unknown"),
    [
        ("wiat BLOCK_JOB_READY", "wiat"),
        ("hlep query-status", "hlep"),
        ("  jbos --follow", "jbos"),
        ("frobnicate x", "frobnicate"),
        ("frobnicate", "frobnicate"),
        # known: the parser's own message is the better one
        ("query-status x", None),
        ("device_del devce", None),
        ("wait BLOCK_JOB_READY", None),  # a built-in (never parsed in practice)
        # no command name to judge
        ('{"execute": "wiat" x}', None),
        ("transaction(\n wiat x\n)", None),
        ("x=1 y", None),
        ("", None),
    ],
)
def test_the_unknown_first_word_of_a_line(
    schema: Schema, line: str, unknown: str | None
) -> None:
    assert unknown_first_word(line, schema.commands, MODULES) == unknown
