"""The connection to a QMP server, built on the QEMU project's ``qemu.qmp``.

`Connection` holds a ``qemu.qmp.QMPClient`` (it is not one).  ``qemu.qmp``
does the wire protocol: greeting, capabilities negotiation (with ``oob`` when
offered), ids, routing replies to their requests, accept mode and fd passing.
A small adapter subclass overrides only its documented extension points
(``_do_recv``/``_do_send``, the ``_cb_*`` hooks and event dispatch) to feed
the wire log and our bounded `EventLog`: the library's default listener keeps
every event forever, which an operator's shell that runs for days cannot.

Errors come out as `QmpshError` subclasses carrying one line of text.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import socket
import stat
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qemu.qmp import ExecInterruptedError, Message, QMPClient, Runstate, StateError
from qemu.qmp.error import ProtocolError
from qemu.qmp.protocol import ConnectError
from qemu.qmp.qmp_client import NegotiationError

from qmpsh.address import Address, TcpAddress, UnixAddress
from qmpsh.eventlog import EventLog
from qmpsh.exitcodes import Exit
from qmpsh.literal import clip

if TYPE_CHECKING:
    from qmpsh.qga import AgentSync
    from qmpsh.wirelog import WireLog


DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_LIMIT = 10 * 1024 * 1024
AUTO_ID_PREFIX = "__qmp#"
#: how long to wait for a greeting before asking whether it is a guest agent
AGENT_GREETING_WAIT = 0.5
#: how long a guest-sync-delimited round may take (without --timeout)
AGENT_SYNC_TIMEOUT = 10.0


class QmpshError(Exception):
    """An error to show the user as one line, with the exit code it maps to."""

    exit_code = Exit.COMMAND_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConnectFailed(QmpshError):
    exit_code = Exit.CONNECT_ERROR


class ConnectionLost(QmpshError):
    exit_code = Exit.CONNECTION_LOST


class NotConnected(QmpshError):
    exit_code = Exit.CONNECTION_LOST


class CommandTimeout(QmpshError):
    exit_code = Exit.TIMEOUT


class BadRequest(QmpshError):
    exit_code = Exit.PARSE_ERROR


StateListener = Callable[[str, str], None]
WarningListener = Callable[[str], None]

#: how many ids of requests still awaiting a reply are remembered by name
_NAMES_KEPT = 1024


class _CutMessage(EOFError):
    """The stream ended in the middle of a message."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


#: messages read between two yields to the event loop (see _Adapter._do_recv)
_YIELD_EVERY = 32


class _Adapter(QMPClient):
    """QMPClient with its I/O hooks pointed at a `Connection`."""

    def __init__(self, owner: Connection, readbuflen: int) -> None:
        super().__init__(None, readbuflen)
        self._owner = owner
        self._received = 0

    def _cb_outbound(self, msg: Message) -> Message:
        return msg  # the base class formats every message for debug logging

    def _cb_inbound(self, msg: Message) -> Message:
        return msg

    async def _do_recv(self) -> Message:
        self._received += 1
        if not self._received % _YIELD_EVERY:
            # Lines already in the buffer are read without waiting on the
            # socket, so a flood of events (up to the 10 MiB read buffer)
            # would otherwise hold the loop: let keys and screen run now and then.
            await asyncio.sleep(0)
        data = await self._readline()

        log = self._owner.wirelog
        agent = self._owner.agent
        while agent is not None:  # guest agent: drop stale lines while syncing
            kept = agent.filter(data)
            if kept is not None:
                data = kept
                break
            if log is not None:
                log.write("in", data, valid=False)
            data = await self._readline()
        self._owner.last_input = data
        if not data.endswith(b"\n"):  # EOF in the middle of a line
            if log is not None:
                log.write("in", data, valid=False)
            self._owner.reader_failure = _CutMessage(len(data))
            raise self._owner.reader_failure
        try:
            msg = Message(data, eager=True)
        except Exception as err:  # not JSON, not an object, or nested too deeply
            if log is not None:
                log.write("in", data, valid=False)
            self._owner.last_bad_input = data
            self._owner.reader_failure = err
            raise
        if log is not None:
            log.write("in", data)
        return msg

    def _do_send(self, msg: Message) -> None:
        data = bytes(msg) + b"\n"
        obj = msg._object
        if self._owner.wirelog is not None:
            self._owner.wirelog.write("out", data, message=obj)
        msg_id = obj.get("id")
        if msg_id.__class__ is str:  # remembered to name a late reply
            self._owner._sent(msg_id, obj.get("execute") or obj.get("exec-oob"))
        assert self._writer is not None
        self._writer.write(data)

    async def _event_dispatch(self, msg: Message) -> None:
        self._owner.events.append(msg._object)

    async def _on_message(self, msg: Message) -> None:
        obj = msg._object
        if "id" in obj and "event" not in obj:
            msg_id = obj["id"]
            # qmp-spec: clients drop replies with an unknown id; a non-string
            # id (no request of ours has one) would not even be hashable
            if msg_id.__class__ is not str or msg_id not in self._pending:
                self._owner._dropped(msg_id)
                return
            self._owner._requests.pop(msg_id, None)
        await super()._on_message(msg)

    async def _negotiate(self) -> None:
        """``qmp_capabilities``, keeping events that arrive before its reply.

        The base class takes the next message for the reply; QEMU can emit
        an event first (a guest already running), so events are kept here.
        """
        arguments: dict[str, list[str]] = {}
        if self._greeting is not None and "oob" in self._greeting.QMP.capabilities:
            arguments["enable"] = ["oob"]
        await self._send(self.make_execute_msg("qmp_capabilities", arguments))
        try:
            while "event" in (reply := await self._recv()):
                self._owner.events.append(reply._object)
        except ProtocolError as err:
            raise NegotiationError("bad reply", err) from err
        if "return" not in reply or "error" in reply:
            error = reply.get("error")
            if isinstance(error, dict):
                why = f"{error.get('class', 'Error')}: {error.get('desc', '')}"
            else:
                why = f"got {clip(bytes(reply).decode())}"
            raise NegotiationError(why, ValueError())


class Connection:
    """One QMP session: connect (or accept), execute, events, disconnect."""

    def __init__(
        self,
        *,
        negotiate: bool = True,
        wirelog: WireLog | None = None,
        events: EventLog | None = None,
        read_limit: int = DEFAULT_READ_LIMIT,
        detect_agent: bool = True,
    ) -> None:
        self.negotiate = negotiate
        self.wirelog = wirelog
        self.events = events if events is not None else EventLog()
        self.read_limit = read_limit
        self.greeting: dict[str, Any] | None = None
        self.address: Address | None = None
        #: "idle", "connecting", "connected", "lost" or "closed"
        self.state = "idle"
        self.lost_reason = ""
        self.last_bad_input: bytes | None = None
        self.last_input: bytes | None = None
        #: why the reader stopped, when it was the server's data
        self.reader_failure: BaseException | None = None
        self._listeners: list[StateListener] = []
        self._warning_listeners: list[WarningListener] = []
        #: id -> command name, for requests sent and not yet answered
        self._requests: dict[str, Any] = {}
        #: detect a guest agent when no greeting comes (see qmpsh.qga)
        self.detect_agent = detect_agent
        #: set when talking to a guest agent (-N, or detected)
        self.agent: AgentSync | None = None
        self._client = self._new_client()
        self._watcher: asyncio.Task[None] | None = None
        self._closing = False

    def _new_client(self) -> _Adapter:
        client = _Adapter(self, self.read_limit)
        client.await_greeting = self.negotiate
        client.negotiate = self.negotiate
        return client

    # -- state -------------------------------------------------------------

    def on_state(self, listener: StateListener) -> Callable[[], None]:
        """Call ``listener(state, reason)`` whenever the state changes.

        Returns the call that removes the listener again.
        """
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def on_warning(self, listener: WarningListener) -> Callable[[], None]:
        """Call ``listener(text)`` for something the user should know about
        that is not an error of the current command (a dropped reply...).

        Returns the call that removes the listener again.
        """
        self._warning_listeners.append(listener)

        def remove() -> None:
            if listener in self._warning_listeners:
                self._warning_listeners.remove(listener)

        return remove

    def warn(self, text: str) -> None:
        if self.wirelog is not None:
            self.wirelog.note(text)
        for listener in tuple(self._warning_listeners):
            listener(text)

    def _sent(self, msg_id: str, name: Any) -> None:
        requests = self._requests
        if len(requests) >= _NAMES_KEPT:  # replies that never came
            del requests[next(iter(requests))]
        requests[msg_id] = name

    def _dropped(self, msg_id: object) -> None:
        name = self._requests.pop(msg_id, None) if isinstance(msg_id, str) else None
        if name is not None:
            self.warn(
                f"dropped a late reply to {name} (id {msg_id}): qmpsh had "
                "stopped waiting for it"
            )
        else:
            shown = (
                clip(msg_id) if isinstance(msg_id, str) else clip(json.dumps(msg_id))
            )
            self.warn(f"dropped a reply with an unknown id {shown}")

    def _set_state(self, state: str, reason: str = "") -> None:
        self.state = state
        if self.wirelog is not None and state in ("connected", "lost", "closed"):
            self.wirelog.note(f"{state} {self.address} {reason}".strip())
        for listener in tuple(self._listeners):
            listener(state, reason)

    @property
    def connected(self) -> bool:
        return self.state == "connected"

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
        self, address: Address, timeout: float = DEFAULT_CONNECT_TIMEOUT
    ) -> None:
        """Connect, read the greeting and negotiate, or raise `ConnectFailed`."""
        self.address = address
        self._set_state("connecting")
        self.agent = None
        if not self.negotiate:
            from qmpsh.qga import AgentSync

            self.agent = AgentSync()
        # one budget for connecting, the agent probe and the greeting
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout

        def left() -> float:
            return max(deadline - loop.time(), 0.001)

        try:
            sock = await _open_socket(address, timeout)
            if self.negotiate and self.detect_agent:
                sock = await self._detect(sock, address, left(), timeout)
        except ConnectFailed:
            self._set_state("idle")
            raise
        await self._start_session(sock, left(), total=timeout)
        if self.agent is not None and self.agent.needed:
            await self._first_sync(timeout)

    @property
    def guest_agent(self) -> bool:
        """Whether the server is a guest agent (-N, or detected)."""
        return self.agent is not None

    async def _detect(
        self,
        sock: socket.socket,
        address: Address,
        timeout: float,
        total: float | None = None,
    ) -> socket.socket:
        """The socket to start the session on, as QMP or as a guest agent."""
        from qmpsh.qga import AgentSync, probe

        log = self.wirelog
        kind = await probe(
            sock,
            min(AGENT_GREETING_WAIT, timeout / 2),
            timeout,
            (lambda d, data: log.write(d, data, valid=False)) if log else None,
        )
        if kind == "qmp":
            return sock
        if kind == "agent":  # in step already: the probe was a sync round
            self.agent = AgentSync()
            self.agent.needed = False
            self._client.await_greeting = False
            self._client.negotiate = False
            return sock
        sock.close()
        if kind == "late-qmp":  # a slow QEMU: it has our probe; start afresh
            return await _open_socket(address, timeout)
        raise ConnectFailed(
            f"connected to {address} but no QMP greeting came within "
            f"{total or timeout:g} s, and no guest agent answered "
            "guest-sync-delimited: the monitor is busy, another client probably "
            "holds it (QEMU serves one QMP client at a time)"
        )

    async def _first_sync(self, timeout: float) -> None:
        try:
            await self._resync(timeout)
        except QmpshError as err:
            await self.close()
            self._set_state("idle")
            raise ConnectFailed(
                f"{self.address} is not a guest agent in step with us: {err.message}"
            ) from None

    async def listen(self, address: Address) -> None:
        """Listen on *address* for the server to connect to us (accept mode)."""
        self.address = address
        self._set_state("connecting")
        try:
            await self._client.start_server(address.target)
        except (ConnectError, OSError) as err:
            self._set_state("idle")
            cause = err.exc if isinstance(err, ConnectError) else err
            raise ConnectFailed(
                f"cannot listen on {address}: {_os_text(cause)}"
            ) from None

    async def accept(self, timeout: float | None = None) -> None:
        """Wait for the server to connect to the address given to `listen`."""
        try:
            await asyncio.wait_for(self._client.accept(), timeout)
        except TimeoutError:
            self._set_state("idle")
            raise ConnectFailed(
                f"nothing connected to {self.address} within {timeout:g} s"
            ) from None
        except ConnectError as err:
            self._set_state("idle")
            raise ConnectFailed(self._session_error(err.exc)) from None
        self._started()

    async def _start_session(
        self, sock: socket.socket, timeout: float, total: float | None = None
    ) -> None:
        try:
            await asyncio.wait_for(self._client.connect(sock), timeout)
        except TimeoutError:
            self._set_state("idle")
            sock.close()
            raise ConnectFailed(
                f"connected to {self.address} but no QMP greeting came within "
                f"{total or timeout:g} s: the monitor is busy, another client "
                "probably holds it (QEMU serves one QMP client at a time), or "
                "it is a guest agent (use -N)"
            ) from None
        except ConnectError as err:
            self._set_state("idle")
            raise ConnectFailed(self._session_error(err.exc)) from None
        self._started()

    def _started(self) -> None:
        greeting = self._client.greeting
        self.greeting = dict(greeting._raw) if greeting is not None else None
        self.lost_reason = ""
        self.reader_failure = None
        self._closing = False
        self._watcher = asyncio.ensure_future(self._watch())
        self._set_state("connected")

    def _session_error(self, exc: BaseException) -> str:
        where = str(self.address)
        if isinstance(exc, EOFError):
            return (
                f"{where} closed the connection before the QMP greeting "
                "(is another client connected, or is it not a QMP server?)"
            )
        name = type(exc).__name__
        if name == "GreetingError":
            seen = self.last_input
            got = f": got {clip(seen.decode('utf-8', 'replace'))}" if seen else ""
            return f"{where} did not send a QMP greeting{got}"
        if name == "NegotiationError":
            assert isinstance(exc, NegotiationError)
            why = exc.error_message
            if isinstance(exc.exc, ProtocolError):
                why = self._lost_text(exc.exc).removeprefix("the server ")
            return f"capabilities negotiation with {where} failed: {why}"
        if isinstance(exc, ValueError | RecursionError):
            return f"{where}: {self._lost_text(exc)}"
        if isinstance(exc, OSError):
            return f"connection to {where} failed: {_os_text(exc)}"
        return f"session with {where} failed: {exc}"

    # -- losing ------------------------------------------------------------

    async def _watch(self) -> None:
        client = self._client
        while client.runstate == Runstate.RUNNING:
            await client.runstate_changed()
        if self._closing:
            return
        reason = await self._reap()
        self.lost_reason = reason
        self._set_state("lost", reason)

    async def _reap(self) -> str:
        """Finish a disconnect the server caused; say why it happened."""
        failure: BaseException | None = None
        try:
            await self._client.disconnect()
        except Exception as err:
            failure = err
        # what the reader saw explains more than a write to a closed socket
        failure = self.reader_failure or failure
        if isinstance(failure, _CutMessage):
            return (
                f"{self.address} closed the connection in the middle of a "
                f"message ({failure.size} bytes of it arrived)"
            )
        if failure is None or isinstance(failure, EOFError):
            return f"{self.address} closed the connection"
        return self._lost_text(failure)

    def _lost_text(self, err: BaseException) -> str:
        name = type(err).__name__
        if name == "DeserializationError" or isinstance(err, UnicodeDecodeError):
            bad = self.last_bad_input or b""
            return f"the server sent data that is not JSON: {clip(bad.decode('utf-8', 'backslashreplace'))}"
        if name == "UnexpectedTypeError":
            bad = self.last_bad_input or b""
            return f"the server sent JSON that is not an object: {clip(bad.decode('utf-8', 'backslashreplace'))}"
        if name == "ServerParseError":
            return "the server reported that it could not parse our input"
        if isinstance(err, ValueError) and "limit" in str(err):
            return (
                f"a message longer than the read limit ({self.read_limit} bytes) "
                "arrived (raise it with --read-limit)"
            )
        if isinstance(err, RecursionError) or "recursion" in str(err):
            return "the server sent JSON nested too deeply"
        if isinstance(err, ConnectionResetError | BrokenPipeError):
            # the server went away while we were writing to it
            return f"{self.address} closed the connection ({_os_text(err)})"
        if isinstance(err, OSError):
            return f"connection to {self.address} failed: {_os_text(err)}"
        return f"connection to {self.address} failed: {name}: {err}"

    async def close(self) -> None:
        """Disconnect (idempotent); never raises."""
        self._closing = True
        with contextlib.suppress(Exception):  # already reported, or moot now
            await self._client.disconnect()

        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None
        if self.state != "idle":
            self._set_state("closed")

    def reset(self) -> None:
        """Forget a lost session so that `connect` can be called again."""
        self._client = self._new_client()
        self._set_state("idle")

    # -- commands ----------------------------------------------------------

    async def execute(
        self, message: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        """Send *message* and return the server's reply as a dict.

        The id this class assigns is removed from the reply; one the caller
        gave is kept.  Raises `NotConnected`, `ConnectionLost`,
        `CommandTimeout` or `BadRequest`; an error reply is returned, not
        raised.
        """
        if self.agent is None:
            return await self._execute_now(message, timeout)
        async with self.agent.lock:  # one request at a time to a guest agent
            if self.agent.needed:
                await self._resync(timeout)
            try:
                return await self._execute_now(message, timeout)
            except CommandTimeout:
                self.agent.needed = True  # its late reply may still come
                raise

    async def _resync(self, timeout: float | None) -> None:
        """A guest-sync-delimited round (the caller holds the agent lock)."""
        from qmpsh.qga import SyncError

        assert self.agent is not None
        wait = AGENT_SYNC_TIMEOUT if timeout is None else max(timeout, 1.0)
        try:
            await self.agent.resync(
                self.send_raw, lambda msg: self._execute_now(msg, wait)
            )
        except CommandTimeout:
            raise CommandTimeout(
                f"the guest agent did not answer guest-sync-delimited within "
                f"{wait:g} s (busy with an earlier command, or not running?)"
            ) from None
        except SyncError as err:
            raise ConnectionLost(str(err)) from None

    def send_raw(self, data: bytes) -> None:
        """Write bytes that are not a message (the guest agent's 0xFF)."""
        writer = self._client._writer
        if writer is None or self.state != "connected":
            raise NotConnected(self._not_connected_text())
        if self.wirelog is not None:
            self.wirelog.write("out", data, valid=False)
        writer.write(data)

    async def _execute_now(
        self, message: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        auto = "id" not in message
        if not auto:
            given = message["id"]
            if not isinstance(given, str) or given.startswith(AUTO_ID_PREFIX):
                raise BadRequest(
                    f"a custom id must be a string not starting with "
                    f"{AUTO_ID_PREFIX!r}, not {clip(repr(given))}"
                )
        if self.state != "connected":
            raise NotConnected(self._not_connected_text())
        try:
            call = self._client._raw(message, assign_id=auto)
            if timeout is None:
                reply = await call
            else:
                reply = await asyncio.wait_for(call, timeout)
        except (ExecInterruptedError, StateError):
            await self._settle()
            raise ConnectionLost(
                self.lost_reason or "the connection was lost"
            ) from None
        except TimeoutError:
            raise CommandTimeout(
                f"no reply to {_command_name(message)} within {timeout:g} s"
            ) from None
        except ValueError as err:  # the id is already in use
            raise BadRequest(str(err)) from None
        except RecursionError:
            raise BadRequest(
                f"{_command_name(message)}: the request is nested too deeply to send"
            ) from None
        except (TypeError, AssertionError) as err:  # not JSON-serializable...
            raise BadRequest(f"cannot send {clip(repr(message))}: {err}") from None
        obj: dict[str, Any] = reply._object
        if auto:
            obj.pop("id", None)
        return obj

    async def _settle(self) -> None:
        """Let the watcher record why the connection went away."""
        if self._watcher is not None and not self._watcher.done():
            await asyncio.wait([self._watcher], timeout=5)

    def _not_connected_text(self) -> str:
        if self.state == "lost":
            return f"not connected: {self.lost_reason}"
        return "not connected"

    def send_fd(self, fd: int) -> None:
        """Pass *fd* to the server with SCM_RIGHTS (unix sockets only)."""
        self._client.send_fd_scm(fd)

    async def send_fd_before(self, fd: int) -> None:
        """Pass *fd* now, for the next command to consume (getfd, add-fd).

        The descriptor travels with one byte sent beside asyncio's buffer,
        so whatever is still buffered goes out first: the byte then falls
        between two messages, never inside one.  Raises `BadRequest` on a
        connection that is not a unix socket.
        """
        if self.state != "connected":
            raise NotConnected(self._not_connected_text())
        if not isinstance(self.address, UnixAddress):
            raise BadRequest(
                f"passing a file descriptor needs a unix socket, and {self.address} "
                "is TCP"
            )
        writer = self._client._writer
        if writer is not None:
            while writer.transport.get_write_buffer_size():
                await asyncio.sleep(0.001)
        try:
            self._client.send_fd_scm(fd)
        except OSError as err:
            raise ConnectionLost(
                f"could not pass the descriptor: {_os_text(err)}"
            ) from None


def _command_name(message: dict[str, Any]) -> str:
    name = message.get("execute", message.get("exec-oob", "the request"))
    return str(name)


def _os_text(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.lower() if err.strerror[0].isupper() else err.strerror
    return str(err) or type(err).__name__


async def _open_socket(address: Address, timeout: float) -> socket.socket:
    """A connected, non-blocking socket, or `ConnectFailed` saying why not."""
    loop = asyncio.get_running_loop()
    if isinstance(address, UnixAddress):
        path = address.path
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise ConnectFailed(
                f"no socket at {path} (is QEMU running with "
                f"-qmp unix:{path},server=on,wait=off?)"
            ) from None
        except OSError as err:
            raise ConnectFailed(f"cannot reach {path}: {_os_text(err)}") from None
        if not stat.S_ISSOCK(st.st_mode):
            raise ConnectFailed(f"{path} exists but is not a socket")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        await _connect_unix(loop, sock, address, timeout)
        return sock
    assert isinstance(address, TcpAddress)
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(address.host, address.port, type=socket.SOCK_STREAM),
            timeout,
        )
    except (socket.gaierror, TimeoutError):
        raise ConnectFailed(f"cannot resolve host {address.host!r}") from None
    last: ConnectFailed | None = None
    for family, kind, proto, _, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            await _connect_sock(loop, sock, sockaddr, address, timeout)
        except ConnectFailed as err:
            last = err
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise last or ConnectFailed(f"cannot resolve host {address.host!r}")


async def _connect_sock(
    loop: asyncio.AbstractEventLoop,
    sock: socket.socket,
    target: Any,
    address: Address,
    timeout: float,
) -> None:
    try:
        await asyncio.wait_for(loop.sock_connect(sock, target), timeout)
    except TimeoutError:
        sock.close()
        raise ConnectFailed(
            f"timed out connecting to {address} after {timeout:g} s"
        ) from None
    except OSError as err:
        sock.close()
        raise _connect_error(err, address) from None


def _connect_error(err: OSError, address: Address) -> ConnectFailed:
    if err.errno == errno.ECONNREFUSED:
        if isinstance(address, UnixAddress):
            return ConnectFailed(
                f"nothing is listening on {address} (QEMU has exited and "
                "left its socket file behind?)"
            )
        return ConnectFailed(f"connection refused by {address}")
    return ConnectFailed(f"cannot connect to {address}: {_os_text(err)}")


async def _connect_unix(
    loop: asyncio.AbstractEventLoop,
    sock: socket.socket,
    address: UnixAddress,
    timeout: float,
) -> None:
    """Connect a non-blocking unix socket, waiting while the server is busy.

    QEMU serves one monitor client at a time and leaves the others in its
    listen queue; when that queue is full, connect(2) on a unix socket fails
    with EAGAIN at once (it does not wait as TCP does), so retry until the
    timeout instead of reporting the monitor as gone.
    """
    deadline = loop.time() + timeout
    delay = 0.005
    while True:
        try:
            sock.connect(address.path)
            return
        except BlockingIOError:
            if loop.time() + delay >= deadline:
                sock.close()
                raise ConnectFailed(
                    f"timed out connecting to {address} after {timeout:g} s: the "
                    "monitor is busy (QEMU serves one QMP client at a time and "
                    "its queue of waiting clients stayed full)"
                ) from None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)
        except OSError as err:
            sock.close()
            raise _connect_error(err, address) from None
