"""The connection to a QMP server, built on the QEMU project's ``qemu.qmp``.

`Connection` owns one session's life: connect (through a
`qmpsh.wire.transport.Transport`, which opens the socket), the `ConnState`
and who is told of it, requests, losing and closing.  ``qemu.qmp`` does the
wire protocol (greeting, negotiation with ``oob`` when offered, ids, routing
replies, fd passing) in `qmpsh.wire.adapter`'s client, the one user of its
private interface; `qmpsh.wire.request` sends one request,
`qmpsh.wire.agent_connect` is a guest agent's side of connecting (is one
expected, is it one, the first sync) and `qmpsh.wire.agent` keeps one in
step.  Errors come out as `qmpsh.core.errors.QmpshError` subclasses
carrying one line of text.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from qemu.qmp import Runstate
from qemu.qmp.protocol import ConnectError

from qmpsh.core.errors import (
    BadRequest,
    ConnectFailed,
    ConnectionLost,
    QmpshError,
    Refused,
)
from qmpsh.core.listeners import Listeners
from qmpsh.core.settings import DEFAULTS
from qmpsh.core.text import os_text
from qmpsh.wire import agent_connect
from qmpsh.wire.adapter import Adapter
from qmpsh.wire.customids import CustomIds
from qmpsh.wire.eventlog import EventLog
from qmpsh.wire.failures import Evidence, ended, no_greeting, session_error
from qmpsh.wire.request import check_sendable, send
from qmpsh.wire.state import ConnState, StateListener, not_connected, require_connected
from qmpsh.wire.transport import NoGreeting, Transport

if TYPE_CHECKING:
    from qmpsh.wire.agent import AgentSync
    from qmpsh.wire.wirelog import WireLog


DEFAULT_CONNECT_TIMEOUT = DEFAULTS.connect_timeout
DEFAULT_READ_LIMIT = DEFAULTS.read_limit


WarningListener = Callable[[str], None]

#: why a request may not be sent (one line), or None: the policy's judge
#: (`qmpsh.policy.rules.Policy.refusal`), given to the connection as is
Gate = Callable[[Mapping[str, Any]], str | None]


class Connection:
    """One QMP session: connect (through a transport), execute, events, disconnect."""

    def __init__(
        self,
        *,
        negotiate: bool = True,
        wirelog: WireLog | None = None,
        events: EventLog | None = None,
        read_limit: int = DEFAULT_READ_LIMIT,
        reply_timeout: float | None = None,
    ) -> None:
        self.negotiate = negotiate
        #: ``--timeout``: how long a guest agent may take to answer the
        #: first guest-sync-delimited, at most (within the connect timeout)
        self.reply_timeout = reply_timeout
        self.wirelog = wirelog
        self.events = events if events is not None else EventLog()
        self.events.on_error = self.warn
        self.read_limit = read_limit
        self.greeting: dict[str, Any] | None = None
        #: how the server was reached (the last `connect`'s)
        self.transport: Transport | None = None
        self.state = ConnState.IDLE
        self.lost_reason = ""
        self._state_listeners: Listeners[[ConnState, str]] = Listeners()
        self._warning_listeners: Listeners[[str]] = Listeners()
        #: set when talking to a guest agent (-N, or detected)
        self.agent: AgentSync | None = None
        self._client = self._new_client()
        self._watcher: asyncio.Task[None] | None = None
        self._closing = False
        self._custom_ids = CustomIds()
        #: asked before each request (``--read-only``, ``--allow``, ``--deny``)
        self.gate: Gate | None = None

    def _new_client(self) -> Adapter:
        client = Adapter(
            self.read_limit,
            wirelog=self.wirelog,
            on_event=self.events.append,
            warn=self.warn,
        )
        client.await_greeting = self.negotiate
        client.negotiate = self.negotiate
        return client

    def _use_agent(self, agent: AgentSync | None) -> None:
        """Talk to a guest agent (with *agent* keeping it in step), or not."""
        self.agent = agent
        self._client.line_filter = agent.filter if agent is not None else None

    # -- state -------------------------------------------------------------

    def on_state(self, listener: StateListener) -> Callable[[], None]:
        """Call ``listener(state, reason)`` whenever the state changes.

        Returns the call that removes the listener again.
        """
        return self._state_listeners.add(listener)

    def on_warning(self, listener: WarningListener) -> Callable[[], None]:
        """Call ``listener(text)`` for something the user should know about
        that is not an error of the current command (a dropped reply...).

        Returns the call that removes the listener again.
        """
        return self._warning_listeners.add(listener)

    def warn(self, text: str) -> None:
        if self.wirelog is not None:
            self.wirelog.note(text)
        self._warning_listeners(text)

    def _set_state(self, state: ConnState, reason: str = "") -> None:
        self.state = state
        if self.wirelog is not None and state in _NOTED:
            self.wirelog.note(f"{state} {self.address} {reason}".strip())
        self._state_listeners(state, reason)

    @property
    def connected(self) -> bool:
        return self.state == ConnState.CONNECTED

    @property
    def address(self) -> str | None:
        """The server's name in messages (its transport's), None before
        the first `connect`."""
        return None if self.transport is None else self.transport.name

    @property
    def version(self) -> str:
        """``7.2.22`` from the greeting, or "" without one."""
        try:
            qemu = self.greeting["QMP"]["version"]["qemu"]  # type: ignore[index]
            return f"{qemu['major']}.{qemu['minor']}.{qemu['micro']}"
        except (KeyError, TypeError):
            return ""

    @property
    def capabilities(self) -> list[str]:
        try:
            caps = self.greeting["QMP"]["capabilities"]  # type: ignore[index]
        except (KeyError, TypeError):
            return []
        return [c for c in caps if isinstance(c, str)]

    # -- opening -----------------------------------------------------------

    async def connect(
        self, transport: Transport, timeout: float | None = DEFAULT_CONNECT_TIMEOUT
    ) -> None:
        """Open *transport*, read the greeting and negotiate, or raise the
        error `Transport.failed` makes of the failure (`ConnectFailed`...).

        *timeout*: one budget for opening, the agent probe and the greeting
        (None: no limit).
        """
        # a guest agent is expected (-N), or answered here before (the shell
        # reconnecting): the failures are worded for one
        was_agent = self.agent is not None and self.transport == transport
        self.transport = transport
        self._set_state(ConnState.CONNECTING)
        self._use_agent(None)
        if not self.negotiate and transport.may_be_agent:
            from qmpsh.wire.agent import AgentSync

            self._use_agent(AgentSync())
        loop = asyncio.get_running_loop()
        deadline = math.inf if timeout is None else loop.time() + timeout

        def left() -> float:
            return max(deadline - loop.time(), 0.001)

        try:
            sock, agent = await agent_connect.opened(
                transport,
                timeout,
                left,
                self.negotiate,
                was_agent,
                self.reply_timeout,
                self.wirelog,
                self._session_error,
            )
            if agent is not None:  # no greeting to wait for, nothing to negotiate
                self._use_agent(agent)
                self._client.await_greeting = False
                self._client.negotiate = False
            await self._start_session(sock, left(), total=timeout)
            if self.agent is not None and self.agent.needed:
                await self._first_sync(timeout)
        except QmpshError as err:
            if self.state != ConnState.IDLE:
                self._set_state(ConnState.IDLE)
            raise await transport.failed(err) from None

    @property
    def guest_agent(self) -> bool:
        """Whether the server is a guest agent (-N, or detected)."""
        return self.agent is not None

    async def _first_sync(self, timeout: float | None) -> None:
        """`agent_connect.first_sync`; the connection is closed when it fails."""
        assert self.agent is not None and self.transport is not None
        try:
            await agent_connect.first_sync(
                self.agent,
                self.transport,
                self.send_raw,
                self._execute_now,
                timeout,
                self.reply_timeout,
            )
        except ConnectFailed:
            await self.close()
            raise

    async def _start_session(
        self, sock: socket.socket, timeout: float, total: float | None = None
    ) -> None:
        try:
            await asyncio.wait_for(self._client.connect(sock), timeout)
        except TimeoutError:
            sock.close()
            seconds = total or timeout
            raise NoGreeting(no_greeting(str(self.address), seconds), seconds) from None
        except ConnectError as err:
            raise ConnectFailed(self._session_error(err.exc)) from None
        except AssertionError:
            # qemu.qmp asserts that the session runs once it is set up: the
            # server hung up right after the negotiation (QEMU killed then).
            # The session did start, and is lost at once: the watcher says why.
            if self._client.runstate == Runstate.RUNNING:
                raise
        self._started()

    def _started(self) -> None:
        self.greeting = self._client.greeting_object()
        self._custom_ids.new_session()
        self.lost_reason = ""
        self._client.seen.failure = None
        self._closing = False
        self._watcher = asyncio.ensure_future(self._watch())
        self._set_state(ConnState.CONNECTED)

    def _evidence(self) -> Evidence:
        seen = self._client.seen
        return Evidence(
            str(self.address), seen.last_input, seen.last_bad_input, self.read_limit
        )

    def _session_error(self, exc: BaseException) -> str:
        return session_error(exc, self._evidence())

    # -- losing ------------------------------------------------------------

    async def _watch(self) -> None:
        client = self._client
        while client.runstate == Runstate.RUNNING:
            await client.runstate_changed()
        if self._closing:
            return
        reason = await self._reap()
        if self.transport is not None:  # it may know why (a libvirt domain stopped)
            reason = self.transport.lost(reason)
        self.lost_reason = reason
        self._set_state(ConnState.LOST, reason)

    async def _reap(self) -> str:
        """Finish a disconnect the server caused; say why it happened."""
        failure: BaseException | None = None
        try:
            await self._client.disconnect()
        except Exception as err:
            failure = err
        # what the reader saw explains more than a write to a closed socket
        reason = ended(self._client.seen.failure or failure, self._evidence())
        if self.transport is None:
            return reason
        # the transport may know better (ssh: the link to the host dropped)
        return (await self.transport.failed(ConnectionLost(reason))).message

    async def close(self) -> None:
        """Disconnect and close the transport (idempotent); never raises."""
        self._closing = True
        with contextlib.suppress(Exception):  # already reported, or moot now
            await self._client.disconnect()

        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None
        if self.state != ConnState.IDLE:
            self._set_state(ConnState.CLOSED)
        if self.transport is not None:
            with contextlib.suppress(Exception):  # said nothing before either
                await self.transport.close()

    def reset(self) -> None:
        """Forget a lost session so that `connect` can be called again."""
        self._client = self._new_client()
        self._use_agent(self.agent)
        self._set_state(ConnState.IDLE)

    # -- commands ----------------------------------------------------------

    async def execute(
        self, message: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        """Send *message* and return the server's reply as a dict.

        The id this class assigns is removed from the reply; one the caller
        gave is kept.  Raises `NotConnected`, `ConnectionLost`,
        `CommandTimeout`, `BadRequest` or `Refused` (by the `gate`, before
        sending); an error reply is returned, not raised.
        """
        self.check(message)
        if self.agent is None:
            return await self._execute_now(message, timeout)
        # one request at a time to a guest agent, in step with it
        return await self.agent.execute(
            self.send_raw, self._execute_now, message, timeout
        )

    def check(self, message: Mapping[str, Any]) -> None:
        """Raise `Refused` when the `gate` does not let *message* through."""
        if self.gate is not None:
            refusal = self.gate(message)
            if refusal is not None:
                raise Refused(refusal)

    @require_connected
    def send_raw(self, data: bytes) -> None:
        """Write bytes that are not a message (the guest agent's 0xFF)."""
        if not self._client.send_bytes(data):
            raise not_connected(self)

    async def _execute_now(
        self, message: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        check_sendable(message)
        if "id" not in message:
            return await self._request(message, timeout, auto=True)
        async with self._custom_ids.use(message["id"]):
            return await self._request(message, timeout, auto=False)

    @require_connected
    async def _request(
        self, message: dict[str, Any], timeout: float | None, auto: bool
    ) -> dict[str, Any]:
        return await send(
            self._client,
            message,
            timeout,
            auto=auto,
            agent=self.agent is not None,
            lost=self._why_lost,
        )

    async def _why_lost(self) -> str:
        """Why the connection went away, once the watcher has recorded it."""
        if self._watcher is not None and not self._watcher.done():
            await asyncio.wait([self._watcher], timeout=5)
        return self.lost_reason or "the connection was lost"

    def check_fd_passing(self) -> None:
        """Raise `BadRequest` saying why when descriptors cannot be passed
        on this connection (before anything is opened or sent)."""
        if self.transport is not None and not self.transport.fd_passing:
            raise BadRequest(
                f"passing a file descriptor needs a unix socket, and {self.address} "
                f"is {self.transport.kind}"
            )

    @require_connected
    async def send_fd_before(self, fd: int) -> None:
        """Pass *fd* now, for the next command to consume (getfd, add-fd).

        It goes out between two messages (`Adapter.send_fd_between_messages`).
        Raises `BadRequest` on a connection that is not a unix socket.
        """
        self.check_fd_passing()
        try:
            await self._client.send_fd_between_messages(fd)
        except OSError as err:
            why = os_text(err)
            raise ConnectionLost(f"could not pass the descriptor: {why}") from None


#: the states the wire log notes
_NOTED = (ConnState.CONNECTED, ConnState.LOST, ConnState.CLOSED)
