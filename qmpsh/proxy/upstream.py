"""The proxy's one connection to the server: open, negotiate, send with
rewritten ids, route replies back, and say when it is lost.

It is opened through the session's `qmpsh.wire.transport.Transport` (any
ADDRESS or named target: a socket, ssh://, tls://, libvirt:...) and speaks
QMP on the socket itself, without capabilities (no ``oob``): each request
is one line with the proxy's own id, an integer; the client's id (any JSON
value, or none) is kept aside and put back on the reply, which goes to the
callback given with the request.  Events are handed over as the bytes QEMU
sent, to be copied to every client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qmpsh.core.errors import ConnectFailed, ConnectionLost, QmpshError
from qmpsh.core.text import os_text
from qmpsh.wire.failures import no_greeting
from qmpsh.wire.transport import NoGreeting

if TYPE_CHECKING:
    from qmpsh.wire.transport import Transport

Deliver = Callable[[dict[str, Any]], None]

#: no id given: the reply goes back without one
_ABSENT = object()


class Upstream:
    """The connection to the server (`open` again after it was lost)."""

    def __init__(
        self,
        transport: Transport,
        *,
        read_limit: int,
        connect_timeout: float | None,
        on_event: Callable[[bytes], None],
        on_lost: Callable[[str], None],
        note: Callable[[str], None],
    ) -> None:
        self.transport = transport
        self.read_limit = read_limit
        self.connect_timeout = connect_timeout
        self.on_event = on_event
        self.on_lost = on_lost
        #: says something worth a -v line (a reply nobody asked for)
        self.note = note
        self.greeting: dict[str, Any] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._next_id = 0
        #: the proxy's id -> (the client's id or `_ABSENT`, where the reply goes)
        self._pending: dict[int, tuple[object, Deliver]] = {}
        self._closing = False
        self._out: list[bytes] = []

    @property
    def name(self) -> str:
        return self.transport.name

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def open(self) -> None:
        """Connect, read the greeting and negotiate; raises `QmpshError`
        (as the transport words it) when that fails."""
        self._closing = False
        try:
            await self._open()
        except QmpshError as err:
            await self._drop()
            raise await self.transport.failed(err) from None

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        timeout = self.connect_timeout
        deadline = math.inf if timeout is None else loop.time() + timeout
        sock = await self.transport.open(timeout)
        try:
            reader, writer = await asyncio.open_connection(
                sock=sock, limit=self.read_limit
            )
        except OSError as err:
            sock.close()
            raise ConnectFailed(f"{self.name}: {os_text(err)}") from None
        self._writer = writer
        left = None if timeout is None else max(deadline - loop.time(), 0.001)
        try:
            greeting = await asyncio.wait_for(self._read_object(reader), left)
        except TimeoutError:
            seconds = timeout or 0.0
            raise NoGreeting(no_greeting(self.name, seconds), seconds) from None
        if not isinstance(greeting.get("QMP"), dict):
            raise ConnectFailed(
                f"{self.name} sent no QMP greeting (is it a QMP monitor?)"
            )
        writer.write(b'{"execute": "qmp_capabilities"}\n')
        left = None if timeout is None else max(deadline - loop.time(), 0.001)
        try:
            reply = await asyncio.wait_for(self._read_object(reader), left)
        except TimeoutError:
            raise ConnectFailed(
                f"{self.name} did not answer qmp_capabilities within {timeout:g} s"
            ) from None
        if "return" not in reply:
            desc = reply.get("error", {}).get("desc", reply)
            raise ConnectFailed(f"{self.name} refused qmp_capabilities: {desc}")
        self.greeting = greeting
        self._reader_task = asyncio.ensure_future(self._read(reader))

    async def _read_object(self, reader: asyncio.StreamReader) -> dict[str, Any]:
        try:
            line = await reader.readline()
        except (OSError, ValueError) as err:
            raise ConnectFailed(f"{self.name}: {_why(err)}") from None
        if not line:
            raise ConnectFailed(
                f"{self.name} closed the connection before the greeting"
            )
        try:
            obj = json.loads(line)
        except ValueError:
            raise ConnectFailed(
                f"{self.name} sent something that is not JSON"
            ) from None
        if not isinstance(obj, dict):
            raise ConnectFailed(f"{self.name} sent JSON that is not an object")
        return obj

    def send(self, message: dict[str, Any], deliver: Deliver) -> None:
        """Send *message* (a client's request, which this changes: its id
        is replaced); *deliver* gets the reply, with the client's id back.
        Raises `ConnectionLost` when not connected, `ValueError` or
        `RecursionError` (*message* unchanged) when it cannot be written."""
        writer = self._writer
        if writer is None or self._closing:
            raise ConnectionLost(f"{self.name}: not connected")
        ours = self._next_id
        theirs = message.pop("id", _ABSENT)
        message["id"] = ours
        try:
            data = json.dumps(message).encode() + b"\n"
        except (ValueError, RecursionError):  # nested too deeply to write
            del message["id"]
            if theirs is not _ABSENT:
                message["id"] = theirs
            raise
        self._next_id += 1
        self._pending[ours] = (theirs, deliver)
        # written once per turn of the event loop: what several clients
        # sent meanwhile goes in one write
        if not self._out:
            asyncio.get_running_loop().call_soon(self._flush)
        self._out.append(data)

    def _flush(self) -> None:
        out, self._out = self._out, []
        if self._writer is not None and out:
            self._writer.write(b"".join(out))

    async def drain(self) -> None:
        """Wait while too much is waiting to be written to the server."""
        writer = self._writer
        if writer is not None:
            self._flush()
            with contextlib.suppress(OSError, RuntimeError):
                await writer.drain()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        reason = f"{self.name} closed the connection"
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                self._received(line)
        except (OSError, ValueError) as err:
            reason = f"lost {self.name}: {_why(err, self.read_limit)}"
        except asyncio.CancelledError:
            return
        if self._closing:
            return
        await self._drop()
        self.on_lost(self.transport.lost(reason))

    def _received(self, line: bytes) -> None:
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            self.note(f"{self.name} sent a line that is not JSON: dropped")
            return
        if not isinstance(obj, dict):
            self.note(f"{self.name} sent JSON that is not an object: dropped")
            return
        if "event" in obj:
            self.on_event(line if line.endswith(b"\n") else line + b"\n")
            return
        ours = obj.get("id")
        entry = self._pending.pop(ours, None) if isinstance(ours, int) else None
        if entry is None:
            self.note(f"{self.name} sent a reply to no request of the proxy: dropped")
            return
        theirs, deliver = entry
        if theirs is _ABSENT:
            del obj["id"]
        else:
            obj["id"] = theirs
        try:
            deliver(obj)
        except Exception as err:  # a client's trouble must not end the session
            self.note(f"a reply could not be passed on: {err!r}")

    async def _drop(self) -> None:
        """Let go of the socket; forget what waits for a reply."""
        self._pending.clear()
        self._out = []
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def close(self) -> None:
        """Close the connection and the transport (idempotent)."""
        self._closing = True
        task, self._reader_task = self._reader_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        await self._drop()
        with contextlib.suppress(Exception):
            await self.transport.close()


def _why(err: BaseException, limit: int | None = None) -> str:
    if isinstance(err, OSError):
        return os_text(err)
    if limit is not None:  # asyncio's LimitOverrunError / ValueError
        return f"a message longer than the read limit ({limit} bytes) came"
    return str(err)
