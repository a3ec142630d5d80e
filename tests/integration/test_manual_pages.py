"""The QMP reference pages installed with QEMU, parsed: what help relies on.

Every page is read at run time (tests/manpages.py); nothing of it is kept
here but a few words checked for."""

from __future__ import annotations

import dataclasses
import json
import random
import re

import pytest

from qmpsh.schema.manual.lazy import EntryIndex
from qmpsh.schema.manual.model import ServerKind
from qmpsh.schema.manual.parse import parse_reference
from qmpsh.schema.manual.scope import entry_scope, scope_at
from qmpsh.schema.manual.view import Manual
from tests import manpages

KINDS = manpages.KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_each_page_parses_with_its_version_and_kind(kind: ServerKind) -> None:
    ref = manpages.reference(kind)
    assert ref.kind == kind
    assert ref.version is not None and re.fullmatch(r"\d+\.\d+(\.\d+)*", ref.version)
    assert len([n for n, e in ref.entries.items() if e.kind == "command"]) >= 20
    kinds = {e.kind for e in ref.entries.values()}
    assert "other" not in kinds
    for entry in ref.entries.values():  # no entry swallowed by the one before
        for title, _ in entry.sections:
            assert not re.search(r"\((Command|Event|Object|Enum|Alternate)\)$", title)


@pytest.mark.parametrize("kind", KINDS)
def test_one_entry_at_a_time_equals_the_whole_page(kind: ServerKind) -> None:
    ref = manpages.reference(kind)
    path = manpages.need_page(kind)
    index = EntryIndex(manpages.page_text(kind), path.name.split(".", 1)[0])
    assert index.names() == list(ref.entries)
    lazy = Manual.from_index(index)
    assert (lazy.kind, lazy.version, lazy.title) == (ref.kind, ref.version, ref.title)
    for name, entry in ref.entries.items():
        assert lazy.get(name) == dataclasses.replace(entry, chapter=None), name
    cached = Manual.from_cache(json.loads(json.dumps(lazy.to_cache())))
    assert cached is not None
    assert list(cached.entries()) == list(lazy.entries())


def test_what_help_block_commit_needs() -> None:
    ref = manpages.reference("qemu")
    commit = ref.entries["block-commit"]
    top = next(m for m in commit.members if m.name == "top-node")
    assert (top.type_text, top.optional) == ("string", True)
    assert "topmost" in top.text
    assert "block-job-complete" in commit.description
    assert commit.since and re.fullmatch(r"\d+\.\d+", commit.since)
    assert commit.deprecated is not None and "top-node" in commit.deprecated
    assert commit.examples[0].messages[0].direction == "->"
    for page in ("qemu", "storage-daemon"):
        completed = manpages.reference(page).entries["BLOCK_JOB_COMPLETED"]
        error = next(m for m in completed.members if m.name == "error")
        assert error.optional and error.type_text == "string" and len(error.text) > 20


def test_types_unions_and_values_followed() -> None:
    manual = manpages.manual("qemu")
    sync = entry_scope(manual, "drive-backup").values("sync")
    assert sync[0] == "MirrorSyncMode"
    assert {"top", "full", "none", "incremental", "bitmap"} <= set(sync[1])
    args = {"driver": "qcow2", "file": {"driver": "file"}}
    qcow2 = scope_at(manual, "blockdev-add", [], args)
    assert {"node-name", "lazy-refcounts", "file"} <= set(qcow2.docs)
    file = scope_at(manual, "blockdev-add", ["file"], args)
    assert {"filename", "aio"} <= set(file.docs)
    action = scope_at(
        manual,
        "transaction",
        ["actions", 0, "data"],
        {"actions": [{"type": "blockdev-snapshot-sync", "data": {}}]},
    )
    assert {"device", "snapshot-file"} <= set(action.docs)
    empty = [e.name for e in manual.entries() if e.kind == "enum" and not e.members]
    assert empty == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_truncated_page_still_parses(kind: ServerKind) -> None:
    text = manpages.page_text(kind)
    full = len(manpages.reference(kind).entries)
    rng = random.Random(17)
    for cut in sorted(rng.randrange(len(text)) for _ in range(12)):
        assert len(parse_reference(text[:cut]).entries) <= full
        assert len(EntryIndex(text[:cut]).names()) <= full
