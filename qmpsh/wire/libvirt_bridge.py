"""The bridge: a QMP server, on the far end of a socketpair, made of a
libvirt domain's monitor passthrough.

libvirtd holds the domain's one QMP connection; a client reaches that
monitor only through libvirt's API, one command at a time.  `Bridge` serves
the ``libvirt:`` transport's socketpair as QEMU serves its socket, so the
connection on the other end (``qemu.qmp``, qmpsh's whole session) cannot
tell the difference:

- the greeting is made from ``query-version`` (asked through libvirt by
  the transport), with no capabilities: libvirt negotiated with QEMU
  already, without out-of-band execution;
- ``qmp_capabilities`` is answered here, as QEMU would (and commands
  before it are refused, as QEMU does);
- every other request goes to libvirt without its ``id`` (libvirt refuses
  one: "Unable to append command 'id' string"), in the order it came; the
  reply, which libvirt returns with an id of its own, gets the request's
  back.  Replies are written in the order of the requests;
- descriptors passed on the socketpair with SCM_RIGHTS go along with the
  next request (``qemuMonitorCommandWithFiles``);
- QMP events of the domain are written as QEMU writes them; those that
  come before ``qmp_capabilities`` is answered wait for it;
- when the domain stops or libvirt closes the connection, the bridge
  hangs up, once the replies due are written; `Bridge.end` says why.

It runs on the session's loop; libvirt's calls run on the libvirt thread
(`qmpsh.wire.libvirt_thread`), which is FIFO, so requests are handed over
as they arrive and libvirt runs them back to back.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import json
import os
import socket
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from qmpsh.wire.libvirt_errors import LibvirtFailed, request_failure
from qmpsh.wire.libvirt_qmp import (
    BEFORE_NEGOTIATION,
    NEGOTIATED_ALREADY,
    error_line,
    event_line,
    qmp_line,
    reply_line,
)

if TYPE_CHECKING:
    from qmpsh.wire.libvirt_monitor import Monitor
    from qmpsh.wire.libvirt_thread import LibvirtThread

#: seconds between two looks at libvirt's taint, after requests
TAINT_EVERY = 2.0
#: seconds to wait for libvirt to say why the session ended, after a request
#: found it over
WHY_WAIT = 1.0
#: descriptors taken with one read
_MAX_FDS = 64
#: events kept while waiting for qmp_capabilities
_EARLY_EVENTS = 1000


class Bridge:
    """Serves QMP on *sock* (the far end of the transport's socketpair)
    from *monitor*; *fd_passing*: descriptors may go along (a local URI)."""

    def __init__(
        self,
        thread: LibvirtThread,
        monitor: Monitor,
        sock: socket.socket,
        *,
        target: str,
        fd_passing: bool,
    ) -> None:
        self._thread = thread
        self._monitor = monitor
        self._sock = sock
        self._target = target
        self._fd_passing = fd_passing
        self._loop = asyncio.get_running_loop()
        self._in = bytearray()
        self._out = bytearray()
        #: descriptors received, for the next request
        self._fds: list[int] = []
        #: what is due on the socket, in the order of the requests
        self._due: deque[_Slot] = deque()
        self._flush_soon = False
        self._negotiated = False
        self._early: deque[bytes] = deque(maxlen=_EARLY_EVENTS)
        self._closed = False
        self._stopping: asyncio.Task[None] | None = None
        #: why the session is over, when the bridge knows (the domain stopped)
        self.end: str | None = None
        self._hang_up = False
        self._grace: asyncio.TimerHandle | None = None
        #: libvirt's taint messages, refreshed after requests
        self.taint: list[str] = []
        self._taint_at = 0.0

    # -- starting and stopping ----------------------------------------------

    def start(self, greeting_line: bytes) -> None:
        """Greet and serve (libvirt's taint is looked at after the first
        request: the greeting's query-version made it what it is)."""
        self._write(greeting_line)
        self._loop.add_reader(self._sock.fileno(), self._readable)

    def on_event(
        self, name: str, seconds: int, micros: int, details: str | None
    ) -> None:
        """libvirt's event callback (on the libvirt thread)."""
        with contextlib.suppress(RuntimeError):  # the session's loop is gone
            self._loop.call_soon_threadsafe(self._event, name, seconds, micros, details)

    def on_end(self, why: str) -> None:
        """libvirt says the session is over (on the libvirt thread)."""
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._ended, why)

    def _stop(self) -> None:
        """Close from a callback: the peer hung up, or writing failed."""
        if self._stopping is None and not self._closed:
            self._stopping = self._loop.create_task(self.close())

    async def close(self, wait: float = 5.0) -> None:
        """Stop serving and let go of the libvirt connection (after the
        requests libvirt has already been given; waiting at most *wait*
        seconds for them, since a monitor may hang)."""
        if self._closed:
            return
        self._closed = True
        if self._grace is not None:
            self._grace.cancel()
        fd = self._sock.fileno()
        if fd >= 0:
            self._loop.remove_reader(fd)
            self._loop.remove_writer(fd)
        self._sock.close()
        for pending in self._due:
            pending.done = True  # nobody waits any more
        self._due.clear()
        self._close_fds(self._fds)
        monitor = self._thread.submit(self._monitor.close)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(monitor), wait)

    # -- reading ------------------------------------------------------------

    def _readable(self) -> None:
        try:
            data, ancdata, _flags, _ = self._sock.recvmsg(
                65536, socket.CMSG_SPACE(_MAX_FDS * 4), socket.MSG_CMSG_CLOEXEC
            )
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data, ancdata = b"", []
        fds = _received_fds(ancdata)
        if not data:  # the connection hung up
            self._close_fds(fds)
            self._stop()
            return
        self._in += data
        while (end := self._in.find(b"\n")) >= 0:
            line = bytes(self._in[: end + 1])
            del self._in[: end + 1]
            if line.strip():
                self._request(line)
        # the byte a descriptor came with ends its read: it belongs to the
        # request that follows it
        self._fds += fds

    def _request(self, line: bytes) -> None:
        fds, self._fds = self._fds, []
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            self._close_fds(fds)
            self._answer(
                error_line("GenericError", "JSON parse error", None, has_id=False)
            )
            return
        if not isinstance(message, dict):
            self._close_fds(fds)
            self._answer(
                error_line(
                    "GenericError", "QMP input must be a JSON object", None, False
                )
            )
            return
        has_id = "id" in message
        request_id = message.pop("id", None)
        if message.get("execute") == "qmp_capabilities":
            self._close_fds(fds)
            if self._negotiated:
                reply: dict[str, Any] = {"error": NEGOTIATED_ALREADY}
            else:
                reply = {"return": {}}
            if has_id:
                reply["id"] = request_id
            self._answer(qmp_line(reply))
            if not self._negotiated:
                self._negotiated = True
                while self._early:
                    self._write(self._early.popleft())
            return
        if not self._negotiated:
            self._close_fds(fds)
            self._answer(BEFORE_NEGOTIATION + b"\n")
            return
        if fds and not self._fd_passing:
            self._close_fds(fds)
            self._answer(
                error_line(
                    "GenericError",
                    f"libvirt passes file descriptors only over a local URI, "
                    f"not {self._monitor.uri}",
                    request_id,
                    has_id,
                )
            )
            return
        text = json.dumps(message)
        slot = _Slot()
        self._due.append(slot)
        self._thread.post(
            self._monitor.command,
            (text, fds),
            lambda reply, err: self._replied(reply, err, slot, request_id, has_id, fds),
        )

    def _replied(
        self,
        reply: str | None,
        err: BaseException | None,
        slot: _Slot,
        request_id: object,
        has_id: bool,
        fds: list[int],
    ) -> None:
        self._close_fds(fds)  # libvirt has sent its copies
        if slot.done:  # closed meanwhile
            return
        slot.done = True
        if err is None:
            try:
                slot.line = reply_line(str(reply), request_id, has_id)
            except (ValueError, RecursionError):
                slot.line = error_line(
                    "GenericError",
                    "libvirt returned a reply that is not a JSON object",
                    request_id,
                    has_id,
                )
        elif isinstance(err, LibvirtFailed):
            failure = request_failure(err.code, err.message, err.origin)
            if failure.ends_session:
                self._ended(failure.text, final=False)
            else:
                slot.line = error_line("GenericError", failure.text, request_id, has_id)
        else:
            slot.line = error_line(
                "GenericError", f"libvirt: {err}", request_id, has_id
            )
        # the replies handed over together go out in one write
        if not self._flush_soon:
            self._flush_soon = True
            self._loop.call_soon(self._flush_due)
        if time.monotonic() - self._taint_at >= TAINT_EVERY:
            self._taint_at = time.monotonic()
            self._thread.post(self._monitor.taint, (), self._tainted)

    def _tainted(self, taint: list[str] | None, err: BaseException | None) -> None:
        if taint is not None:
            self.taint = taint

    def _answer(self, line: bytes) -> None:
        """A reply made here, in its turn among the forwarded ones."""
        slot = _Slot()
        slot.done, slot.line = True, line
        self._due.append(slot)
        self._flush_due()

    def _flush_due(self) -> None:
        self._flush_soon = False
        due = self._due
        ready: list[bytes] = []
        while due and due[0].done:
            line = due.popleft().line
            if line is not None:
                ready.append(line)
        if ready:
            self._write(b"".join(ready))
        if self._hang_up and not due:
            self._finish()

    # -- events and the end --------------------------------------------------

    def _event(self, name: str, seconds: int, micros: int, details: str | None) -> None:
        if self._closed or self._hang_up:
            return
        try:
            line = event_line(name, seconds, micros, details)
        except (ValueError, RecursionError):
            return  # libvirt handed over data that is not JSON: nothing to show
        if self._negotiated:
            self._write(line)
        else:
            self._early.append(line)

    def _ended(self, why: str, final: bool = True) -> None:
        """Hang up once the replies due are written.  A request that failed
        says the session is over too (not *final*): libvirt's own word on
        why (the domain was destroyed...) is then waited for a moment."""
        if self._hang_up:
            return
        if final or self.end is None:
            self.end = why
        if not final:
            if self._grace is None:
                self._grace = self._loop.call_later(WHY_WAIT, self._ended, why)
            return
        if self._grace is not None:
            self._grace.cancel()
        self._hang_up = True
        self._flush_due()

    def _finish(self) -> None:
        if not self._out:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)

    # -- writing ------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        if self._closed:
            return
        if not self._out:
            try:
                sent = self._sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._stop()
                return
            data = data[sent:]
            if not data:
                return
            self._loop.add_writer(self._sock.fileno(), self._writable)
        self._out += data

    def _writable(self) -> None:
        try:
            sent = self._sock.send(self._out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._stop()
            return
        del self._out[:sent]
        if not self._out:
            self._loop.remove_writer(self._sock.fileno())
            if self._hang_up and not self._due:
                self._finish()

    @staticmethod
    def _close_fds(fds: list[int]) -> None:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        fds.clear()


class _Slot:
    """A reply due on the socket, in its request's turn: *line* once done
    (None: nothing to write, the session ended)."""

    __slots__ = ("done", "line")

    def __init__(self) -> None:
        self.done = False
        self.line: bytes | None = None


def _received_fds(ancdata: list[tuple[int, int, bytes]]) -> list[int]:
    fds: list[int] = []
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            got = array.array("i")
            got.frombytes(data[: len(data) - (len(data) % got.itemsize)])
            fds += got.tolist()
    return fds
