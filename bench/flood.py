"""An event flood: a scripted QMP server that sends N events as fast as it can.

Used by bench/run.py (never by the test suite).  Real QEMU cannot emit events
this fast, so this is the one place the benchmark uses a scripted server.  The
events are encoded once, before the clock starts, and written in one go, so
that the server is never the bottleneck.

Commands: ``qmp_capabilities`` is answered; ``x-flood`` is answered after the
flood; anything else gets CommandNotFound.  With ``auto=True`` the flood
starts as soon as a client has negotiated, and `flood_now` starts one from
the benchmark's own thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from pathlib import Path
from typing import Any

GREETING = {
    "QMP": {
        "version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "flood"},
        "capabilities": [],
    }
}


def encode_events(count: int) -> bytes:
    lines = []
    for i in range(count):
        event = {
            "timestamp": {"seconds": 1700000000 + i // 1000, "microseconds": i % 1000},
            "event": "BENCH_FLOOD" if i % 2 else "JOB_STATUS_CHANGE",
            "data": {"id": f"job{i % 7}", "status": "running", "i": i},
        }
        lines.append(json.dumps(event))
    return ("\n".join(lines) + "\n").encode()


class FloodServer:
    def __init__(self, path: Path, count: int, auto: bool = False) -> None:
        self.path = path
        self.blob = encode_events(count)
        self.auto = auto
        self.writers: list[asyncio.StreamWriter] = []
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FloodServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        self.loop.run_until_complete(self._serve())
        self.loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_unix_server(self._client, path=str(self.path))
        self._ready.set()
        await self._stop.wait()
        server.close()
        for writer in self.writers:
            writer.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def busy(self) -> int:
        """1 while a client still has flood bytes to read, else 0."""
        waiting = sum(w.transport.get_write_buffer_size() for w in self.writers)
        return int(waiting > 0)

    def flood_now(self) -> None:
        """Send the flood to every connected client (from any thread)."""

        def go() -> None:
            for writer in self.writers:
                writer.write(self.blob)

        self.loop.call_soon_threadsafe(go)

    async def _client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.writers.append(writer)
        writer.write(json.dumps(GREETING).encode() + b"\n")
        with contextlib.suppress(
            ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError
        ):
            while line := await reader.readline():
                try:
                    request: dict[str, Any] = json.loads(line)
                except ValueError:
                    continue
                name = request.get("execute")
                ident = request.get("id")
                reply: dict[str, Any] = {"return": {}}
                if name == "qmp_capabilities":
                    writer.write(_encode(reply, ident))
                    if self.auto:
                        writer.write(self.blob)
                    continue
                if name == "x-flood":
                    writer.write(self.blob)
                else:
                    reply = {
                        "error": {
                            "class": "CommandNotFound",
                            "desc": f"The command {name} has not been found",
                        }
                    }
                writer.write(_encode(reply, ident))
                await writer.drain()
        self.writers.remove(writer)
        writer.close()


def _encode(reply: dict[str, Any], ident: Any) -> bytes:
    if ident is not None:
        reply = {**reply, "id": ident}
    return json.dumps(reply).encode() + b"\n"
