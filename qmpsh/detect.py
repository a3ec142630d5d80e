"""QMP or guest agent?  What answers on a freshly opened socket.

QEMU greets at once; a guest agent says nothing until asked.  `detect`
waits briefly for a greeting, else asks the way only an agent answers
(`qmpsh.qga.probe`), and hands back the socket to start the session on
with what it found, or raises `ConnectFailed` with one line saying why
neither answered.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from qmpsh.address import Address
from qmpsh.dial import open_socket
from qmpsh.errors import ConnectFailed
from qmpsh.qga import Log, probe

#: how long to wait for a greeting before asking whether it is a guest agent
AGENT_GREETING_WAIT = 0.5


async def detect(
    sock: socket.socket,
    address: Address,
    timeout: float,
    total: float,
    log: Log | None,
    why: Callable[[BaseException], str],
) -> tuple[socket.socket, bool]:
    """``(socket, is_agent)``.  An agent's socket is in step already (the
    probe was a sync round); a slow QEMU's is a new one, since the old one
    has our probe.  *why* words a connection failure."""
    try:
        kind = await probe(sock, min(AGENT_GREETING_WAIT, timeout / 2), timeout, log)
    except OSError as err:  # reset by the server, for one
        sock.close()
        raise ConnectFailed(why(err)) from None
    if kind in ("qmp", "agent"):
        return sock, kind == "agent"
    sock.close()
    if kind == "late-qmp":
        return await open_socket(address, timeout), False
    if kind == "closed":
        raise ConnectFailed(why(EOFError()))
    raise ConnectFailed(
        f"connected to {address} but no QMP greeting came within "
        f"{total:g} s, and no guest agent answered "
        "guest-sync-delimited: the monitor is busy, another client probably "
        "holds it (QEMU serves one QMP client at a time)"
    )
