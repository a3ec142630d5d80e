"""The per-command index of a cached schema: a command's types read alone
type and check its requests exactly as the whole schema does."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from qmpsh.lang.parser import PathT, Request, parse
from qmpsh.lang.unparse import to_shorthand
from qmpsh.schema.index import Index, build_index
from qmpsh.schema.model import Schema
from qmpsh.schema.typer import schema_typer
from qmpsh.schema.validate import check_request
from tests import corpus, schemas


def index_of(tmp_path: Path, data: dict[str, Any]) -> Index:
    path = tmp_path / "s-d.idx"
    path.write_bytes(build_index(data["schema"]))
    index = Index.read(str(path))
    assert index is not None
    return index


@pytest.mark.parametrize("which", [schemas.SYSTEM, schemas.STORAGE_DAEMON])
def test_every_command_and_event_is_named_with_no_types_read(
    tmp_path: Path, which: Path
) -> None:
    full = Schema.from_json(schemas.captured(which)["schema"])
    index = index_of(tmp_path, schemas.captured(which))
    assert index.schema.commands == full.commands
    assert index.schema.events == full.events
    assert index.schema.types == {}


def test_a_command_reads_only_its_types(tmp_path: Path) -> None:
    index = index_of(tmp_path, schemas.captured())
    index.need("qom-get")
    names = {t.name for t in index.schema.types.values()}
    full = schemas.system()
    arg = full.arguments("qom-get")
    assert arg is not None and arg.name in names
    assert {"str"} <= names and len(names) == 2  # the object, and str
    index.need("qom-get")  # once
    index.need("no-such-command")  # nothing, no error
    assert len(index.schema.types) == 2
    index.need("blockdev-add")
    args = {"driver": "qcow2", "file": {"driver": "file"}}
    where = ("file", "filename")
    assert full.type_at("blockdev-add", where, args) is not None
    assert index.schema.type_at("blockdev-add", where, args) == full.type_at(
        "blockdev-add", where, args
    )


def test_the_corpus_is_typed_and_checked_as_by_the_whole_schema(
    tmp_path: Path,
) -> None:
    """Every documented request, as shorthand: each one typed by a fresh
    index (its command's types alone) and checked, against the whole schema."""
    data = schemas.captured()
    full = schemas.system()
    path = tmp_path / "s-d.idx"
    path.write_bytes(build_index(data["schema"]))
    compared = 0
    for message in corpus.requests():
        text = to_shorthand(message)
        index = Index.read(str(path))
        assert index is not None

        def typer(
            command: str,
            path: PathT,
            text: str,
            args: Mapping[str, Any],
            index: Index = index,
        ) -> Any:
            index.need(command)
            return schema_typer(index.schema)(command, path, text, args)

        by_index = parse(text, typer)
        by_full = parse(text, schema_typer(full))
        assert by_index == by_full, text
        if isinstance(by_full, Request):
            index.need(by_full.command)
            assert check_request(by_full.message, index.schema) == check_request(
                by_full.message, full
            ), text
            compared += 1
    assert compared > 200


@pytest.mark.parametrize(
    "line",
    [
        "qom-get path=/machine propery=type",
        "qom-gte path=/machine property=type",
        "blockdev-add driver=file node-name=n filename=/x aio=fast",
        "device_add id=d0 bus=pci.0",
        "transaction( blockdev-snapshot-sync device=d snapshot-file=/s mode=weird )",
        "migrate-set-capabilities capabilities=[{}]",
    ],
)
def test_refusals_read_the_same(tmp_path: Path, line: str) -> None:
    full = schemas.system()
    index = index_of(tmp_path, schemas.captured())
    request = parse(line, schema_typer(full))
    assert isinstance(request, Request)
    index.need(request.command)
    said = check_request(request.message, index.schema, ["jobs"])
    assert said is not None
    assert said == check_request(request.message, full, ["jobs"])


def test_identical_closures_are_stored_once() -> None:
    data = build_index(schemas.captured()["schema"])
    header = json.loads(data.split(b"\n", 1)[0])
    spans = {tuple(span) for span in header["at"].values()}
    assert len(spans) < len(header["at"])  # commands without arguments share one
    assert header["size"] == len(data.split(b"\n", 1)[1])


def test_a_damaged_index_is_not_read(tmp_path: Path) -> None:
    data = build_index(schemas.captured()["schema"])
    path = tmp_path / "s-d.idx"
    for bad in (data[:-10], data[:100], b"{not json\n", b'{"format": 99}\n', b""):
        path.write_bytes(bad)
        assert Index.read(str(path)) is None
    assert Index.read(str(tmp_path / "missing.idx")) is None


def test_a_closure_that_cannot_be_read_leaves_the_command_untyped(
    tmp_path: Path,
) -> None:
    index = index_of(tmp_path, schemas.captured())
    Path(index.path).unlink()
    index.need("qom-get")
    assert index.schema.types == {}
    # then typed as without a schema, and not refused for it
    request = Request({"execute": "qom-get", "arguments": {"path": "/m"}})
    assert check_request(request.message, index.schema) is None
