"""Type-aware values: bare words converted by the type at their path."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from qmpsh.lang.parser import Request, parse
from qmpsh.lang.unparse import to_shorthand
from qmpsh.schema.model import Alternate, Builtin, Schema
from qmpsh.schema.typer import (
    NO_MATCH,
    bare_value,
    parse_int,
    property_typer,
    property_types,
    property_value,
    schema_typer,
)
from tests import corpus, schemas


@pytest.fixture(scope="module")
def schema() -> Schema:
    return schemas.system()


def args_of(text: str, schema: Schema | None) -> Any:
    typer = schema_typer(lambda: schema)
    result = parse(text, typer)
    assert isinstance(result, Request), result
    return result.message.get("arguments")


def same(a: Any, b: Any) -> bool:
    """Equal as JSON (so 1 and 1.0, 1 and True, "1" and 1 all differ)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


ROWS: list[tuple[str, dict[str, Any]]] = [
    # strings stay strings, whatever they look like
    ("device_del id=007", {"id": "007"}),
    ("device_del id=42", {"id": "42"}),
    ("device_del id=true", {"id": "true"}),
    ("device_del id=null", {"id": "null"}),
    ("qom-get path=/machine property=1.5", {"path": "/machine", "property": "1.5"}),
    # integers: decimal, leading zeros, hex, sizes
    ("block_resize node-name=n size=1048576", {"node-name": "n", "size": 1048576}),
    ("block_resize node-name=n size=010", {"node-name": "n", "size": 10}),
    ("block_resize node-name=n size=0x1000", {"node-name": "n", "size": 4096}),
    ("block_resize node-name=n size=1M", {"node-name": "n", "size": 1 << 20}),
    ("block_resize node-name=n size=2g", {"node-name": "n", "size": 2 << 30}),
    ("block_resize node-name=n size=64KiB", {"node-name": "n", "size": 64 << 10}),
    ("block_resize node-name=n size=64KB", {"node-name": "n", "size": 64 << 10}),
    ("block_resize node-name=n size=1.5K", {"node-name": "n", "size": 1536}),
    # not a whole number of bytes: left to the schema-less rules (a string)
    ("block_resize node-name=n size=1.3K", {"node-name": "n", "size": "1.3K"}),
    ("block_resize node-name=n size=big", {"node-name": "n", "size": "big"}),
    ("block_resize node-name=n size=2.5", {"node-name": "n", "size": 2.5}),
    # booleans only where the type is bool
    ("migrate-set-parameters block-incremental=TRUE", {"block-incremental": True}),
    ("migrate-set-parameters block-incremental=yes", {"block-incremental": "yes"}),
    # enums are strings, even when they look like something else
    (
        "blockdev-add driver=null-co node-name=1",
        {"driver": "null-co", "node-name": "1"},
    ),
    # alternates: a typed member first (schema order), else the string
    ("migrate-set-parameters tls-creds=null", {"tls-creds": None}),
    ('migrate-set-parameters tls-creds="null"', {"tls-creds": "null"}),
    ("migrate-set-parameters tls-creds=007", {"tls-creds": "007"}),
    (
        "blockdev-add driver=qcow2 node-name=n file=1 backing=null",
        {"driver": "qcow2", "node-name": "n", "file": "1", "backing": None},
    ),
    # "any" keeps the schema-less rules
    (
        "qom-set path=/m property=p value=42",
        {"path": "/m", "property": "p", "value": 42},
    ),
    (
        "qom-set path=/m property=p value=True",
        {"path": "/m", "property": "p", "value": True},
    ),
    # nested, by the variant the discriminator selects
    (
        "blockdev-add driver=qcow2 node-name=n file.driver=file file.filename=007"
        " cache-size=1M",
        {
            "driver": "qcow2",
            "node-name": "n",
            "file": {"driver": "file", "filename": "007"},
            "cache-size": 1 << 20,
        },
    ),
    # unknown commands and members: the schema-less rules
    ("no-such-command n=42 s=007", {"n": 42, "s": "007"}),
    ("device_del id=x extra=42", {"id": "x", "extra": 42}),
]


@pytest.mark.parametrize(("text", "expected"), ROWS)
def test_values(schema: Schema, text: str, expected: dict[str, Any]) -> None:
    assert same(args_of(text, schema), expected)


def test_transaction_actions_are_typed(schema: Schema) -> None:
    text = (
        "transaction(\n"
        "  block-dirty-bitmap-add node=007 name=1 granularity=64K persistent=true\n"
        "  abort\n"
        ") completion-mode=grouped"
    )
    assert same(
        args_of(text, schema),
        {
            "actions": [
                {
                    "type": "block-dirty-bitmap-add",
                    "data": {
                        "node": "007",
                        "name": "1",
                        "granularity": 65536,
                        "persistent": True,
                    },
                },
                {"type": "abort", "data": {}},
            ],
            "properties": {"completion-mode": "grouped"},
        },
    )


def test_without_schema_the_foundation_rules_apply() -> None:
    assert same(args_of("device_del id=42", None), {"id": 42})
    assert same(args_of("device_del id=007", None), {"id": "007"})
    assert same(
        args_of("block_resize node-name=n size=1M", None),
        {"node-name": "n", "size": "1M"},
    )


def test_number_and_alternate_members(schema: Schema) -> None:
    number = Builtin("number", "number")
    assert same(bare_value(schema, number, "1.5"), 1.5)
    assert same(bare_value(schema, number, "007"), 7)
    assert same(bare_value(schema, number, "1e3"), 1000.0)
    assert bare_value(schema, number, "x") == "x"
    # int|bool|[int]: the first member the word spells
    mixed = Alternate("alt", ("int", "bool"))
    assert same(bare_value(schema, mixed, "5"), 5)
    assert same(bare_value(schema, mixed, "false"), False)
    assert bare_value(schema, mixed, "x") == "x"


def test_parse_int() -> None:
    assert parse_int("-5") == -5
    assert parse_int("1E") == 1 << 60
    assert parse_int("0x") is None
    assert parse_int("1.25k") == 1280
    assert parse_int("k") is None


def test_corpus_round_trips_through_the_typer(schema: Schema) -> None:
    """Every documented request of a command this QEMU has comes back from its
    shorthand unchanged when typed by the schema."""
    typer = schema_typer(schema)
    checked = 0
    for request in corpus.requests():
        if request.get("execute") not in schema.commands:
            continue
        result = parse(to_shorthand(request), typer)
        assert isinstance(result, Request)
        assert same(result.message, request), to_shorthand(request)
        checked += 1
    assert checked > 200


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("str", "123", "123"),
        ("string", "true", "true"),
        ("link<iothread>", "007", "007"),
        ("bool", "FALSE", False),
        ("bool", "on", NO_MATCH),
        ("uint16", "4", 4),
        ("int32", "-1", -1),
        ("size", "4K", 4096),
        ("uint64", "0x10", 16),
        ("uint32", "many", NO_MATCH),
        ("OnOffAuto", "on", NO_MATCH),
    ],
)
def test_property_values(kind: str, text: str, value: object) -> None:
    assert property_value(kind, text) == value


def test_property_typer_types_what_the_schema_does_not() -> None:
    reply = {
        "return": [
            {"name": "serial", "type": "str"},
            {"name": "scsi", "type": "bool"},
            {"name": "discard_granularity", "type": "size"},
            {"name": 3, "type": "str"},
        ]
    }
    kinds = property_types(reply)
    assert kinds == {"serial": "str", "scsi": "bool", "discard_granularity": "size"}
    assert property_types({"error": {"class": "GenericError"}}) == {}

    def known(command: str, args: Mapping[str, Any]) -> Mapping[str, str] | None:
        return kinds if args.get("driver") == "virtio-blk-pci" else None

    typer = property_typer(schema_typer(schemas.system()), known)
    line = "device_add driver=virtio-blk-pci id=007 serial=123 scsi=false "
    request = parse(line + "discard_granularity=4K other=007 n=5", typer)
    assert isinstance(request, Request)
    assert request.message["arguments"] == {
        "driver": "virtio-blk-pci",
        "id": "007",
        "serial": "123",
        "scsi": False,
        "discard_granularity": 4096,
        "other": "007",
        "n": 5,
    }
    # another driver, properties not known yet: the schema-less rules
    other = parse("device_add driver=e1000 serial=123", typer)
    assert isinstance(other, Request)
    assert other.message["arguments"]["serial"] == 123
