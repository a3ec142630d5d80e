"""The ``libvirt:DOMAIN`` transport: a QEMU that libvirtd runs, reached
through libvirt's QEMU monitor passthrough.

libvirtd holds the domain's only QMP connection (its monitor.sock answers
nobody else), but lets a client send QMP commands through its API and
listen to the domain's QMP events.  `LibvirtDomain` connects to libvirt
(``--libvirt-uri``, else ``$LIBVIRT_DEFAULT_URI``, else
``qemu:///system``; remote URIs such as ``qemu+ssh://host/system`` work
as libvirt makes them work), finds the domain by name or UUID, and hands
the connection one end of a socketpair whose other end a `Bridge` serves
as QEMU would (`qmpsh.wire.libvirt_bridge`).  So the shell, batch mode,
``qmpsh events``, completion from the schema, the event pane, ``wait``
and ``jobs`` work as on a socket.  File descriptors go along when the URI
is local (libvirt passes none over ssh, TLS or TCP).

libvirt-python is an optional dependency (``pip install
'qmpsh[libvirt]'``): it is imported when a ``libvirt:`` ADDRESS is opened,
and its absence is one line saying what to install.

libvirt marks a domain "tainted" once commands go through its monitor
passthrough; the transport says so once per session (`Transport.note`: to
the session's console, which puts it on stderr, tagged with the target in
fan-out), and `LibvirtDomain.notes` holds libvirt's taint for the shell's
toolbar.
"""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.parse
from typing import TYPE_CHECKING, Any

from qmpsh.core.errors import ConnectFailed, QmpshError
from qmpsh.core.exitcodes import Exit
from qmpsh.wire.address import AddressError
from qmpsh.wire.transport import Transport

if TYPE_CHECKING:
    from qmpsh.core.settings import Settings
    from qmpsh.wire.libvirt_bridge import Bridge

SCHEME = "libvirt:"
#: where libvirt is when neither --libvirt-uri nor $LIBVIRT_DEFAULT_URI says
DEFAULT_URI = "qemu:///system"

MISSING_BINDING = (
    "{target}: the libvirt transport needs libvirt-python, which is not "
    "installed: pip install 'qmpsh[libvirt]' (it builds against libvirt: "
    "on Debian, apt install libvirt-dev pkg-config gcc python3-dev)"
)


class LibvirtUsage(QmpshError):
    """An option that makes no sense with a ``libvirt:`` address."""

    exit_code = Exit.USAGE


def parse(text: str) -> LibvirtDomain:
    """``libvirt:DOMAIN``, DOMAIN a name or UUID; `AddressError` otherwise."""
    domain = text[len(SCHEME) :]
    if domain.startswith("//"):
        raise AddressError(
            f"{text!r}: libvirt:DOMAIN takes a domain's name or UUID, not a "
            f"URI: give the URI with --libvirt-uri (libvirt:myvm --libvirt-uri "
            f"qemu+ssh://host/system)"
        )
    if not domain:
        raise AddressError(
            f"{text!r} names no domain: expected libvirt:DOMAIN, a domain's "
            "name or UUID (virsh list --all lists them)"
        )
    return LibvirtDomain(domain)


def uri_of(settings: Settings) -> str:
    """The URI to connect to: ``--libvirt-uri``, else the environment's
    ``$LIBVIRT_DEFAULT_URI`` (both in the setting), else the default."""
    return settings.libvirt_uri or DEFAULT_URI


def is_local(uri: str) -> bool:
    """Whether *uri* reaches libvirtd over a local unix socket, the only way
    it takes file descriptors (``qemu:///system``, ``qemu+unix:///...``),
    not over ssh, TLS or TCP."""
    parts = urllib.parse.urlsplit(uri)
    transport = parts.scheme.partition("+")[2]
    if transport == "unix":
        return True
    return transport == "" and not parts.hostname


class LibvirtDomain(Transport):
    """A libvirt domain's QEMU monitor, through libvirt."""

    may_be_agent = False  # the monitor is QEMU's; the guest agent is not reached

    def __init__(self, domain: str, uri: str = DEFAULT_URI) -> None:
        self.domain = domain
        self.uri = uri
        self._bridge: Bridge | None = None
        self._noted = False
        #: why the last session ended, as libvirt told (the domain stopped)
        self._end: str | None = None
        self._taint: list[str] = []
        #: the URI as libvirt resolved it when connecting (an alias, a default)
        self._resolved: str | None = None

    @property
    def name(self) -> str:
        return f"{SCHEME}{self.domain}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LibvirtDomain) and (other.domain, other.uri) == (
            self.domain,
            self.uri,
        )

    def __hash__(self) -> int:
        return hash((self.domain, self.uri))

    def __repr__(self) -> str:
        return f"LibvirtDomain({self.domain!r}, {self.uri!r})"

    def configure(self, settings: Settings, interactive: bool = False) -> None:
        self.uri = uri_of(settings)

    @property
    def fd_passing(self) -> bool:  # type: ignore[override]
        return is_local(self._resolved or self.uri)

    @property
    def kind(self) -> str:  # type: ignore[override]
        return (
            f"a remote libvirt connection ({self.uri}): libvirt passes "
            "descriptors over a local URI only"
        )

    @property
    def notes(self) -> tuple[str, ...]:
        bridge = self._bridge
        taint = bridge.taint if bridge is not None else self._taint
        reasons = [t.removeprefix("tainted: ") for t in taint]
        return (f"tainted: {', '.join(reasons)}",) if reasons else ()

    def lost(self, reason: str) -> str:
        bridge = self._bridge
        end = bridge.end if bridge is not None else self._end
        return f"{self.name}: {end}" if end else reason

    async def open(self, timeout: float | None, agent: bool = False) -> socket.socket:
        if agent:
            raise LibvirtUsage(
                f"{self.name} is a QEMU monitor, reached through libvirt: -N "
                "(for a guest agent's socket) does not apply"
            )
        await self.close()
        try:
            import libvirt  # noqa: F401
            import libvirt_qemu  # noqa: F401
            import libvirtaio  # noqa: F401
        except ImportError:
            raise ConnectFailed(MISSING_BINDING.format(target=self.name)) from None
        from qmpsh.wire.libvirt_thread import libvirt_thread

        thread = libvirt_thread()
        try:
            async with asyncio.timeout(timeout):
                return await self._open(thread)
        except TimeoutError:
            await self.close()
            raise ConnectFailed(
                f"{self.name}: timed out after {timeout:g} s: libvirt at "
                f"{self.uri} did not answer"
            ) from None

    async def _open(self, thread: Any) -> socket.socket:
        from qmpsh.wire.libvirt_bridge import Bridge
        from qmpsh.wire.libvirt_errors import (
            LibvirtFailed,
            NotRunning,
            connect_failure,
            not_running,
        )
        from qmpsh.wire.libvirt_monitor import Monitor
        from qmpsh.wire.libvirt_qmp import greeting

        opening = thread.submit(Monitor.open, self.uri, self.domain)
        try:
            monitor = await asyncio.shield(opening)
        except LibvirtFailed as err:
            raise ConnectFailed(
                connect_failure(err.code, err.message, self.name, self.uri)
            ) from None
        except NotRunning as err:
            raise ConnectFailed(not_running(self.name, self.uri, err.state)) from None
        except asyncio.CancelledError:
            # timed out: the connection, when it comes, is let go of
            opening.add_done_callback(lambda done: _let_go(thread, done))
            raise
        self._resolved = monitor.uri
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        theirs.setblocking(False)
        bridge = Bridge(
            thread, monitor, theirs, target=self.name, fd_passing=self.fd_passing
        )
        self._bridge = bridge
        self._end = None
        try:
            version = await thread.call(
                monitor.command, '{"execute": "query-version"}', []
            )
            reply = json.loads(version)
            if "return" not in reply:
                error = reply.get("error", {})
                raise ConnectFailed(
                    f"{self.name}: query-version failed: "
                    f"{error.get('class')}: {error.get('desc')}"
                )
            await thread.call(monitor.subscribe, bridge.on_event, bridge.on_end)
        except BaseException as err:
            ours.close()
            await self.close()
            if isinstance(err, LibvirtFailed):
                raise ConnectFailed(
                    connect_failure(err.code, err.message, self.name, self.uri)
                ) from None
            if isinstance(err, ValueError | AttributeError):
                raise ConnectFailed(
                    f"{self.name}: libvirt's reply to query-version is not QMP"
                ) from None
            raise
        bridge.start(greeting(reply["return"]))
        self._note()
        return ours

    def _note(self) -> None:
        """Say once per session what libvirt does to the domain."""
        if self._noted:
            return
        self._noted = True
        self.note(
            f'note: libvirt marks a domain as tainted ("custom monitor '
            f'control commands issued") once commands are sent through its '
            f"QEMU monitor passthrough, as qmpsh sends them: {self.name} now "
            "is, until it stops (virsh dominfo lists its taint)"
        )

    async def close(self) -> None:
        bridge, self._bridge = self._bridge, None
        if bridge is not None:
            self._end = bridge.end
            self._taint = bridge.taint
            await bridge.close()


def _let_go(thread: Any, done: asyncio.Future[Any]) -> None:
    """Close a connection that was made after nobody waited for it."""
    if not done.cancelled() and done.exception() is None:
        thread.soon(done.result().close)
