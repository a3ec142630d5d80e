"""Guest agent mode on the wire: qemu-ga's protocol quirks and detection.

qemu-ga speaks QMP without a greeting or negotiation, and the stream can
hold stale data (a reply to a previous client, or one that came after we
gave up waiting).  Its answer is ``guest-sync-delimited``: the client sends
a 0xFF byte (invalid in JSON: the agent's parser resets, and answers it
with a parse error) and ``guest-sync-delimited`` with a random id; the
agent puts a 0xFF byte before its reply, and the client drops everything
until that byte.  qmpsh does this on connecting and, after a reply timed
out, before the next command (`AgentSync`); the line filter that drops the
stale lines sits under qemu.qmp's reader (`qmpsh.wire.adapter` calls `SyncFilter`).

Detection: without ``-N``, qmpsh waits a moment for QEMU's greeting; when
none comes it sends the sync request on the same socket (`probe`).  A
guest agent answers it; a QEMU monitor that another client holds answers
nothing (QEMU has not accepted us), which gives the "another client holds
the monitor" error; a greeting that comes late means a slow QEMU, and the
caller connects again as a QMP client.

What the agent offers (its ``guest-info`` command list) is read in
`qmpsh.schema.agent`.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from qmpsh.core.errors import CommandTimeout, ConnectionLost

SENTINEL = b"\xff"

#: how long a guest-sync-delimited round may take (without --timeout)
AGENT_SYNC_TIMEOUT = 10.0


def sync_wait(timeout: float | None) -> float:
    """How long a guest-sync-delimited round waits for its answer, for a
    command *timeout* (None: none)."""
    return AGENT_SYNC_TIMEOUT if timeout is None else max(timeout, 1.0)


class SyncFilter:
    """Drops input lines while a resynchronisation is under way.

    `arm` starts dropping; the line holding the 0xFF sentinel ends it, and
    what follows the sentinel on that line is the sync reply.  A sentinel
    in any other line is removed too.
    """

    def __init__(self) -> None:
        self.armed = False

    def arm(self) -> None:
        self.armed = True

    def __call__(self, line: bytes) -> bytes | None:
        if SENTINEL in line:
            self.armed = False
            return line.rpartition(SENTINEL)[2]
        if self.armed:
            return None
        return line


def sync_request(sync_id: int) -> dict[str, Any]:
    return {"execute": "guest-sync-delimited", "arguments": {"id": sync_id}}


def new_sync_id() -> int:
    import random  # only here: it costs start-up time

    return random.randrange(1, 2**31)


#: sends a request and waits up to the timeout for its reply
Execute = Callable[[dict[str, Any], float | None], Awaitable[dict[str, Any]]]


class AgentSync:
    """Keeps a guest-agent connection in step: one request at a time, and a
    ``guest-sync-delimited`` round before the first command and after a
    timeout."""

    def __init__(self) -> None:
        self.filter = SyncFilter()
        self.needed = True
        self.lock = asyncio.Lock()

    async def execute(
        self,
        send_raw: Callable[[bytes], None],
        execute: Execute,
        message: dict[str, Any],
        timeout: float | None,
    ) -> dict[str, Any]:
        """*execute* the *message* in turn, after a sync round if one is due."""
        async with self.lock:
            if self.needed:
                await self.resync(send_raw, execute, sync_wait(timeout))
            try:
                return await execute(message, timeout)
            except CommandTimeout:
                self.needed = True  # its late reply may still come
                raise

    async def resync(
        self,
        send_raw: Callable[[bytes], None],
        execute: Execute,
        wait: float,
    ) -> None:
        """One sync round, *execute* waiting *wait* seconds for the answer.

        Raises `CommandTimeout` when none came (the next call tries again)
        and `ConnectionLost` when the agent answered wrong.
        """
        sync_id = new_sync_id()
        self.filter.arm()
        send_raw(SENTINEL)
        try:
            reply = await execute(sync_request(sync_id), wait)
        except CommandTimeout:
            raise CommandTimeout(
                f"the guest agent did not answer guest-sync-delimited within "
                f"{wait:g} s (busy with an earlier command, or not running?)"
            ) from None
        if reply.get("return") != sync_id:
            raise ConnectionLost(
                f"the guest agent answered guest-sync-delimited with "
                f"{json.dumps(reply)[:80]}, not {sync_id}"
            )
        self.needed = False


# -- detection -----------------------------------------------------------------


async def readable(sock: socket.socket, timeout: float) -> bool:
    """Whether *sock* has something to read within *timeout* seconds (the
    guest agent's detection here, ``qmpsh ls``'s probes)."""
    if timeout <= 0:
        return False
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(sock.fileno(), wake)
    try:
        await asyncio.wait_for(ready, timeout)
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(sock.fileno())


Log = Callable[[str, bytes], None]


async def probe(
    sock: socket.socket, greet_wait: float, timeout: float, log: Log | None = None
) -> Literal["qmp", "agent", "late-qmp", "silent", "closed"]:
    """What answers on *sock* (connected, non-blocking, nothing read yet).

    "qmp": data (the greeting) came within *greet_wait*, untouched; "agent":
    a guest agent answered guest-sync-delimited (the socket is then in
    sync, everything up to the reply consumed); "late-qmp": a QMP greeting
    came after the probe was sent (connect again); "silent": nothing came
    within *timeout* in all; "closed": the server closed the connection
    without answering.  Raises `OSError` when the connection fails.
    """
    if await readable(sock, greet_wait):
        return "qmp"
    loop = asyncio.get_running_loop()
    sync_id = new_sync_id()
    data = SENTINEL + json.dumps(sync_request(sync_id)).encode() + b"\n"
    if log is not None:
        log("out", data)
    await loop.sock_sendall(sock, data)
    deadline = loop.time() + max(0.0, timeout - greet_wait)
    buffer = b""
    while True:
        left = deadline - loop.time()
        if left <= 0 or not await readable(sock, left):
            return "silent"
        chunk = sock.recv(65536)
        if not chunk:
            return "closed"
        buffer += chunk
        if buffer.lstrip().startswith(b'{"QMP"'):
            return "late-qmp"
        while b"\n" in buffer:
            line, _, buffer = buffer.partition(b"\n")
            if log is not None:
                log("in", line + b"\n")
            if SENTINEL in line:
                try:
                    reply = json.loads(line.rpartition(SENTINEL)[2])
                except ValueError:
                    continue
                if isinstance(reply, dict) and reply.get("return") == sync_id:
                    return "agent"
