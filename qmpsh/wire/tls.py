"""The ``tls://HOST:PORT`` transport: QEMU's monitor on a TLS socket
(``-object tls-creds-x509,id=tls0,dir=DIR,endpoint=server,verify-peer=on``
and ``-chardev socket,...,tls-creds=tls0``).

`TlsSocket.open` connects, does the handshake (the server's certificate
checked against ``--tls-ca``, else the system's CAs, and against the host
name, or ``--tls-hostname``; the ``--tls-cert``/``--tls-key`` pair
presented), and hands the session one end of a socketpair; a task (`Pump`)
carries the bytes between its other end and the TLS stream.  ``qemu.qmp``
thus talks to a plain socket, as on every transport.

**QEMU 7.2 and older stall on TLS.**  A QMP monitor asks its chardev for one
byte at a time, one byte per main-loop wake-up, and the loop wakes when the
socket is readable.  Over TLS, the first one-byte read makes GnuTLS take the
whole record off the socket, decrypt it, return one byte and keep the rest
buffered inside GnuTLS, where the loop does not look (QEMU 8.0 added that:
"io/channel-tls: fix handling of bigger read buffers").  The socket is
empty, so the rest of a request waits for the next record to arrive: each
reply comes one request late, and the negotiation never finishes.  The
pump therefore sends the last byte of everything it writes as a record of
its own: while that one-byte record sits in the socket, the loop keeps
waking and drains the record before it; the one-byte record itself leaves
nothing behind when read.  The bytes are the same, only the record
boundaries differ, so QEMUs without the bug see no difference.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import socket
import ssl
from typing import TYPE_CHECKING

from qmpsh.core.errors import ConnectFailed, ConnectionLost, QmpshError
from qmpsh.core.exitcodes import Exit
from qmpsh.core.text import os_text
from qmpsh.wire.address import AddressError, TcpAddress, parse_address
from qmpsh.wire.stream import open_socket
from qmpsh.wire.tlstext import (
    closed_after_handshake,
    handshake_text,
    no_handshake_text,
)
from qmpsh.wire.transport import NoGreeting, Transport

if TYPE_CHECKING:
    from qmpsh.core.settings import Settings

FORM = "tls://HOST:PORT"
#: what the pump reads at once, from either side
CHUNK = 65536


class TlsSetupError(QmpshError):
    """A --tls-* file that cannot be used (a usage error, exit 2)."""

    exit_code = Exit.USAGE


def parse(text: str) -> TlsSocket:
    """The transport for ``tls://HOST:PORT``, or `AddressError`."""
    rest = text[len("tls://") :] if text.startswith("tls://") else ""
    try:
        address = parse_address(rest.removesuffix("/")) if rest else None
    except AddressError:
        address = None
    if not isinstance(address, TcpAddress):
        raise AddressError(
            f"cannot read {text!r}: expected {FORM} (or tls://[IPv6]:PORT)"
        )
    return TlsSocket(address.host, address.port)


class TlsSocket(Transport):
    """A TLS client connection to ``HOST:PORT``; see the module's docstring."""

    kind = "a TLS connection"

    def __init__(self, host: str, port: int) -> None:
        self.address = TcpAddress(host, port)
        self.ca = self.cert = self.key = self.hostname = ""
        self._context: ssl.SSLContext | None = None
        self.pump: Pump | None = None

    @property
    def name(self) -> str:
        return f"tls://{self.address}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TlsSocket) and other.address == self.address

    def __hash__(self) -> int:
        return hash(self.address)

    def __repr__(self) -> str:
        return f"TlsSocket({self.address.host!r}, {self.address.port})"

    def configure(self, settings: Settings, interactive: bool = False) -> None:
        self.ca, self.cert, self.key = (
            os.path.expanduser(path)
            for path in (settings.tls_ca, settings.tls_cert, settings.tls_key)
        )
        self.hostname = settings.tls_hostname
        if self.key and not self.cert:
            raise AddressError("--tls-key is the key of --tls-cert: give that too")
        self._context = None

    def context(self) -> ssl.SSLContext:
        """The client's TLS context, made once; `TlsSetupError` for a file
        that cannot be used."""
        if self._context is None:
            self._context = client_context(self.ca, self.cert, self.key)
        return self._context

    @property
    def server_name(self) -> str:
        return self.hostname or self.address.host

    async def open(self, timeout: float | None, agent: bool = False) -> socket.socket:
        await self.close()
        context = self.context()
        loop = asyncio.get_running_loop()
        deadline = math.inf if timeout is None else loop.time() + timeout
        try:
            sock = await open_socket(
                self.address, math.inf if timeout is None else timeout
            )
        except ConnectFailed as err:  # named as the user wrote it
            text = err.message.replace(str(self.address), self.name, 1)
            raise ConnectFailed(text) from None
        left = max(deadline - loop.time(), 0.001)
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    sock=sock,
                    ssl=context,
                    server_hostname=self.server_name,
                    ssl_handshake_timeout=None if math.isinf(left) else left + 5,
                    limit=CHUNK,
                ),
                None if math.isinf(left) else left,
            )
        except TimeoutError:
            sock.close()
            seconds = timeout if timeout is not None else left
            raise ConnectFailed(no_handshake_text(self.name, seconds)) from None
        except OSError as err:  # ssl.SSLError too
            sock.close()
            plain = str(self.address)
            text = handshake_text(self.name, err, self.server_name, self.ca, plain)
            raise ConnectFailed(text) from None
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        theirs.setblocking(False)
        self.pump = Pump(reader, writer, theirs)
        return ours

    async def failed(self, error: QmpshError) -> QmpshError:
        """QEMU hanging up right after the handshake is its refusal of our
        client certificate; a TLS error of the pump's says what broke."""
        pump = self.pump
        if pump is None or isinstance(error, NoGreeting):
            return error
        await pump.finished(1)
        if isinstance(error, ConnectFailed) and pump.received == 0 and pump.ended:
            return ConnectFailed(closed_after_handshake(self.name, self.cert))
        if pump.error is not None and isinstance(error, ConnectionLost):
            return ConnectionLost(
                f"the TLS connection to {self.name} failed: {_error_words(pump.error)}"
            )
        return error

    async def close(self) -> None:
        pump, self.pump = self.pump, None
        if pump is not None:
            await pump.stop()


class Pump:
    """Carries bytes between the local end of a socketpair and the TLS
    stream, each write's last byte in a TLS record of its own (QEMU 7.2)."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        local: socket.socket,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.local = local
        #: bytes that came from the server
        self.received = 0
        #: the server closed the connection (or it broke: `error`)
        self.ended = False
        self.error: BaseException | None = None
        self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        local_reader, local_writer = await asyncio.open_connection(
            sock=self.local, limit=CHUNK
        )
        up = asyncio.ensure_future(self._up(local_reader))
        down = asyncio.ensure_future(self._down(local_writer))
        try:
            await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            up.cancel()
            down.cancel()
            local_writer.close()  # the session reads the end (after the rest)
            self.writer.transport.abort()  # closing TLS may wait on the server

    async def _up(self, local: asyncio.StreamReader) -> None:
        """From the session to the server."""
        while data := await local.read(CHUNK):
            try:
                if len(data) > 1:
                    self.writer.write(data[:-1])
                self.writer.write(data[-1:])  # a record of its own
                await self.writer.drain()
            except OSError as err:  # ssl.SSLError too
                self.error = err
                return

    async def _down(self, local: asyncio.StreamWriter) -> None:
        """From the server to the session."""
        try:
            while data := await self.reader.read(CHUNK):
                self.received += len(data)
                local.write(data)
                await local.drain()
        except OSError as err:  # ssl.SSLError too
            self.error = err
        self.ended = True
        with contextlib.suppress(OSError):
            await local.drain()

    async def finished(self, wait: float) -> None:
        """Until the pump has stopped, at most *wait* seconds."""
        await asyncio.wait({self.task}, timeout=wait)

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(BaseException):
            await self.task
        self.writer.transport.abort()
        self.local.close()


def client_context(ca: str, cert: str, key: str) -> ssl.SSLContext:
    """A client context that checks the server's certificate and name (and
    presents *cert*), or `TlsSetupError` naming the file that is wrong."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # checks certificate and name
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca:
        try:
            context.load_verify_locations(cafile=ca)
        except ssl.SSLError:  # (an OSError too)
            raise TlsSetupError(
                f"--tls-ca {ca}: no CA certificate in it (expected PEM)"
            ) from None
        except OSError as err:
            raise TlsSetupError(
                f"--tls-ca {ca}: cannot read it: {os_text(err)}"
            ) from None
    else:
        context.load_default_certs()
    if cert:
        try:
            context.load_cert_chain(cert, key or None)
        except ssl.SSLError as err:  # (an OSError too)
            if err.reason == "KEY_VALUES_MISMATCH":
                raise TlsSetupError(
                    f"--tls-key {key or cert} is not the key of --tls-cert {cert}"
                ) from None
            files = f"--tls-cert {cert}" + (f" or --tls-key {key}" if key else "")
            raise TlsSetupError(
                f"{files}: no PEM certificate and private key in it"
            ) from None
        except OSError as err:
            missing = key if key and os.path.exists(cert) else ""
            which = f"--tls-key {missing}" if missing else f"--tls-cert {cert}"
            raise TlsSetupError(f"{which}: cannot read it: {os_text(err)}") from None
    return context


def _error_words(err: BaseException) -> str:
    if isinstance(err, ssl.SSLError) and err.reason:
        return err.reason.replace("_", " ").lower()
    return os_text(err)
