"""The connection's state (`ConnState`) and the guard that requires one.

A `qmpsh.wire.connection.Connection` is in exactly one `ConnState`; its
state listeners receive the new one with the reason (for `ConnState.LOST`).
The members are strings (a `StrEnum`): the state is shown to the user as
its value ("connected", "lost"...) and compares equal to it.

`require_connected` is this package's ``qemu.qmp``
``@require(Runstate.RUNNING)``: a method that needs the connection up says
so above its ``def`` line, and raises `qmpsh.core.errors.NotConnected` (with the
reason the connection was lost, when it was) instead of running.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, cast

from qmpsh.core.errors import NotConnected


class ConnState(StrEnum):
    """Where a connection is in its life; the value is what users see."""

    #: not connected, and not trying: before `connect`, after a failed one,
    #: after `reset`
    IDLE = "idle"
    #: `connect` is under way (opening the transport, greeting, negotiation)
    CONNECTING = "connecting"
    #: the session runs: commands can be sent
    CONNECTED = "connected"
    #: the server ended the session (the listeners get the reason)
    LOST = "lost"
    #: we ended it (`close`)
    CLOSED = "closed"


#: a state listener: ``listener(state, reason)``
StateListener = Callable[[ConnState, str], None]


class Stateful(Protocol):
    """What `require_connected` reads of the object whose method it guards."""

    @property
    def state(self) -> ConnState: ...

    @property
    def lost_reason(self) -> str: ...


def not_connected(conn: Stateful) -> NotConnected:
    """The error for a request made while *conn* is not connected."""
    if conn.state == ConnState.LOST:
        return NotConnected(f"not connected: {conn.lost_reason}")
    return NotConnected("not connected")


S = TypeVar("S", bound=Stateful)
P = ParamSpec("P")
R = TypeVar("R")


def require_connected(
    func: Callable[Concatenate[S, P], R],
) -> Callable[Concatenate[S, P], R]:
    """Run the method only in `ConnState.CONNECTED`, else raise
    `not_connected`'s error; on plain and ``async`` methods (the latter
    check when awaited, not when called)."""
    if inspect.iscoroutinefunction(func):
        coro = cast(Callable[..., Awaitable[Any]], func)

        @functools.wraps(func)
        async def checked_async(self: S, *args: P.args, **kwargs: P.kwargs) -> Any:
            if self.state != ConnState.CONNECTED:
                raise not_connected(self)
            return await coro(self, *args, **kwargs)

        return cast(Callable[Concatenate[S, P], R], checked_async)

    @functools.wraps(func)
    def checked(self: S, *args: P.args, **kwargs: P.kwargs) -> R:
        if self.state != ConnState.CONNECTED:
            raise not_connected(self)
        return func(self, *args, **kwargs)

    return cast(Callable[Concatenate[S, P], R], checked)
