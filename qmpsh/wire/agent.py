"""Guest agent mode: qemu-ga's protocol quirks, detection and its command list.

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

`guest_commands` reads ``guest-info``'s command list (name, enabled): the
agent has no ``query-qmp-schema``, so this list is what completion, the
input highlighting, ``help`` and the check before sending know of it
(`command_values`, `check_command`).  `explain` words the agent's "command
not found" replies.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Literal, NamedTuple

SENTINEL = b"\xff"


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


class AgentSync:
    """Keeps a guest-agent connection in step: one request at a time, and a
    ``guest-sync-delimited`` round before the first command and after a
    timeout."""

    def __init__(self) -> None:
        self.filter = SyncFilter()
        self.needed = True
        self.lock = asyncio.Lock()

    async def resync(
        self,
        send_raw: Callable[[bytes], None],
        execute: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
    ) -> None:
        """One sync round; raises `SyncError` when the agent answers wrong.
        A timeout propagates from *execute* (and the next call tries again).
        """
        sync_id = new_sync_id()
        self.filter.arm()
        send_raw(SENTINEL)
        reply = await execute(sync_request(sync_id))
        if reply.get("return") != sync_id:
            raise SyncError(
                f"the guest agent answered guest-sync-delimited with "
                f"{json.dumps(reply)[:80]}, not {sync_id}"
            )
        self.needed = False


class SyncError(Exception):
    pass


# -- detection -----------------------------------------------------------------


async def _readable(sock: socket.socket, timeout: float) -> bool:
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
    if await _readable(sock, greet_wait):
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
        if left <= 0 or not await _readable(sock, left):
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


# -- the command list ------------------------------------------------------------


class AgentCommand(NamedTuple):
    """One entry of guest-info's ``supported_commands``."""

    name: str
    enabled: bool = True
    success_response: bool = True


def parse_guest_info(value: Any) -> tuple[AgentCommand, ...]:
    """The commands of a ``guest-info`` return value, sorted by name."""
    if not isinstance(value, Mapping):
        return ()
    out = []
    for item in value.get("supported_commands", []):
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            out.append(
                AgentCommand(
                    item["name"],
                    bool(item.get("enabled", True)),
                    bool(item.get("success-response", True)),
                )
            )
    return tuple(sorted(out, key=lambda c: c.name))


async def guest_commands(
    execute: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
) -> tuple[AgentCommand, ...]:
    """The agent's commands, from ``guest-info`` (empty on an error reply)."""
    reply = await execute({"execute": "guest-info"})
    return parse_guest_info(reply.get("return"))


def command_values(commands: Iterable[AgentCommand]) -> list[tuple[str, str]]:
    """``(name, meta)`` for completion: a disabled command says so."""
    return [(c.name, "" if c.enabled else "disabled in this agent") for c in commands]


def check_command(
    name: str, commands: Mapping[str, AgentCommand], builtin_names: Iterable[str] = ()
) -> str | None:
    """Why the agent would refuse *name* (one line), or None: a command it
    does not have (with the closest names, *builtin_names* too) or one it
    disabled.  *commands* by name; empty when not known (yet), and then
    nothing is checked."""
    from qmpsh.schema.validate import Problem, suggest

    if not commands:
        return None
    command = commands.get(name)
    if command is None:
        names = [*commands, *builtin_names]
        return str(Problem(_unknown(name), suggestions=suggest(name, names)))
    return None if command.enabled else _disabled(name)


def explain(reply: Mapping[str, Any], command: str) -> str | None:
    """One line for an error reply of a guest agent when qmpsh can say more
    than the agent: a command it disabled, or one it does not have."""
    error = reply.get("error")
    if not isinstance(error, Mapping) or error.get("class") != "CommandNotFound":
        return None
    desc = str(error.get("desc", ""))
    if desc.endswith("has been disabled"):
        return _disabled(command)
    return _unknown(command)


def _disabled(command: str) -> str:
    return (
        f"CommandNotFound: {command} is disabled in this guest agent (qemu-ga "
        "--block-rpcs or --allow-rpcs); guest-info lists which commands are "
        "enabled"
    )


def _unknown(command: str) -> str:
    return f"CommandNotFound: this guest agent has no command {command} (guest-info lists them)"
