"""How qmpsh reaches a server: the `Transport` interface, and `SCHEMES`, the
table that reads an ADDRESS into one.

A transport hands `qmpsh.wire.connection.Connection` one connected stream
socket on which the server speaks QMP (or a guest agent its protocol);
``qemu.qmp`` runs the session on it, and the shell, batch mode and the
built-ins only ever see the connection.  Each way of reaching a server is a
module of this package:

=====================  ============================  ==============================
module                 transport                     how ``open`` gets the socket
=====================  ============================  ==============================
`qmpsh.wire.stream`    `UnixSocket`, `TcpSocket`     connects to ADDRESS
`qmpsh.wire.listen`    `Listen` (``--listen``)       waits for QEMU to connect to us
`qmpsh.wire.launch`    `Qemu` (``qmpsh wrap``)       starts QEMU, which connects to us
`qmpsh.wire.ssh`       `SshTunnel` (``ssh://``)      ``ssh -N -L`` forwards a local
                                                     socket to the remote one
`qmpsh.wire.tls`       `TlsSocket` (``tls://``)      a socketpair; a task pumps its
                                                     far end through TLS
`qmpsh.wire.libvirt`   `LibvirtDomain` (``libvirt:``)  a socketpair, served from libvirt's
                                                     monitor passthrough
=====================  ============================  ==============================

A guest agent is not a transport: it is a mode of the connection (no
greeting; `qmpsh.wire.agent`), on whatever transport may lead to one.

Adding a transport (``libvirt:``...)
------------------------------------

1. Add a module here, ``qmpsh/wire/NAME.py``, with a `Transport` subclass:
   `name` and `open` are all it must write; set the facts (`fd_passing`,
   `reopens`, `may_be_agent`, `kind`) where the defaults are wrong, and
   write `close` when `open` starts something (a process, a task),
   `failed` when that something can say why a session did not start and
   `lost` when it can say why one ended; `configure` when it takes
   settings (``ssh_command``, the ``tls_*`` files, ``--libvirt-uri``),
   `prestart` when its helper may start before the event loop, `notes`
   when the shell's toolbar should show something of it (libvirt's taint).
   A line it has to tell the user (libvirt taints the domain; ``--listen``
   waits for QEMU) goes through `note`, never straight to stderr: the
   session shows it where its own lines go (``qmpsh: LABEL: ...`` in
   fan-out, above the prompt in the shell).
   A transport with no socket of its own to hand over makes one with
   ``socket.socketpair()``: `open` returns one end, and a subprocess's
   stdin/stdout (``ssh HOST socat - UNIX-CONNECT:PATH``) or an asyncio task (a TLS pump, a bridge that
   answers QMP from another API) serves the other.
2. Give the module a function ``parse(text) -> Transport`` that reads the
   whole ADDRESS as typed (scheme included), raising
   `qmpsh.wire.address.AddressError` with one line when it is wrong.
3. Add one line to `SCHEMES`: ``"ssh": "qmpsh.wire.ssh:parse"``.
4. Add its rows to tests/unit/wire/test_transport.py, which also holds a
   worked example: ``Bridge``, a test-only transport of the socketpair kind.

Nothing else changes: the command line resolves every ADDRESS here
(`transport_for`; ``--listen`` takes a unix or TCP address only), the
session connects, reconnects and closes through the interface, and the
messages name the server by `Transport.name`.  The row
is imported only when an ADDRESS uses it, so a transport's imports (ssl,
subprocess, libvirt) cost nothing to the others' start-up.
"""

from __future__ import annotations

import abc
import importlib
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, cast

from qmpsh.core.errors import ConnectFailed, QmpshError
from qmpsh.wire.address import ENV_VAR, AddressError

if TYPE_CHECKING:
    import socket

    from qmpsh.core.settings import Settings


class Transport(abc.ABC):
    """One way of reaching a server: what `Connection.connect` opens.

    `open` may be called again on the same transport: to reconnect after
    the server went away (when `reopens`), or after `close`.  It then first
    lets go of what the previous `open` left (a helper process that is
    still there...).  The session calls `close` once it ends, however it
    ends (`Connection.close` does too); `close` is idempotent.
    """

    #: descriptors passed with SCM_RIGHTS reach the server (``getfd``,
    #: ``add-fd``, ``--pass-fd``): the socket is a unix socket whose peer
    #: is QEMU itself, not a helper in between
    fd_passing: bool = False
    #: what it is, in the refusal to pass a descriptor: "passing a file
    #: descriptor needs a unix socket, and ADDRESS is {kind}"
    kind: str = "not one"
    #: the shell may reconnect through it after the server went away
    reopens: bool = True
    #: a guest agent may be at the other end: without -N, qmpsh tells by
    #: probing; -N syncs with it.  False: the peer is QEMU, which connected
    #: to us, and -N only means no greeting
    may_be_agent: bool = True
    #: who is told the transport's notes (`on_note`); None: stderr
    _note_listener: Callable[[str], None] | None = None

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """The server as messages, the banner and the wire log name it:
        ``/run/qmp.sock``, ``host:4444``, ``ssh://host/run/qmp.sock``."""

    def __str__(self) -> str:
        return self.name

    def configure(self, settings: Settings, interactive: bool = False) -> None:  # noqa: B027 - most transports take no settings
        """Take what it needs of the session's *settings* before the first
        `open`; *interactive*: the interactive shell, whose first `open` runs
        before its UI owns the terminal (so a helper such as ssh may ask
        there for a passphrase).  Raises `AddressError` for a setting it
        cannot use.  Not called: the defaults and the environment apply."""

    def prestart(self) -> None:  # noqa: B027 - most transports have nothing to start early
        """Start, before the event loop runs, a helper that `open` will take
        on (ssh: its login overlaps the rest of qmpsh's start-up).  Called
        once `configure` is done, when the session is about to run; must not
        raise (`open` reports what went wrong)."""

    @abc.abstractmethod
    async def open(self, timeout: float | None, agent: bool = False) -> socket.socket:
        """A connected, non-blocking stream socket to the server.

        *timeout* is the whole budget of `Connection.connect` (None: no
        limit), of which the greeting gets what `open` leaves.  *agent*: a
        guest agent is expected (-N, or one answered here before): word
        the messages for one.  Raises `ConnectFailed` (or another
        `QmpshError`) with one line saying why not.  It may start helpers
        (a process, a task) that live until `close` or the next `open`.
        """

    async def failed(self, error: QmpshError) -> QmpshError:
        """The error to report when `open` or the session on its socket
        failed with *error* (the greeting did not come: `NoGreeting`; the
        server hung up...), or when a running session ended (a
        `ConnectionLost` whose message is the reason the shell shows).  A
        transport whose helper died says why it did (QEMU's exit status,
        ssh's complaint); by default *error* itself.
        """
        return error

    async def close(self) -> None:  # noqa: B027 - most transports have nothing to close
        """Let go of what `open` made (stop a helper, remove a socket file)."""

    def lost(self, reason: str) -> str:
        """The line that says why a running session ended, given the
        connection's own *reason* ("ADDRESS closed the connection"): a
        transport that knows better says so (the libvirt domain stopped)."""
        return reason

    @property
    def notes(self) -> tuple[str, ...]:
        """What the shell's toolbar shows of the server besides its name
        (libvirt's taint of the domain); none by default."""
        return ()

    def on_note(self, listener: Callable[[str], None] | None) -> None:
        """Hand the transport's notes (`note`) to *listener* from now on:
        whoever runs the session, which says them where its lines go (its
        console); None: on stderr again."""
        self._note_listener = listener

    def note(self, text: str) -> None:
        """Tell the user *text*, one line about reaching the server (without
        the ``qmpsh:``): to the listener of `on_note`, else on stderr through
        the output gate (`qmpsh.core.output.say`)."""
        if self._note_listener is not None:
            self._note_listener(text)
            return
        from qmpsh.core.output import say

        say(text)


class NoGreeting(ConnectFailed):
    """The socket was there, but the QMP greeting did not come within
    *seconds* (a `Transport.failed` may word that for its kind of peer)."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds


#: How an ADDRESS is read: its scheme picks the row, ``"module:function"``
#: with the function taking the whole ADDRESS and returning the transport
#: (imported on use).  A scheme is ``NAME:`` for the names listed here and
#: ``NAME://`` for any name (an unlisted one is refused); an ADDRESS without
#: a scheme is a socket path, ``HOST:PORT`` or ``[IPv6]:PORT`` (row "").
SCHEMES: dict[str, str] = {
    "": "qmpsh.wire.stream:parse",
    "unix": "qmpsh.wire.stream:parse",
    "tcp": "qmpsh.wire.stream:parse",
    "ssh": "qmpsh.wire.ssh:parse",
    "tls": "qmpsh.wire.tls:parse",
    "libvirt": "qmpsh.wire.libvirt:parse",
}

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(//)?")


def scheme_of(text: str) -> str:
    """The `SCHEMES` row that reads *text*: its scheme, or "" for none.

    Raises `AddressError` for a ``NAME://`` that no row reads.
    """
    match = _SCHEME_RE.match(text)
    if match is None:
        return ""
    name = match.group(1)
    if name in SCHEMES:
        return name
    if match.group(2):
        known = ", ".join(f"{scheme}:" for scheme in SCHEMES if scheme)
        raise AddressError(
            f"unknown scheme {name!r} in {text!r}: expected a socket path, "
            f"HOST:PORT or [IPv6]:PORT, or an address starting with {known}"
        )
    return ""  # HOST:PORT, or a path with a colon in it


def transport_for(text: str) -> Transport:
    """The transport for ADDRESS *text*, or `AddressError` with one line."""
    module, _, function = SCHEMES[scheme_of(text)].partition(":")
    parse = cast(
        Callable[[str], Transport],
        getattr(importlib.import_module(module), function),
    )
    return parse(text)


def from_environment(environ: Mapping[str, str]) -> Transport | None:
    """The transport ``$QMP_SOCKET`` names in *environ*; None when it is
    unset or empty.  A bad one raises `AddressError` naming the variable,
    since the user typed no address."""
    text = environ.get(ENV_VAR)
    if not text:
        return None
    try:
        return transport_for(text)
    except AddressError as err:
        raise AddressError(f"${ENV_VAR}: {err}") from None
