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

#: the longest line by default (``--line-limit``): the settings' default
LINE_LIMIT = 16 * 1024 * 1024


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
    texts: Iterable[str], source: str, numbered: int = 0, limit: int = LINE_LIMIT
) -> AsyncIterator[Line]:
    """The lines of *texts* (``-c`` values), numbered on from *numbered*; a
    line longer than *limit* bytes comes with its problem instead."""
    number = numbered
    for text in texts:
        for part in text.split("\n"):
            number += 1
            if len(part) > limit // 4 and len(part.encode()) > limit:
                yield _too_long(source, number, limit, rest=False)
                continue
            yield Line(source, number, part)


async def lines_from_fd(
    fd: int, source: str, limit: int = LINE_LIMIT, waiting: str = ""
) -> AsyncIterator[Line]:
    """Lines from a file descriptor, read in large chunks, decoded strictly.

    Linear in the input: each chunk is searched once for line ends.  A line
    longer than *limit* bytes is the last: it comes as a `Line` whose
    problem says so, and the rest of *fd* is not read (where it ends may be
    never, as with /dev/zero).  *waiting*: what to say on a terminal when a
    FIFO has no writer yet (see `_chunks`).
    """
    number = 0
    partial = bytearray()
    async for chunk in _chunks(fd, waiting):
        start = 0
        view = memoryview(chunk)
        while True:
            end = chunk.find(b"\n", start)
            piece = view[start:] if end < 0 else view[start:end]
            if len(partial) + len(piece) > limit:
                yield _too_long(source, number + 1, limit)
                return
            try:
                partial += piece
            except MemoryError:  # a --line-limit larger than memory allows
                size = len(partial)
                partial = bytearray()
                said = (
                    f"out of memory after {size} bytes of one line (lower "
                    f"--line-limit); the rest of {source} is not read"
                )
                yield Line(source, number + 1, "", (said, 1))
                return
            if end < 0:
                break
            number += 1
            raw = bytes(partial)
            partial.clear()
            yield _decode(_skip_bom(raw) if number == 1 else raw, source, number)
            start = end + 1
    if partial:
        raw = bytes(partial)
        yield _decode(_skip_bom(raw) if not number else raw, source, number + 1)


def _too_long(source: str, number: int, limit: int, rest: bool = True) -> Line:
    """The `Line` that stands for one longer than *limit* bytes (*rest*: the
    rest of *source* is not read)."""
    said = f"the line is longer than {limit} bytes (--line-limit)"
    if rest:
        said += f"; the rest of {source} is not read"
    return Line(source, number, "", (said, 1))


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


async def _chunks(fd: int, waiting: str = "") -> AsyncIterator[bytes]:
    """The bytes of *fd* as they come, giving the event loop a turn after
    each chunk (so that SIGTERM, SIGINT and SIGHUP are acted on however
    fast the input pours in: ``< /dev/zero``)."""
    mode = os.fstat(fd).st_mode
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 20)
        pipe = os.fdopen(os.dup(fd), "rb", buffering=0)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), pipe
        )
        try:
            first = asyncio.ensure_future(reader.read(1 << 16))
            if waiting:
                done, _ = await asyncio.wait([first], timeout=0.5)
                if not done:
                    _say(waiting)
            chunk = await first
            while chunk:
                yield chunk
                chunk = await reader.read(1 << 16)
        finally:
            transport.close()
    elif stat.S_ISCHR(mode):
        # a terminal (stdout redirected): wait for each line without blocking
        # the loop, so that the reply to a line prints before the next one
        # is typed.  A pipe's way would make the terminal non-blocking for
        # the shell too.  (/dev/zero too: always readable.)
        while True:
            await _readable(fd)
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return
            yield chunk
            await asyncio.sleep(0)
    else:
        while chunk := os.read(fd, 1 << 16):
            yield chunk
            await asyncio.sleep(0)


def _say(text: str) -> None:
    """One line on stderr, when it is a terminal (a person waits)."""
    import sys

    from qmpsh.core.output import say

    if sys.stderr.isatty():
        say(text)


def open_input(path: str) -> int:
    """A descriptor reading *path* (for ``-f``), opened without blocking:
    a FIFO with no writer yet is waited for while reading, where a signal
    can stop the wait (a blocking ``open`` could not be interrupted).
    Raises OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    if not stat.S_ISFIFO(os.fstat(fd).st_mode):
        os.set_blocking(fd, True)
    return fd


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
