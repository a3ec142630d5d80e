"""The schema model, against schemas captured from the installed QEMU 7.2."""

from __future__ import annotations

from typing import Any

import pytest

from qmpsh.schema.model import (
    Alternate,
    Array,
    Builtin,
    Enum,
    Object,
    Schema,
    SchemaError,
)
from tests import schemas


@pytest.fixture(scope="module")
def schema() -> Schema:
    return schemas.system()


def test_commands_events_and_types(schema: Schema) -> None:
    assert {"query-status", "blockdev-add", "transaction", "qom-get"} <= set(
        schema.commands
    )
    assert {"SHUTDOWN", "BLOCK_JOB_COMPLETED", "DEVICE_DELETED"} <= set(schema.events)
    status = schema.commands["query-status"]
    returns = schema.type(status.ret_type)
    assert isinstance(returns, Object)
    assert [m.name for m in returns.members][:2] == ["running", "singlestep"]
    assert isinstance(schema.type("str"), Builtin)
    assert schema.type("no-such-type") is None


def test_features_and_oob(schema: Schema) -> None:
    assert "deprecated" in schema.commands["drive-backup"].features
    assert "unstable" in schema.commands["x-blockdev-change"].features
    assert schema.commands["query-status"].features == ()
    assert schema.commands["migrate-pause"].allow_oob
    assert not schema.commands["query-status"].allow_oob
    file_opts = schema.type_at("blockdev-add", ("file",), {"file": {"driver": "file"}})
    assert isinstance(file_opts, Alternate)
    args = schema.arguments("blockdev-add")
    assert args is not None
    member = schema.member(args, "file", {"driver": "qcow2"})
    assert member is not None and not member.optional
    node_name = schema.member(args, "node-name")
    assert node_name is not None and node_name.optional


def test_union_variant_selected_by_discriminator(schema: Schema) -> None:
    args = schema.arguments("blockdev-add")
    assert isinstance(args, Object) and args.tag == "driver"
    base = {m.name for m in schema.members(args)}
    qcow2 = {m.name for m in schema.members(args, {"driver": "qcow2"})}
    raw = {m.name for m in schema.members(args, {"driver": "raw"})}
    assert "node-name" in base and "lazy-refcounts" not in base
    assert {"lazy-refcounts", "data-file", "backing"} <= qcow2
    assert "lazy-refcounts" not in raw and {"offset", "size"} <= raw
    # an unknown driver selects nothing beyond the base
    assert {m.name for m in schema.members(args, {"driver": "nope"})} == base


ROWS: list[tuple[str, tuple[str | int, ...], dict[str, Any], str | None]] = [
    ("device_del", ("id",), {}, "str"),
    ("blockdev-add", ("driver",), {}, "enum"),
    ("blockdev-add", ("file",), {"driver": "qcow2"}, "object|str"),
    ("blockdev-add", ("file", "filename"), {"file": {"driver": "file"}}, "str"),
    ("blockdev-add", ("file", "aio"), {"file": {"driver": "file"}}, "enum"),
    # nested: the qcow2 file's own union (driver=file) selects its members
    ("blockdev-add", ("file", "locking"), {"file": {"driver": "nbd"}}, None),
    ("blockdev-add", ("cache", "direct"), {}, "bool"),
    ("blockdev-add", ("backing",), {"driver": "qcow2"}, "object|str|null"),
    ("blockdev-add", ("lazy-refcounts",), {"driver": "raw"}, None),
    ("blockdev-add", ("nosuch",), {}, None),
    ("query-status", ("x",), {}, None),
    ("nosuch-command", ("x",), {}, None),
    (
        "transaction",
        ("actions", 0, "data", "node"),
        {"actions": [{"type": "block-dirty-bitmap-add", "data": {}}]},
        "str",
    ),
    (
        "transaction",
        ("actions", 1, "data", "granularity"),
        {
            "actions": [
                {"type": "abort", "data": {}},
                {"type": "block-dirty-bitmap-add", "data": {}},
            ]
        },
        "int",
    ),
    (
        "transaction",
        ("actions", 0, "data", "x"),
        {"actions": [{"type": "abort"}]},
        None,
    ),
    ("transaction", ("properties", "completion-mode"), {}, "enum"),
    ("migrate-set-capabilities", ("capabilities",), {}, "[object]"),
    ("migrate-set-capabilities", ("capabilities", 0, "state"), {}, "bool"),
    ("migrate-set-parameters", ("tls-creds",), {}, "str|null"),
    ("qom-set", ("value",), {}, "any"),
    ("SHUTDOWN", ("reason",), {}, "enum"),
]


@pytest.mark.parametrize(("command", "path", "args", "expected"), ROWS)
def test_type_at(
    schema: Schema,
    command: str,
    path: tuple[str | int, ...],
    args: dict[str, Any],
    expected: str | None,
) -> None:
    found = schema.type_at(command, path, args)
    assert (schema.describe(found) if found is not None else None) == expected


def test_member_without_discriminator(schema: Schema) -> None:
    # every driver with a "filename" member has it as a string: known
    assert isinstance(schema.type_at("blockdev-add", ("filename",), {}), Builtin)
    # "user" is an int for one driver (nfs) and a string for others: unknown
    # until the driver is given
    assert schema.type_at("blockdev-add", ("user",), {}) is None
    user = schema.type_at("blockdev-add", ("user",), {"driver": "nfs"})
    assert schema.describe(user) == "int"
    assert schema.type_at("blockdev-add", ("no-member",), {}) is None


def test_describe_and_json_kind(schema: Schema) -> None:
    alt = schema.type_at("migrate-set-parameters", ("tls-creds",))
    assert isinstance(alt, Alternate)
    assert schema.json_kind(alt) == "string or null"
    assert schema.json_kind("int") == "integer"
    assert schema.json_kind("bool") == "boolean"
    arr = schema.type_at("migrate-set-capabilities", ("capabilities",))
    assert isinstance(arr, Array) and schema.json_kind(arr) == "array"
    enum = schema.type_at("blockdev-add", ("driver",))
    assert isinstance(enum, Enum) and "qcow2" in enum.values
    assert schema.json_kind(enum) == "string"


def test_deprecated_enum_values(schema: Schema) -> None:
    kinds = schema.type_at(
        "transaction", ("actions", 0, "type"), {"actions": [{"type": "abort"}]}
    )
    assert isinstance(kinds, Enum)
    assert "drive-backup" in kinds.deprecated and "abort" not in kinds.deprecated


def test_storage_daemon_schema_differs() -> None:
    qsd = schemas.storage_daemon()
    system = schemas.system()
    assert "block-export-add" in qsd.commands
    assert "query-status" not in qsd.commands and "device_add" not in qsd.commands
    assert len(qsd.commands) < len(system.commands)
    # the two greet the same way: why the cache keys on command names too
    assert (
        schemas.captured(schemas.STORAGE_DAEMON)["greeting"]
        == schemas.captured(schemas.SYSTEM)["greeting"]
    )


def test_malformed_input() -> None:
    with pytest.raises(SchemaError):
        Schema.from_json({"not": "a list"})
    schema = Schema.from_json(
        [
            "junk",
            {"name": "c", "meta-type": "command"},  # no arg-type: left out
            {"name": "f", "meta-type": "future-kind"},
            {"name": "0", "meta-type": "object", "members": []},
            {"name": "ok", "meta-type": "command", "arg-type": "0", "ret-type": "0"},
            {"name": "int", "meta-type": "builtin", "json-type": "int"},
            {"name": "[int]", "meta-type": "array", "element-type": "int"},
        ]
    )
    assert set(schema.commands) == {"ok"}
    assert schema.describe("[int]") == "[int]"
    assert schema.type_at("ok", ("x",)) is None


def test_recursive_union_does_not_loop(schema: Schema) -> None:
    # BlockdevRef contains BlockdevOptions, which contains BlockdevRef...
    path: tuple[str, ...] = ("file",) * 30 + ("driver",)
    args: dict[str, Any] = {}
    node = args
    for _ in range(30):
        node["file"] = {"driver": "raw"}
        node = node["file"]
    found = schema.type_at("blockdev-add", path, args)
    assert isinstance(found, Enum)
