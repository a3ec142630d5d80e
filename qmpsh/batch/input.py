"""Batch input: numbered lines from ``-c`` texts, a ``-f`` file or stdin.

A UTF-8 byte-order mark at the start of stdin or a file is skipped.
Bytes are decoded strictly: a line that is not UTF-8 keeps its place and
carries the problem (and its column) for the runner to report, so that no
line is lost or renumbered.  A pipe or socket is read without blocking the
event loop, a terminal line by line, anything else in large chunks.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator, Iterable
from typing import NamedTuple

#: the UTF-8 byte-order mark, skipped at the start of a script
BOM = b"\xef\xbb\xbf"


class Line(NamedTuple):
    source: str
    number: int
    text: str
    #: a decoding problem: (message, column), when the bytes were not UTF-8
    bad: tuple[str, int] | None = None

    @property
    def where(self) -> str:
        return f"{self.source}:{self.number}"


async def lines_from(
    texts: Iterable[str], source: str, numbered: int = 0
) -> AsyncIterator[Line]:
    """The lines of *texts* (``-c`` values), numbered on from *numbered*."""
    number = numbered
    for text in texts:
        for part in text.split("\n"):
            number += 1
            yield Line(source, number, part)


async def lines_from_fd(fd: int, source: str) -> AsyncIterator[Line]:
    """Lines from a file descriptor, read in large chunks, decoded strictly."""
    number = 0
    pending = b""
    async for chunk in _chunks(fd):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            number += 1
            yield _decode(_skip_bom(raw) if number == 1 else raw, source, number)
    if pending:
        yield _decode(_skip_bom(pending) if not number else pending, source, number + 1)


async def lines_from_bytes(data: bytes, source: str) -> AsyncIterator[Line]:
    raws = data.split(b"\n")
    if raws and not raws[-1]:
        raws.pop()
    for number, raw in enumerate(raws, 1):
        yield _decode(_skip_bom(raw) if number == 1 else raw, source, number)


def _skip_bom(raw: bytes) -> bytes:
    """The first line without a UTF-8 byte-order mark (editors on Windows
    start files with one; it is not part of the first command)."""
    return raw.removeprefix(BOM)


def _decode(raw: bytes, source: str, number: int) -> Line:
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    try:
        return Line(source, number, raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        text = raw.decode("utf-8", "replace")
        column = len(raw[: err.start].decode("utf-8", "replace")) + 1
        return Line(
            source, number, text, (f"byte 0x{raw[err.start]:02x} is not UTF-8", column)
        )


async def _chunks(fd: int) -> AsyncIterator[bytes]:
    mode = os.fstat(fd).st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 20)
        pipe = os.fdopen(os.dup(fd), "rb", buffering=0)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), pipe
        )
        try:
            while chunk := await reader.read(1 << 16):
                yield chunk
        finally:
            transport.close()
    elif stat.S_ISCHR(mode):
        # a terminal (stdout redirected): wait for each line without blocking
        # the loop, so that the reply to a line prints before the next one
        # is typed.  A pipe's way would make the terminal non-blocking for
        # the shell too.
        while True:
            await _readable(fd)
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return
            yield chunk
    else:
        while chunk := os.read(fd, 1 << 16):
            yield chunk


async def _readable(fd: int) -> None:
    """Wait until reading *fd* will not block (at once for a device that
    cannot be watched, such as /dev/null)."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    try:
        loop.add_reader(fd, wake)
    except OSError:  # epoll refuses it: reading it does not block
        return
    try:
        await ready
    finally:
        loop.remove_reader(fd)
