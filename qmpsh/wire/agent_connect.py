"""A guest agent's side of connecting, for `qmpsh.wire.connection.Connection`.

`opened`: the socket opened through its transport, worded and timed for
a guest agent where one is expected (``-N``, or one answered there
before), and told from QEMU when it may be either
(`qmpsh.wire.detect_agent`).  `first_sync`: the first
``guest-sync-delimited`` round that puts an agent in step, after which
what answered is remembered (`qmpsh.wire.answered`).  The connection
keeps the rest: QMP's greeting and negotiation, the state, requests.

The modules named are imported when first needed, not with the connection.
"""

from __future__ import annotations

import math
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

from qmpsh.core.errors import ConnectFailed, QmpshError

if TYPE_CHECKING:
    from qmpsh.wire.agent import AgentSync, Execute
    from qmpsh.wire.transport import Transport
    from qmpsh.wire.wirelog import WireLog


async def opened(
    transport: Transport,
    timeout: float | None,
    left: Callable[[], float],
    negotiate: bool,
    was_agent: bool,
    reply_timeout: float | None,
    wirelog: WireLog | None,
    why: Callable[[BaseException], str],
) -> tuple[socket.socket, AgentSync | None]:
    """Open *transport* within the connect *timeout*; the socket to start
    the session on and, for a guest agent found on it, the `AgentSync`
    that keeps it in step (None: QEMU, or ``-N``).  *left*: the time left
    of the timeout; *was_agent*: a guest agent answered here before (the
    shell reconnecting); *reply_timeout*: ``--timeout``; *why* words a
    connection failure."""
    agent = _expected(transport, negotiate, was_agent)
    sock = await transport.open(
        _open_timeout(transport, timeout, agent, reply_timeout), agent=agent
    )
    if not negotiate or not transport.may_be_agent:
        return sock, None
    # no greeting may mean a guest agent (qmpsh.wire.agent)
    return await _detected(
        sock, transport, left(), timeout, wirelog, why, was_agent, reply_timeout
    )


def _expected(transport: Transport, negotiate: bool, was_agent: bool) -> bool:
    """Whether a guest agent is expected at *transport*: with ``-N`` (no
    *negotiate*), where one answered before (*was_agent*: the shell
    reconnecting), or where one is known to be
    (`qmpsh.wire.answered.expects_agent`).  Opening's failures are then
    worded for one."""
    if was_agent or not negotiate:
        return True
    if not transport.may_be_agent:
        return False
    from qmpsh.wire.answered import expects_agent

    return expects_agent(transport)


def _open_timeout(
    transport: Transport,
    timeout: float | None,
    agent: bool,
    reply_timeout: float | None,
) -> float | None:
    """How long opening may take: the connect *timeout*, or for a guest
    agent (*agent*) on a local socket ``--timeout`` (*reply_timeout*) when
    shorter (a busy agent's queue of waiting clients can be full)."""
    if not agent or reply_timeout is None:
        return timeout
    from qmpsh.wire.answered import local

    if not local(transport):
        return timeout
    return min(math.inf if timeout is None else timeout, reply_timeout)


async def _detected(
    sock: socket.socket,
    transport: Transport,
    timeout: float,
    total: float | None,
    wirelog: WireLog | None,
    why: Callable[[BaseException], str],
    was_agent: bool,
    reply_timeout: float | None,
) -> tuple[socket.socket, AgentSync | None]:
    """The socket to start the session on (`qmpsh.wire.detect_agent.detect`),
    and for a guest agent the `AgentSync` that keeps it in step (in step
    already: the probe was a sync round); None for QEMU."""
    from qmpsh.wire.detect_agent import detect

    log = wirelog
    sock, agent = await detect(
        sock,
        transport,
        timeout,
        math.inf if total is None else total,
        (lambda d, data: log.write(d, data, valid=False)) if log else None,
        why,
        was_agent,
        reply_timeout,
    )
    if not agent:
        return sock, None
    from qmpsh.wire.agent import AgentSync

    in_step = AgentSync()
    in_step.needed = False
    return sock, in_step


async def first_sync(
    agent: AgentSync,
    transport: Transport,
    send_raw: Callable[[bytes], None],
    execute: Execute,
    timeout: float | None,
    reply_timeout: float | None,
) -> None:
    """The first guest-sync-delimited round (-N), waiting up to the
    connect *timeout*, or ``--timeout`` (*reply_timeout*) when that is
    shorter; `ConnectFailed` when it fails.  A guest agent that answers
    is remembered (`qmpsh.wire.answered`)."""
    from qmpsh.wire.agent import sync_wait
    from qmpsh.wire.answered import place, remember
    from qmpsh.wire.detect_agent import not_in_step

    limit = timeout
    if reply_timeout is not None:
        limit = min(limit or math.inf, reply_timeout)
    wait = sync_wait(limit)
    try:
        await agent.resync(send_raw, execute, wait)
    except QmpshError as err:
        raise ConnectFailed(not_in_step(str(transport.name), err, wait)) from None
    if transport.may_be_agent:
        remember(place(transport), "agent")
