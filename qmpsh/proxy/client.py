"""One client of the proxy: its own greeting and negotiation, its
requests sent on (or answered here), its replies in the order asked.

Replies go back in the order of the requests, as QEMU sends them: each
request takes a `Slot` in line, filled by the proxy's own answer at once or
by the server's reply later, and written out once every slot before it
is.  Events are written as they come (to a client that has negotiated).

A client that misbehaves harms only itself: input that is no JSON gets an
error reply (as QEMU gives it); one message longer than the read limit,
or a client that does not read what it is sent (more than `WRITE_LIMIT`
waiting), is dropped; a client that sends faster than the server answers
is read no further while `MAX_INFLIGHT` of its requests are unanswered.
A client that ends its input (``printf ... | socat``: a half-close) still
gets the replies to what it sent, then is hung up on; a reply that comes
after its client went away is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qmpsh.core.errors import QmpshError
from qmpsh.lang.redact import shown
from qmpsh.proxy import answers
from qmpsh.proxy.framing import UNPARSED, Chunk, Splitter, TooLong

if TYPE_CHECKING:
    from qmpsh.proxy.clientlog import ClientLog
    from qmpsh.proxy.spec import ListenSpec
    from qmpsh.proxy.upstream import Upstream

#: unanswered requests of one client before the proxy stops reading it
MAX_INFLIGHT = 256
#: bytes waiting to be written to a client before it is dropped, as a
#: multiple of the read limit
WRITE_LIMIT_FACTOR = 4
#: how long a client dropped for too long a message may still send
HANG_UP_SECONDS = 2.0


class Slot:
    """A reply's place in line: None until it is known."""

    __slots__ = ("data",)

    def __init__(self, data: bytes | None = None) -> None:
        self.data = data


class Client:
    def __init__(
        self,
        label: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        spec: ListenSpec,
        *,
        read_limit: int,
        verbose: bool,
        redact: bool,
        say: Callable[[str], None],
        log: ClientLog | None = None,
    ) -> None:
        self.label = label
        #: its lines in the wire log (-l), or None
        self.log = log
        self.reader = reader
        self.writer = writer
        self.spec = spec
        self.verbose = verbose
        self.redact = redact
        self.say = say
        self.read_limit = read_limit
        self.negotiated = False
        self.closed = False
        self._slots: deque[Slot] = deque()
        self._inflight = 0
        self._room = asyncio.Event()
        self._room.set()
        #: set when no reply is left to write
        self._all_replied = asyncio.Event()
        self._splitter = Splitter(read_limit)
        self._write_limit = WRITE_LIMIT_FACTOR * read_limit
        self._out: list[bytes] = []

    def note(self, text: str, echo: bool = False) -> None:
        """A -v line about this client, and a note in the wire log (not
        for *echo*, the request itself, which the log has as it came)."""
        if self.verbose:
            self.say(f"{self.label}: {text}")
        if self.log is not None and not echo:
            self.log.note(text)

    def _dropped(self, why: str) -> None:
        """The client is dropped for *why*: said whatever -v, and logged."""
        self.say(f"{self.label}: {why}: dropped")
        if self.log is not None:
            self.log.note(f"{why}: dropped")

    async def serve(self, upstream: Upstream) -> None:
        """Greet, then read requests until the client goes (or is dropped)."""
        self._write(answers.encode(answers.greeting(upstream.greeting)))
        try:
            while not self.closed:
                if not self._room.is_set():
                    await self._room.wait()
                    continue
                data = await self.reader.read(65536)
                if not data:  # its end of the input: the replies still go
                    if self._slots:
                        self.note("input ended; its replies still to come")
                        await self._replied()
                    self.note("disconnected")
                    break
                try:
                    chunks = self._splitter.feed(data)
                except TooLong as err:
                    self._answer(
                        answers.error("GenericError", f"JSON parse error, {err}", None)
                    )
                    self._dropped(f"sent {err}")
                    await self._hang_up()
                    break
                for chunk in chunks:
                    self._handle(chunk, upstream)
                await upstream.drain()
        except (OSError, asyncio.IncompleteReadError) as err:
            self.note(f"connection failed: {err}")
        finally:
            await self.close()

    async def _hang_up(self) -> None:
        """Stop writing, and read what is still coming (for a while): a
        socket closed with unread input would be reset, losing the error
        reply before the client reads it."""
        self._flush()
        with contextlib.suppress(OSError, RuntimeError):
            if self.writer.can_write_eof():
                self.writer.write_eof()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(HANG_UP_SECONDS):
                while await self.reader.read(65536):
                    pass

    def _handle(self, chunk: Chunk, upstream: Upstream) -> None:
        message: Any = chunk.value
        garbage = chunk.garbage
        if message is UNPARSED and not garbage:
            try:
                message = json.loads(chunk.data)
            except (ValueError, RecursionError):
                garbage = True
        if self.log is not None:
            self.log.sent(chunk.data, None if garbage else message)
        if garbage:
            self.note(f"sent input that is not JSON ({len(chunk.data)} characters)")
            self._answer(answers.parse_error(chunk.garbage))
            return
        if not isinstance(message, dict):
            self.note("sent JSON that is not an object")
            self._answer(answers.NOT_OBJECT)
            return
        if self.verbose:
            try:
                self.note(json.dumps(shown(message, self.redact)), echo=True)
            except (ValueError, RecursionError):
                self.note("sent a request nested too deeply to show", echo=True)
        verdict = answers.judge(message, self.negotiated, self.spec.policy)
        if isinstance(verdict, answers.Local):
            if verdict.negotiated:
                self.negotiated = True
            if verdict.refused:
                self.note(f"refused: {verdict.refused}")
            self._answer(verdict.reply)
            return
        slot = Slot()
        try:
            upstream.send(message, lambda reply: self._fill(slot, reply))
        except QmpshError as err:  # the server went away in between
            self._answer(answers.error("GenericError", err.message, message))
            return
        except (ValueError, RecursionError):
            self._answer(answers.TOO_DEEP)
            return
        self._slots.append(slot)
        self._inflight += 1
        if self._inflight >= MAX_INFLIGHT:
            self._room.clear()

    def _answer(self, reply: dict[str, Any]) -> None:
        if not self._slots:
            self._write(answers.encode(reply))
        else:
            self._slots.append(Slot(answers.encode(reply)))

    def _fill(self, slot: Slot, reply: dict[str, Any]) -> None:
        self._inflight -= 1
        if self._inflight < MAX_INFLIGHT:
            self._room.set()
        if self.closed or self.writer.transport.is_closing():
            self.note("a reply came after the client went away: dropped")
            self._gone()
            return
        slot.data = answers.encode(reply)
        slots = self._slots
        if not slots or slots[0] is not slot:
            return
        out = []
        while slots and slots[0].data is not None:
            out.append(slots.popleft().data)
        self._write(b"".join(out))  # type: ignore[arg-type]
        if not slots:
            self._all_replied.set()

    async def _replied(self) -> None:
        """Wait until every request has its reply written (or the client
        is gone)."""
        while self._slots and not self.closed:
            self._all_replied.clear()
            await self._all_replied.wait()

    def _gone(self) -> None:
        """The client cannot be written to any more: stop waiting for it."""
        self.closed = True
        self._room.set()
        self._all_replied.set()

    def event(self, line: bytes) -> None:
        """Copy an event to the client (once it has negotiated)."""
        if self.negotiated and not self.closed:
            self._write(line)

    def _write(self, data: bytes) -> None:
        """Write *data* at the end of this turn of the event loop (with
        what else comes for this client meanwhile: one write)."""
        if self.closed:
            return
        if self.log is not None:
            self.log.got(data)
        if not self._out:
            asyncio.get_running_loop().call_soon(self._flush)
        self._out.append(data)

    def _flush(self) -> None:
        out, self._out = self._out, []
        transport = self.writer.transport
        if not out or self.closed:
            return
        if transport.is_closing():  # a write failed: it went away
            self.note("a reply came after the client went away: dropped")
            self._gone()
            return
        self.writer.write(b"".join(out))
        if transport.get_write_buffer_size() > self._write_limit:
            self._dropped(f"more than {self._write_limit} bytes wait to be read by it")
            self._gone()
            transport.abort()

    async def close(self) -> None:
        """Hang up (idempotent); replies still to come are dropped."""
        if not self.closed:
            self._flush()
        self._gone()
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()
