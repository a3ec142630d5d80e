"""The proxy at work: listening sockets, clients, the server, signals.

`Proxy.run` binds every ``--listen`` socket (mode 0600; a stale socket
nobody listens on is replaced, anything else at the path is refused:
`qmpsh.wire.listen.clear_stale_socket`), connects to the server, then
serves clients until a signal or until the server is lost for good.  A
client that connects while the server is away waits for its greeting
until the server is back.

When the server goes away (QEMU quit, restarted, crashed), every client
is hung up on, as QEMU would, and the proxy reconnects: ``--retries``
attempts, the first after ``--retry-delay`` seconds, each next one after
twice as long (up to 30 s); clients are served again once it is back.
Each step is one line on stderr.

Exit codes (`Exit`): 2 a ``--listen`` path that cannot be used, 4 the
server cannot be reached at the start, 5 it was lost and did not come
back within the attempts, 129/130/143 SIGHUP/SIGINT/SIGTERM (the sockets
removed).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qmpsh.core.errors import ConnectFailed, QmpshError
from qmpsh.core.exitcodes import Exit
from qmpsh.proxy.client import Client
from qmpsh.proxy.upstream import Upstream
from qmpsh.wire.listen import bind_unix, clear_stale_socket
from qmpsh.wire.reconnect import backoff

if TYPE_CHECKING:
    from qmpsh.proxy.spec import ListenSpec
    from qmpsh.wire.transport import Transport
    from qmpsh.wire.wirelog import WireLog

#: clients served at once; one more is hung up on at once
MAX_CLIENTS = 100
BACKLOG = 64

#: the signals that stop the proxy: the exit code, and the line it leaves
SIGNALS: dict[signal.Signals, tuple[Exit, str]] = {
    signal.SIGINT: (Exit.INTERRUPTED, "interrupted"),
    signal.SIGTERM: (Exit.TERMINATED, "terminated (SIGTERM)"),
    signal.SIGHUP: (Exit.HANGUP, "hung up (SIGHUP)"),
}


@dataclass(frozen=True)
class Options:
    connect_timeout: float | None
    read_limit: int
    retries: int
    retry_delay: float
    verbose: bool
    redact: bool


class Proxy:
    def __init__(
        self,
        transport: Transport,
        specs: list[ListenSpec],
        options: Options,
        say: Callable[[str], None],
        log: WireLog | None = None,
    ) -> None:
        self.specs = specs
        self.options = options
        self.say = say
        #: the wire log (-l): each client's conversation (`qmpsh.proxy.clientlog`)
        self.log = log
        self.upstream = Upstream(
            transport,
            read_limit=options.read_limit,
            connect_timeout=options.connect_timeout,
            on_event=self._event,
            on_lost=self._lost,
            note=self._note,
        )
        self.clients: dict[Client, asyncio.Task[None]] = {}
        self._count = 0
        self._ready = asyncio.Event()
        self._done: asyncio.Future[int] | None = None
        self._bound: list[tuple[str, int]] = []  # path, inode
        self._servers: list[asyncio.Server] = []
        self._socks: list[socket.socket] = []
        self._reconnecting: asyncio.Task[None] | None = None

    def _note(self, text: str) -> None:
        if self.options.verbose:
            self.say(text)

    def _said(self, text: str) -> None:
        """Say *text* on stderr, and note it in the wire log."""
        self.say(text)
        if self.log is not None:
            self.log.note(text)

    async def run(self) -> int:
        """Serve until stopped; the exit code."""
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        installed = []
        for signum, (code, line) in SIGNALS.items():
            if signal.getsignal(signum) == signal.SIG_IGN:
                continue
            loop.add_signal_handler(signum, self._stop, int(code), line)
            installed.append(signum)
        try:
            return await self._run()
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)
            await self._shutdown()

    async def _run(self) -> int:
        assert self._done is not None
        try:
            socks = [self._bind(spec) for spec in self.specs]
        except ConnectFailed as err:
            self.say(err.message)
            return int(Exit.USAGE)
        opening = asyncio.ensure_future(self.upstream.open())
        waits: list[asyncio.Future[object]] = [opening, self._done]  # type: ignore[list-item]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        if self._done.done():
            opening.cancel()
            with contextlib.suppress(BaseException):
                await opening
            return self._done.result()
        try:
            opening.result()
        except QmpshError as err:
            self.say(err.message)
            return int(Exit.CONNECT_ERROR)
        self._ready.set()
        for spec, sock in zip(self.specs, socks, strict=True):
            server = await asyncio.start_unix_server(
                self._accepting(spec), sock=sock, limit=self.options.read_limit
            )
            self._servers.append(server)
        where = ", ".join(spec.describe() for spec in self.specs)
        self._said(f"serving {self.upstream.name} on {where}")
        return await self._done

    def _bind(self, spec: ListenSpec) -> socket.socket:
        clear_stale_socket(spec.path)
        try:
            sock = bind_unix(spec.path, BACKLOG)
        except OSError as err:
            raise ConnectFailed(
                f"cannot listen on {spec.path}: {err.strerror}"
            ) from None
        self._socks.append(sock)
        self._bound.append((spec.path, os.stat(spec.path).st_ino))
        return sock

    def _stop(self, code: int, line: str) -> None:
        if self._done is not None and not self._done.done():
            self._said(line)
            self._done.set_result(code)

    # -- clients -------------------------------------------------------------

    def _accepting(
        self, spec: ListenSpec
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
        async def accepted(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            self._count += 1
            label = f"client {self._count}{_peer(writer)} on {spec.path}"
            if len(self.clients) >= MAX_CLIENTS:
                self.say(f"{label}: {MAX_CLIENTS} clients already: hung up on")
                writer.close()
                return
            log = None
            if self.log is not None:
                from qmpsh.proxy.clientlog import ClientLog

                log = ClientLog(self.log, label)
            client = Client(
                label,
                reader,
                writer,
                spec,
                read_limit=self.options.read_limit,
                verbose=self.options.verbose,
                redact=self.options.redact,
                say=self.say,
                log=log,
            )
            task = asyncio.current_task()
            assert task is not None
            self.clients[client] = task
            client.note("connected")
            try:
                await self._ready.wait()
                await client.serve(self.upstream)
            except asyncio.CancelledError:
                # hung up on (QEMU went away, the proxy stops): an end, not
                # an error (asyncio's stream server would print one)
                pass
            finally:
                self.clients.pop(client, None)
                await client.close()

        return accepted

    def _event(self, line: bytes) -> None:
        for client in list(self.clients):
            client.event(line)

    # -- losing the server ---------------------------------------------------

    def _lost(self, reason: str) -> None:
        self._ready.clear()
        count = len(self.clients)
        retries = self.options.retries
        then = (
            f"reconnecting ({_attempts(retries)})"
            if retries
            else "no --retries: stopping"
        )
        clients = f"{count} client{'' if count == 1 else 's'} hung up on"
        self._said(f"{reason}: {clients}; {then}")
        for task in list(self.clients.values()):
            task.cancel()
        self._reconnecting = asyncio.ensure_future(self._reconnect())

    async def _reconnect(self) -> None:
        options = self.options
        last = ""
        for attempt in range(1, options.retries + 1):
            await asyncio.sleep(backoff(options.retry_delay, attempt))
            try:
                await self.upstream.open()
            except QmpshError as err:
                last = err.message
                self._note(f"attempt {attempt} of {options.retries}: {last}")
                continue
            self._said(f"reconnected to {self.upstream.name} (attempt {attempt})")
            self._ready.set()
            return
        if options.retries:
            self._said(
                f"gave up: {self.upstream.name} did not come back in "
                f"{_attempts(options.retries)} ({last})"
            )
        if self._done is not None and not self._done.done():
            self._done.set_result(int(Exit.CONNECTION_LOST))

    # -- the end -------------------------------------------------------------

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        for sock in self._socks:
            sock.close()
        self._remove_sockets()
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        tasks = list(self.clients.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        await self.upstream.close()

    def _remove_sockets(self) -> None:
        """Remove the socket files bound here (not one that replaced them)."""
        for path, inode in self._bound:
            with contextlib.suppress(OSError):
                if os.stat(path).st_ino == inode:
                    os.unlink(path)
        self._bound = []


def _attempts(count: int) -> str:
    return f"{count} attempt{'' if count == 1 else 's'}"


def _peer(writer: asyncio.StreamWriter) -> str:
    """`` (pid 4242)``: who is at the other end, when the kernel says."""
    sock = writer.get_extra_info("socket")
    try:
        creds = sock.getsockopt(
            socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
        )
    except (OSError, AttributeError):
        return ""
    pid, _, _ = struct.unpack("3i", creds)
    return f" (pid {pid})" if pid else ""
