"""The toolbar signature of the command being typed."""

from __future__ import annotations

import pytest

from qmpsh.schema.model import Schema
from qmpsh.schema.signature import fragments, signature
from tests import schemas


@pytest.fixture(scope="module")
def schema() -> Schema:
    return schemas.system()


def test_signature_marks_the_current_argument(schema: Schema) -> None:
    sig = signature(schema, "device_del i")
    assert sig is not None and sig.command == "device_del"
    assert [(p.name, p.type, p.optional, p.current) for p in sig.params] == [
        ("id", "str", False, True)
    ]
    value = signature(schema, "block-dirty-bitmap-add node=n name=")
    assert value is not None and value.current is not None
    assert value.current.name == "name"
    # node is given; name is being typed
    assert [p.given for p in value.params][:2] == [True, False]


def test_signature_follows_the_variant_and_the_level(schema: Schema) -> None:
    sig = signature(schema, "blockdev-add driver=qcow2 file.driver=file file.filena")
    assert sig is not None and sig.path == "file"
    assert sig.current is not None and sig.current.name == "filename"
    names = [p.name for p in sig.params]
    assert "aio" in names and "lazy-refcounts" not in names
    top = signature(schema, "blockdev-add driver=qcow2 ")
    assert top is not None and "lazy-refcounts" in [p.name for p in top.params]
    assert top.current is None


def test_signature_in_a_transaction(schema: Schema) -> None:
    sig = signature(schema, "transaction(\n  block-dirty-bitmap-add node=x gra")
    assert sig is not None
    assert sig.command == "block-dirty-bitmap-add" and sig.path == ""
    assert sig.current is not None and sig.current.name == "granularity"


def test_no_signature(schema: Schema) -> None:
    assert signature(schema, "query-sta") is None
    assert signature(schema, "nosuch x=") is None
    assert signature(schema, '{"execute": "query-status"') is None
    assert signature(schema, "query-status") is not None  # a whole command name


def test_fragments(schema: Schema) -> None:
    sig = signature(schema, "block-dirty-bitmap-add node=n na")
    assert sig is not None
    parts = fragments(sig)
    assert parts[0] == ("class:signature.command", "block-dirty-bitmap-add")
    assert ("class:signature.given", "node=str") in parts
    assert ("class:signature.current", "name=str") in parts
    assert ("class:signature.optional", "[granularity=int]") in parts


def test_fragments_fit_the_width_around_the_current(schema: Schema) -> None:
    sig = signature(schema, "blockdev-add driver=qcow2 data-fi")
    assert sig is not None
    parts = fragments(sig, width=60)
    text = "".join(t for _, t in parts)
    assert len(text) <= 60
    assert ("class:signature.current", "[data-file=object|str]") in parts
    assert "..." in text
    start = signature(schema, "blockdev-add dri")
    assert start is not None
    text = "".join(t for _, t in fragments(start, width=60))
    assert text.startswith("blockdev-add  driver=enum  [node-name=str]")
    assert text.endswith("...") and len(text) <= 60
