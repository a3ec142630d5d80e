"""Batch input lines: numbering, decoding, and a byte-order mark at the start."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from qmpsh.batch.input import (
    Line,
    lines_from,
    lines_from_bytes,
    lines_from_fd,
    open_input,
)

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


# -- bounded lines -------------------------------------------------------------


def _from_file(tmp_path: Path, data: bytes, limit: int) -> list[Line]:
    path = tmp_path / "input"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        return collect(lines_from_fd(fd, "f", limit))
    finally:
        os.close(fd)


@pytest.mark.parametrize("newline", [b"", b"\n"])
def test_a_line_longer_than_the_limit_ends_the_input(
    tmp_path: Path, newline: bytes
) -> None:
    data = b"query-status\n" + b"x" * 5000 + newline + b"query-version\n"
    lines = _from_file(tmp_path, data, 4096)
    assert [line.text for line in lines] == ["query-status", ""]
    assert lines[1].number == 2
    assert lines[1].bad == (
        "the line is longer than 4096 bytes (--line-limit); the rest of f is not read",
        1,
    )


def test_a_line_at_the_limit_is_read(tmp_path: Path) -> None:
    lines = _from_file(tmp_path, b"y" * 4096 + b"\nz", 4096)
    assert [(len(line.text), line.bad) for line in lines] == [(4096, None), (1, None)]


def test_a_long_line_across_many_chunks_costs_one_copy(tmp_path: Path) -> None:
    """A 24 MiB line arriving in 64 KiB chunks through a pipe: kept once in
    a growing buffer (the old way re-split it at every chunk)."""
    read_end, write_end = os.pipe()
    size = 24 << 20

    async def run() -> list[Line]:
        loop = asyncio.get_running_loop()

        def feed() -> None:
            with os.fdopen(write_end, "wb") as out:
                out.write(b"q" * size + b"\n")

        writer = loop.run_in_executor(None, feed)
        got = [line async for line in lines_from_fd(read_end, "stdin", 32 << 20)]
        await writer
        return got

    try:
        lines = asyncio.run(run())
    finally:
        os.close(read_end)
    assert [len(line.text) for line in lines] == [size]


def test_c_lines_have_the_limit_too() -> None:
    lines = collect(lines_from(["query-status\n" + "x" * 2000], "-c", 0, 1024))
    assert lines[0].bad is None
    assert lines[1].bad == ("the line is longer than 1024 bytes (--line-limit)", 1)


def test_a_fifo_is_opened_without_blocking(tmp_path: Path) -> None:
    """No writer yet: open() returns at once (reading waits, where a signal
    can stop it)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    fd = open_input(str(fifo))
    try:
        assert not os.get_blocking(fd)
    finally:
        os.close(fd)
    regular = tmp_path / "script"
    regular.write_text("query-status\n")
    fd = open_input(str(regular))
    try:
        assert os.get_blocking(fd)
    finally:
        os.close(fd)
