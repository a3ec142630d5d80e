"""The on-disk schema cache."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from qmpsh.schema.cache import (
    SchemaCache,
    command_names,
    commands_digest,
    server_key,
)
from tests import schemas


def test_keys() -> None:
    greeting = schemas.captured()["greeting"]
    key = server_key(greeting)
    assert key is not None and len(key) == 16
    assert server_key({"QMP": {}}) is None and server_key(None) is None
    other = {"QMP": {"version": {**greeting["QMP"]["version"], "package": "x"}}}
    assert server_key(other) != key
    assert commands_digest(["b", "a"]) == commands_digest(["a", "b"])
    assert command_names({"return": [{"name": "a"}, {"name": "b"}]}) == ["a", "b"]
    assert command_names({"error": {}}) is None


def test_store_and_load(private_dirs: Path) -> None:
    cache = SchemaCache()
    assert str(cache.directory).startswith(str(private_dirs))
    data = schemas.captured()
    path = cache.store("s1", "d1", data["schema"], data["greeting"])
    assert path is not None and path.name == "s1-d1.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.directory.stat().st_mode) == 0o700
    loaded = cache.load(path)
    assert loaded is not None
    assert set(loaded.commands) == set(schemas.system().commands)
    assert cache.candidates("s1") == [path] and cache.candidates("s2") == []
    assert cache.digest_of(path) == "d1"
    assert not list(cache.directory.glob("*.tmp"))


def test_unreadable_files_are_misses(tmp_path: Path) -> None:
    cache = SchemaCache(tmp_path)
    bad = tmp_path / "s-d.json"
    bad.write_text("{not json")
    assert cache.load(bad) is None
    bad.write_text('{"format": 999, "schema": []}')
    assert cache.load(bad) is None
    assert cache.load(tmp_path / "missing.json") is None


def test_prune_keeps_the_most_recent(tmp_path: Path) -> None:
    cache = SchemaCache(tmp_path)
    for i in range(5):
        path = cache.store(f"s{i}", "d", [])
        assert path is not None
        os.utime(path, (1000 + i, 1000 + i))
    cache.prune(keep=2)
    assert sorted(p.name for p in tmp_path.glob("*.json")) == ["s3-d.json", "s4-d.json"]


def test_unwritable_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert SchemaCache(blocker / "sub").store("s", "d", []) is None


def test_the_index_is_written_and_pruned_with_its_schema(tmp_path: Path) -> None:
    tmp_path = tmp_path / "cache"
    cache = SchemaCache(tmp_path)
    data = schemas.captured()
    path = cache.store("s", "d", data["schema"])
    assert path is not None
    index = cache.index_of(path)
    assert index.name == "s-d.idx" and stat.S_IMODE(index.stat().st_mode) == 0o600
    # a schema cached without one (a disk that said no) gets it when loaded
    index.unlink()
    assert cache.load(path) is not None and index.exists()
    for i in range(3):
        other = cache.store(f"t{i}", "d", [])
        assert other is not None
        os.utime(other, (1000 + i, 1000 + i))
    os.utime(path, (2000, 2000))
    (tmp_path / "orphan-d.idx").write_bytes(b"")
    cache.prune(keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "s-d.idx",
        "s-d.json",
        "t2-d.idx",
        "t2-d.json",
    ]
