"""A scripted QMP server for the faults real QEMU never produces.

`FaultServer` listens on a unix socket in the test's temp dir, on an asyncio
loop in a thread of the test process, and runs a *script* (an async function
taking a `Peer`) for every client that connects.  The script decides what the
"server" does: greet or not, answer, send garbage, hang up half-way...
Everything received and sent is recorded, so that a test can check that the
client's wire log holds every message that passed.

Use it only for what real QEMU cannot be made to do; everything else is
tested against real QEMU processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any

GREETING: dict[str, Any] = {
    "QMP": {
        "version": {
            "qemu": {"micro": 0, "minor": 2, "major": 7},
            "package": "fault-server",
        },
        "capabilities": ["oob"],
    }
}


class Peer:
    """One client connection, as seen by a script."""

    def __init__(
        self,
        server: FaultServer,
        index: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.server = server
        #: 0 for the first client, 1 for the second...
        self.index = index
        self.reader = reader
        self.writer = writer

    async def send(self, message: dict[str, Any] | list[Any] | bytes) -> None:
        """Send a JSON message (one line) or raw bytes, as given."""
        data = (
            message
            if isinstance(message, bytes)
            else json.dumps(message).encode() + b"\n"
        )
        self.server.sent.append(data)
        self.writer.write(data)
        await self.writer.drain()

    async def trickle(self, data: bytes, pause: float = 0.001) -> None:
        """Send *data* one byte at a time."""
        self.server.sent.append(data)
        for i in range(len(data)):
            self.writer.write(data[i : i + 1])
            await self.writer.drain()
            await asyncio.sleep(pause)

    async def recv(self) -> dict[str, Any]:
        """The next request; raises EOFError when the client hangs up.

        Lines that are not JSON objects (a guest-agent probe: 0xFF, then
        guest-sync-delimited) are recorded and skipped.
        """
        while True:
            line = await self.reader.readline()
            if not line:
                raise EOFError
            self.server.received.append(line)
            with self.server.changed:
                self.server.changed.notify_all()
            message = _parse(line)
            if isinstance(message, dict):
                return message

    async def greet(self) -> None:
        await self.send(GREETING)

    async def negotiate(self) -> None:
        """Greet and answer ``qmp_capabilities``, as QEMU does."""
        await self.greet()
        request = await self.recv()
        assert request.get("execute") == "qmp_capabilities", request
        await self.reply(request)

    async def reply(self, request: dict[str, Any], value: Any = None) -> None:
        message: dict[str, Any] = {"return": {} if value is None else value}
        if "id" in request:
            message["id"] = request["id"]
        await self.send(message)

    async def serve(self, count: int | None = None) -> None:
        """Answer requests like a well-behaved server (``{"return": {}}``)."""
        served = 0
        while count is None or served < count:
            try:
                request = await self.recv()
            except EOFError:
                return
            await self.reply(request, {"served": request.get("execute")})
            served += 1

    async def hold(self) -> None:
        """Keep the connection open, reading (and recording) until EOF."""
        with contextlib.suppress(EOFError, ConnectionError):
            while True:
                await self.recv()

    def close(self) -> None:
        self.writer.close()


Script = Callable[[Peer], Awaitable[None]]


class FaultServer:
    """``with FaultServer(dir, script) as server:`` listens on ``server.path``."""

    def __init__(self, directory: Path, script: Script) -> None:
        self.path = directory / "fault.sock"
        self.script = script
        self.sent: list[bytes] = []
        #: where in `sent` each client's data starts
        self.starts: list[int] = []
        self.received: list[bytes] = []
        self.errors: list[BaseException] = []
        self.changed = threading.Condition()
        self._clients = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def __enter__(self) -> FaultServer:
        self._thread.start()
        self._server = self._call(
            asyncio.start_unix_server(self._client, str(self.path), limit=1 << 26)
        )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def _call(self, coro: Awaitable[Any]) -> Any:
        async def wrap() -> Any:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrap(), self._loop).result(30)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in tuple(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)

    async def _client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = Peer(self, self._clients, reader, writer)
        self._clients += 1
        self.starts.append(len(self.sent))
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self.script(peer)
        except (EOFError, ConnectionError, asyncio.CancelledError):
            pass
        except BaseException as err:  # shown by the test that uses the server
            self.errors.append(err)
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    def sent_lines(self) -> list[bytes]:
        """Every line sent, client after client; a line cut short (the
        connection closed in its middle) ends with its client's data."""
        out: list[bytes] = []
        bounds = [*self.starts, len(self.sent)]
        for start, end in itertools.pairwise(bounds):
            parts = b"".join(self.sent[start:end]).split(b"\n")
            out += [part + b"\n" for part in parts[:-1]]
            if parts[-1]:
                out.append(parts[-1])
        return out

    def requests(self) -> list[Any]:
        """Every line received so far: parsed, or as text if not JSON."""
        out = []
        for line in tuple(self.received):
            message = _parse(line)
            out.append(
                message
                if isinstance(message, dict)
                else line.decode("utf-8", "backslashreplace")
            )
        return out

    def wait_requests(self, count: int, timeout: float = 30) -> None:
        """Block until *count* requests have arrived (for signals mid-command)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the client sent {len(self.received)} requests")
                self.changed.wait(left)


def _parse(line: bytes) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return None
