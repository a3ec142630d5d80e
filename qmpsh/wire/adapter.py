"""``qemu.qmp``'s QMPClient with its I/O hooks pointed at its owner's callbacks.

The subclass overrides the library's extension points: ``_do_recv`` and
``_do_send`` (the wire log, what was read kept in `Seen` for the error
message, a line filter, yielding to the loop under floods), the ``_cb_*`` logging hooks (the base class
formats every message for a debug log nobody reads), event dispatch (into
the bounded `EventLog` rather than the library's unbounded default
listener), unroutable replies (a late one says how its request went, see
`qmpsh.wire.late_replies`; another is named in a warning), and negotiation
(events that come before the answer to ``qmp_capabilities`` are kept).

It knows nothing of its owner (`qmpsh.wire.connection.Connection`): it is
made with the wire log and two callbacks (where events go, what to warn
about), reads `Adapter.line_filter`, which the owner sets, and records what
it read in `Adapter.seen`, which the owner reads.

It is also the one place that uses the library's private interface
(``_raw`` to send a message with the caller's own id, ``_writer`` for bytes
beside the messages, the greeting's ``_raw`` dict, a `Message`'s ``_data``:
what is read is parsed by `qmpsh.wire.jsonread`): the owner calls the
public methods below instead.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qemu.qmp import Message, QMPClient
from qemu.qmp.error import ProtocolError
from qemu.qmp.qmp_client import NegotiationError

from qmpsh.core.render import Large
from qmpsh.lang.literal import clip
from qmpsh.wire.jsonread import Reader, allow_long_integers

if TYPE_CHECKING:
    from qmpsh.wire.wirelog import WireLog

#: drops an input line (None) or gives what to read of it
LineFilter = Callable[[bytes], bytes | None]


class CutMessage(EOFError):
    """The stream ended in the middle of a message."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class Seen:
    """What the reader saw, for the message when the session fails."""

    __slots__ = ("failure", "last_bad_input", "last_input")

    def __init__(self) -> None:
        #: the last line read (for a greeting that was not QMP)
        self.last_input: bytes | None = None
        #: the last line that was not a JSON object
        self.last_bad_input: bytes | None = None
        #: why the reader stopped, when it was the server's data
        self.failure: BaseException | None = None


#: messages read between two yields to the event loop (see Adapter._do_recv)
_YIELD_EVERY = 32

#: how many requests still awaiting a reply are remembered (by id), to say
#: how a late reply went
_SENT_KEPT = 1024
#: a line longer than this is not kept as bytes beside the object read
#: from it (`Message._data`, `Seen.last_input` keep its start only), and is
#: decoded before it is parsed, so that a reply of hundreds of megabytes
#: is held twice at most while it is read (bench/bigreply.py)
_BIG_LINE = 1 << 20
#: how much of such a line `Seen.last_input` keeps, for messages
_KEPT_START = 4096


class Adapter(QMPClient):
    """QMPClient with its I/O hooks pointed at the owner's callbacks.

    *on_event* gets each event's object, *warn* a line about a reply
    nobody waits for; *wirelog* (if any) gets every line in and out.
    """

    def __init__(
        self,
        readbuflen: int,
        *,
        wirelog: WireLog | None,
        on_event: Callable[[dict[str, Any]], object],
        warn: Callable[[str], None],
    ) -> None:
        super().__init__(None, readbuflen)
        self._wirelog = wirelog
        self._on_event = on_event
        self._warn = warn
        #: set by the owner while input lines may have to be dropped (a
        #: guest agent's resynchronisation, `qmpsh.wire.agent.SyncFilter`)
        self.line_filter: LineFilter | None = None
        self.seen = Seen()
        #: parses what the server sends (`qmpsh.wire.jsonread`)
        self._json = Reader()
        allow_long_integers()
        self._received = 0
        #: id -> request, for requests sent and not yet answered
        self._sent: dict[str, dict[str, Any]] = {}

    def _cb_outbound(self, msg: Message) -> Message:
        return msg  # the base class formats every message for debug logging

    def _cb_inbound(self, msg: Message) -> Message:
        return msg

    async def _do_recv(self) -> Message:
        self._received += 1
        if not self._received % _YIELD_EVERY:
            # Lines already in the buffer are read without waiting on the
            # socket, so a flood of events (up to the 10 MiB read buffer)
            # would otherwise hold the loop: let keys and screen run now and then.
            await asyncio.sleep(0)
        data = await self._readline()

        log = self._wirelog
        keep = self.line_filter
        while keep is not None:  # guest agent: drop stale lines while syncing
            kept = keep(data)
            if kept is not None:
                data = kept
                break
            if log is not None:
                log.write("in", data, valid=False)
            data = await self._readline()
        seen = self.seen
        seen.last_input = data
        if not data.endswith(b"\n"):  # EOF in the middle of a line
            if log is not None:
                log.write("in", data, valid=False)
            seen.failure = CutMessage(len(data))
            raise seen.failure
        if len(data) > _BIG_LINE and log is None:
            held = [data]
            kept = None  # (a guest agent's filtered line)
            del data  # `_big` holds the only reference, and drops it
            return self._big(held)
        reader = self._json
        try:
            msg = Message(reader.read(data), eager=False)
        except Exception as err:  # not JSON, not an object, or nested too deeply
            if log is not None:
                log.write("in", data, valid=False)
            seen.last_bad_input = data
            seen.failure = err
            raise
        msg._data = data  # as it came (the library would write the object again)
        if log is not None:
            log.write("in", data)
        if reader.odd:  # NaN, 1e400: read as null (qmpsh.wire.jsonread)
            self._warn(str(reader.warning()))
        return msg

    def _big(self, held: list[bytes]) -> Message:
        """The line in *held*, of more than `_BIG_LINE` bytes, read without
        keeping it: decoded, let go of, then parsed (with a wire log,
        `_do_recv` keeps the bytes to log them).  Only its start stays, for
        messages."""
        data = held.pop()
        seen = self.seen
        start = data[:_KEPT_START]
        seen.last_input = start
        reader = self._json
        try:
            text = reader.decode(data)
        except Exception as err:
            seen.last_bad_input = start
            seen.failure = err
            raise
        del data  # the last reference: the bytes go now
        try:
            obj = Large(reader.read_text(text, start))
            msg = Message(obj, eager=False)
            msg._obj = obj  # itself: Message would keep a plain dict copy
        except Exception as err:
            seen.last_bad_input = start
            seen.failure = err
            raise
        if reader.odd:
            self._warn(str(reader.warning()))
        return msg

    def _do_send(self, msg: Message) -> None:
        data = bytes(msg) + b"\n"
        obj = msg._object
        if self._wirelog is not None:
            self._wirelog.write("out", data, message=obj)
        msg_id = obj.get("id")
        if msg_id.__class__ is str:  # remembered to say how a late reply went
            sent = self._sent
            if len(sent) >= _SENT_KEPT:  # replies that never came
                del sent[next(iter(sent))]
            sent[msg_id] = obj
        assert self._writer is not None
        self._writer.write(data)

    async def _event_dispatch(self, msg: Message) -> None:
        self._on_event(msg._object)

    async def _on_message(self, msg: Message) -> None:
        obj = msg._object
        if "id" not in obj and "event" not in obj and "error" not in obj:
            # the library would drop it with a log line nobody sees (an
            # error without an id is the server's parse error: it ends the
            # session, as qmp-spec says)
            shown = clip(json.dumps(obj, ensure_ascii=False))
            self._warn(
                f"dropped a reply without an id, which answers no request: {shown}"
            )
            return
        if "id" in obj and "event" not in obj:
            msg_id = obj["id"]
            # qmp-spec: clients drop replies with an unknown id; a non-string
            # id (no request of ours has one) would not even be hashable
            if msg_id.__class__ is not str or msg_id not in self._pending:
                self._dropped(msg_id, obj)
                return
            self._sent.pop(msg_id, None)
        await super()._on_message(msg)

    def _dropped(self, msg_id: object, reply: dict[str, Any]) -> None:
        """A reply nobody waits for: a late one is told in one line (how it
        went; it is never taken for another request's reply), another is
        dropped with a warning, as qmp-spec says."""
        request = self._sent.pop(msg_id, None) if isinstance(msg_id, str) else None
        if request is not None:
            from qmpsh.wire.late_replies import late_reply

            self._warn(late_reply(request, reply))
        else:
            shown = (
                clip(msg_id) if isinstance(msg_id, str) else clip(json.dumps(msg_id))
            )
            self._warn(f"dropped a reply with an unknown id {shown}")

    async def _negotiate(self) -> None:
        """``qmp_capabilities``, keeping events that arrive before its reply.

        The base class takes the next message for the reply; QEMU can emit
        an event first (a guest already running), so events are kept here.
        """
        arguments: dict[str, list[str]] = {}
        if self._greeting is not None and "oob" in self._greeting.QMP.capabilities:
            arguments["enable"] = ["oob"]
        await self._send(self.make_execute_msg("qmp_capabilities", arguments))
        try:
            while "event" in (reply := await self._recv()):
                self._on_event(reply._object)
        except ProtocolError as err:
            raise NegotiationError("bad reply", err) from err
        if "return" not in reply or "error" in reply:
            error = reply.get("error")
            if isinstance(error, dict):
                why = f"{error.get('class', 'Error')}: {error.get('desc', '')}"
            else:
                why = f"got {clip(bytes(reply).decode())}"
            raise NegotiationError(why, ValueError())

    # -- for Connection: the library's private interface, used here only ----

    def greeting_object(self) -> dict[str, Any] | None:
        """The server's greeting as the dict it sent, or None without one."""
        greeting = self._greeting
        return dict(greeting._raw) if greeting is not None else None

    async def request(
        self, message: dict[str, Any], assign_id: bool = True
    ) -> dict[str, Any]:
        """Send *message* and return the reply object; with *assign_id*
        False the message keeps the id it has (or goes without one)."""
        reply = await self._raw(message, assign_id=assign_id)
        obj: dict[str, Any] = reply._object
        return obj

    def send_bytes(self, data: bytes) -> bool:
        """Write bytes that are not a message (logged as raw), beside the
        messages; False when there is no connection to write to."""
        writer = self._writer
        if writer is None:
            return False
        log = self._wirelog
        if log is not None:
            log.write("out", data, valid=False)
        writer.write(data)
        return True

    async def send_fd_between_messages(self, fd: int) -> None:
        """Pass *fd* with SCM_RIGHTS once what is buffered has gone out.

        The descriptor travels with one byte sent beside asyncio's buffer,
        so the byte then falls between two messages, never inside one.
        """
        writer = self._writer
        if writer is not None:
            while writer.transport.get_write_buffer_size():
                await asyncio.sleep(0.001)
        self.send_fd_scm(fd)
