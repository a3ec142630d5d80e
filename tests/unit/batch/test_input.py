"""Batch input lines: numbering, decoding, and a byte-order mark at the start."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from qmpsh.batch.input import Line, lines_from_bytes, lines_from_fd

BOM = "\ufeff".encode()


def collect(source: AsyncIterator[Line]) -> list[Line]:
    async def run() -> list[Line]:
        return [line async for line in source]

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("data", "texts"),
    [
        (BOM + b"query-name\n", ["query-name"]),
        (BOM + b"query-name\r\nquery-status\r\n", ["query-name", "query-status"]),
        (BOM + b"query-name", ["query-name"]),
        (BOM, [""]),
        # only at the start: further on it is the line's own text
        (b"a\n" + BOM + b"b\n", ["a", "\ufeffb"]),
        (BOM + BOM + b"x\n", ["\ufeffx"]),
    ],
)
def test_a_byte_order_mark_at_the_start_is_skipped(
    data: bytes, texts: list[str], tmp_path: Path
) -> None:
    assert [line.text for line in collect(lines_from_bytes(data, "f"))] == texts
    path = tmp_path / "script"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        got = collect(lines_from_fd(fd, "stdin"))
    finally:
        os.close(fd)
    assert [line.text for line in got] == texts
    assert [line.number for line in got] == list(range(1, len(texts) + 1))
    assert all(line.bad is None for line in got)


def test_a_byte_order_mark_through_a_pipe() -> None:
    read, write = os.pipe()
    os.write(write, BOM + b"query-name\nquery-status\n")
    os.close(write)
    try:
        got = collect(lines_from_fd(read, "stdin"))
    finally:
        os.close(read)
    assert [line.text for line in got] == ["query-name", "query-status"]


def test_bad_bytes_after_the_mark_keep_their_column() -> None:
    (line,) = collect(lines_from_bytes(BOM + b"query-\xff\n", "f"))
    assert line.bad == ("byte 0xff is not UTF-8", 7)
