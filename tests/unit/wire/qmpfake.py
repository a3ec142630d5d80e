"""A few lines of QMP server for unit tests of the wire without QEMU."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

GREETING = {
    "QMP": {
        "version": {
            "qemu": {"major": 7, "minor": 2, "micro": 22},
            "package": "",
        },
        "capabilities": [],
    }
}


async def serve_qmp(sock: socket.socket, greet: bool = True) -> None:
    """Speak QMP on the connected *sock* until the client leaves: a
    greeting (unless not *greet*), ``qmp_capabilities``, ``query-status``;
    ``quit`` is answered, then the connection closed."""
    reader, writer = await asyncio.open_connection(sock=sock)

    def send(obj: dict[str, Any]) -> None:
        writer.write(json.dumps(obj).encode() + b"\n")

    try:
        if greet:
            send(GREETING)
        while line := await reader.readline():
            msg = json.loads(line)
            name = msg.get("execute")
            reply: dict[str, Any] = {"return": {}}
            if name == "query-status":
                reply = {"return": {"status": "running", "running": True}}
            elif name not in ("qmp_capabilities", "quit"):
                reply = {"error": {"class": "CommandNotFound", "desc": str(name)}}
            if "id" in msg:
                reply["id"] = msg["id"]
            send(reply)
            if name == "quit":
                break
        await writer.drain()
    finally:
        writer.close()
