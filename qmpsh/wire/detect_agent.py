"""QMP or guest agent?  What answers on a freshly opened socket.

QEMU greets at once; a guest agent says nothing until asked.  `detect`
waits briefly for a greeting, else asks the way only an agent answers
(`qmpsh.wire.agent.probe`), and hands back the socket to start the session on
with what it found, or raises `ConnectFailed` with one line saying why
neither answered.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from qmpsh.core.errors import CommandTimeout, ConnectFailed, QmpshError
from qmpsh.wire.agent import Log, probe
from qmpsh.wire.transport import Transport

#: how long to wait for a greeting before asking whether it is a guest agent
AGENT_GREETING_WAIT = 0.5

#: why a guest agent's socket stays silent
_AGENT_SILENT = (
    "another client probably holds it (qemu-ga serves one client at a time), "
    "or no agent runs in the guest"
)


def silent_text(address: str, seconds: float, agent: bool = False) -> str:
    """Neither a greeting nor an answer to the agent probe came; *agent*: a
    guest agent answered at this address before (a reconnection)."""
    head = f"connected to {address} but no QMP greeting came within {seconds:g} s"
    if agent:
        return (
            f"{head}, and the guest agent did not answer guest-sync-delimited: "
            f"{_AGENT_SILENT}"
        )
    return (
        f"{head}, and no guest agent answered guest-sync-delimited: the monitor "
        "is busy, another client probably holds it (QEMU serves one QMP client "
        "at a time)"
    )


def agent_silent_text(address: str, seconds: float) -> str:
    """A guest agent (-N) did not answer the first guest-sync-delimited."""
    return (
        f"connected to {address} but the guest agent did not answer "
        f"guest-sync-delimited within {seconds:g} s: {_AGENT_SILENT}"
    )


def not_in_step(address: str, err: QmpshError, seconds: float) -> str:
    """The first guest-sync-delimited round failed with *err* (after
    waiting *seconds*, for a timeout)."""
    if isinstance(err, CommandTimeout):
        return agent_silent_text(address, seconds)
    return f"{address} is not a guest agent in step with us: {err.message}"


async def detect(
    sock: socket.socket,
    transport: Transport,
    timeout: float,
    total: float,
    log: Log | None,
    why: Callable[[BaseException], str],
    was_agent: bool = False,
) -> tuple[socket.socket, bool]:
    """``(socket, is_agent)``.  An agent's socket is in step already (the
    probe was a sync round); a slow QEMU's is a new one, since the old one
    has our probe (opened again through *transport*).  *why* words a connection failure; *was_agent*: a guest
    agent answered at this address before, so silence is worded for one."""
    try:
        kind = await probe(sock, min(AGENT_GREETING_WAIT, timeout / 2), timeout, log)
    except OSError as err:  # reset by the server, for one
        sock.close()
        raise ConnectFailed(why(err)) from None
    if kind in ("qmp", "agent"):
        return sock, kind == "agent"
    sock.close()
    if kind == "late-qmp":
        return await transport.open(timeout), False
    if kind == "closed":
        raise ConnectFailed(why(EOFError()))
    raise ConnectFailed(silent_text(transport.name, total, was_agent))
