"""QMP or guest agent?  What answers on a freshly opened socket.

QEMU greets at once; a guest agent says nothing until asked.  `detect`
waits briefly for a greeting, else asks the way only an agent answers
(`qmpsh.wire.agent.probe`), and hands back the socket to start the session on
with what it found, or raises `ConnectFailed` with one line saying why
neither answered.  Where an agent is expected (qemu-ga listening, or an
agent answered at that address before: `qmpsh.wire.answered`) it asks at
once, without waiting for a greeting, and what answered is remembered.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from qmpsh.core.errors import CommandTimeout, ConnectFailed, QmpshError
from qmpsh.wire.agent import Log, probe
from qmpsh.wire.answered import Guess, Place, peer_is_qemu_ga, place, recall, remember
from qmpsh.wire.transport import Transport

#: how long to wait for a greeting before asking whether it is a guest agent
AGENT_GREETING_WAIT = 0.5

#: why a guest agent's socket stays silent
_AGENT_SILENT = (
    "another client probably holds it (qemu-ga serves one client at a time), "
    "or no agent runs in the guest"
)


#: nothing known of what answers at an address
_UNKNOWN = Guess()


def silent_text(address: str, seconds: float, guess: Guess = _UNKNOWN) -> str:
    """Neither a greeting nor an answer to the agent probe came within
    *seconds*; *guess*: what answered at this address before (a guest agent
    is worded as `agent_silent_text` is)."""
    if guess.kind == "agent" and guess.sure:
        return agent_silent_text(address, seconds)
    head = f"connected to {address} but no QMP greeting came within {seconds:g} s"
    if guess.kind == "qmp" and guess.sure:
        return (
            f"{head}, and no guest agent answered guest-sync-delimited: the "
            "monitor is busy, another client probably holds it (QEMU serves one "
            "QMP client at a time)"
        )
    return (
        f"{head}, and no guest agent answered guest-sync-delimited: it is busy, "
        "another client probably holds it (a QEMU monitor and a guest agent "
        "both serve one client at a time), or no agent runs in the guest"
    )


def agent_silent_text(address: str, seconds: float) -> str:
    """A guest agent (-N, or known to be one) did not answer the first
    guest-sync-delimited."""
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


def expect(sock: socket.socket, where: Place, was_agent: bool) -> Guess:
    """What is expected to answer on *sock*: qemu-ga listening at the other
    end, a guest agent here before (*was_agent*: the shell reconnecting),
    else what memory says of *where*."""
    if was_agent or peer_is_qemu_ga(sock):
        return Guess("agent", True)
    return recall(where)


async def detect(
    sock: socket.socket,
    transport: Transport,
    timeout: float,
    total: float,
    log: Log | None,
    why: Callable[[BaseException], str],
    was_agent: bool = False,
    agent_wait: float | None = None,
) -> tuple[socket.socket, bool]:
    """``(socket, is_agent)``.  An agent's socket is in step already (the
    probe was a sync round); a slow QEMU's is a new one, since the old one
    has our probe (opened again through *transport*).  *why* words a
    connection failure; *was_agent*: a guest agent answered at this address
    before.  An expected agent (`expect`) is asked at once, and waited for
    *agent_wait* seconds at most (``--timeout``)."""
    where = place(transport)
    guess = expect(sock, where, was_agent)
    greet_wait = min(AGENT_GREETING_WAIT, timeout / 2)
    if guess.kind == "agent":
        greet_wait = 0.0
        if agent_wait is not None and agent_wait < timeout:
            timeout = total = max(agent_wait, greet_wait)
    try:
        kind = await probe(sock, greet_wait, timeout, log)
    except OSError as err:  # reset by the server, for one
        sock.close()
        raise ConnectFailed(why(err)) from None
    if kind in ("qmp", "agent", "late-qmp"):
        remember(where, "agent" if kind == "agent" else "qmp")
    if kind in ("qmp", "agent"):
        return sock, kind == "agent"
    sock.close()
    if kind == "late-qmp":
        return await transport.open(timeout), False
    if kind == "closed":
        raise ConnectFailed(why(EOFError()))
    raise ConnectFailed(silent_text(transport.name, total, guess))
