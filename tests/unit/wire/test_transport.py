"""qmpsh.wire.transport: ADDRESS -> transport (the SCHEMES table), the
transports' facts, and the seam itself, proven with a test-only transport
that has no socket of its own (as ``libvirt:`` will not): a socketpair whose
far end an in-process task serves as QMP."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import socket

import pytest

from qmpsh.core.errors import BadRequest, ConnectFailed, QmpshError
from qmpsh.wire import transport as transports
from qmpsh.wire.address import AddressError, TcpAddress, UnixAddress
from qmpsh.wire.connection import Connection
from qmpsh.wire.launch import Qemu
from qmpsh.wire.libvirt import LibvirtDomain
from qmpsh.wire.listen import Listen
from qmpsh.wire.named import Named
from qmpsh.wire.reconnect import reopener
from qmpsh.wire.ssh import SshTunnel
from qmpsh.wire.state import ConnState
from qmpsh.wire.stream import TcpSocket, UnixSocket
from qmpsh.wire.tls import TlsSocket
from qmpsh.wire.transport import (
    SCHEMES,
    NoGreeting,
    Transport,
    from_environment,
    scheme_of,
    transport_for,
)
from tests.unit.wire.qmpfake import serve_qmp


@pytest.mark.parametrize(
    ("text", "scheme", "expected"),
    [
        ("/tmp/qmp.sock", "", UnixSocket("/tmp/qmp.sock")),
        ("qmp.sock", "", UnixSocket("qmp.sock")),
        ("./host:abc", "", UnixSocket("./host:abc")),
        ("unix:/x:y", "unix", UnixSocket("/x:y")),
        ("unix:relative.sock", "unix", UnixSocket("relative.sock")),
        ("localhost:4444", "", TcpSocket("localhost", 4444)),
        ("127.0.0.1:1", "", TcpSocket("127.0.0.1", 1)),
        ("tcp:example.org:65535", "tcp", TcpSocket("example.org", 65535)),
        ("[::1]:4444", "", TcpSocket("::1", 4444)),
        ("[fe80::1]:80", "", TcpSocket("fe80::1", 80)),
    ],
)
def test_address_to_transport(text: str, scheme: str, expected: Transport) -> None:
    assert scheme_of(text) == scheme
    transport = transport_for(text)
    assert transport == expected and type(transport) is type(expected)
    assert transport.name == str(transport) == text.removeprefix(f"{scheme}:")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ssh://vm-host/run/qmp.sock",
            SshTunnel("ssh://vm-host/run/qmp.sock", "vm-host", "/run/qmp.sock"),
        ),
        (
            "ssh://u@h:2222/q.sock",
            SshTunnel("ssh://u@h:2222/q.sock", "h", "/q.sock", "u", 2222),
        ),
        ("ssh://[::1]/q.sock", SshTunnel("ssh://[::1]/q.sock", "::1", "/q.sock")),
        ("tls://127.0.0.1:4444", TlsSocket("127.0.0.1", 4444)),
        ("tls://localhost:1/", TlsSocket("localhost", 1)),
        ("tls://[::1]:4444", TlsSocket("::1", 4444)),
    ],
)
def test_remote_addresses(text: str, expected: Transport) -> None:
    scheme = text.split(":", 1)[0]
    assert scheme_of(text) == scheme
    transport = transport_for(text)
    assert transport == expected and type(transport) is type(expected)
    assert transport.name == text.removesuffix("/")
    assert vars(transport) == vars(expected)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("sftp://user@host/run/qmp.sock", "sftp"),
        ("tls+x://host:4444", "tls+x"),
        ("libvirt+ssh://host/vm", "libvirt+ssh"),
        ("UNIX://x", "UNIX"),
    ],
)
def test_an_unknown_scheme_is_one_clear_line(text: str, name: str) -> None:
    with pytest.raises(AddressError) as info:
        transport_for(text)
    message = str(info.value)
    assert message == (
        f"unknown scheme {name!r} in {text!r}: expected a socket path, "
        "HOST:PORT or [IPv6]:PORT, or an address starting with unix:, tcp:, "
        "ssh:, tls:, libvirt:"
    )
    assert "\n" not in message


def test_a_name_with_a_colon_is_no_scheme_unless_listed() -> None:
    # HOST:PORT, and errors worded for it, as before there were schemes
    assert scheme_of("myvm:4444") == ""
    assert scheme_of("libvirt:4444") == "libvirt"  # a listed name is a scheme
    with pytest.raises(AddressError) as info:
        transport_for("myvm:abc")
    assert str(info.value) == (
        "bad port 'abc' in 'myvm:abc': expected a number from 1 to 65535"
    )


def test_every_row_names_a_function_that_makes_transports() -> None:
    for scheme, row in SCHEMES.items():
        module, _, function = row.partition(":")
        assert callable(getattr(importlib.import_module(module), function)), scheme


def test_from_environment() -> None:
    assert from_environment({}) is None
    assert from_environment({"QMP_SOCKET": ""}) is None
    assert from_environment({"QMP_SOCKET": "/q.sock"}) == UnixSocket("/q.sock")
    with pytest.raises(AddressError) as err:
        from_environment({"QMP_SOCKET": "bad:port"})
    assert str(err.value).startswith("$QMP_SOCKET: bad port 'port' in 'bad:port'")
    with pytest.raises(AddressError) as err:
        from_environment({"QMP_SOCKET": "sftp://h/x"})
    assert str(err.value).startswith("$QMP_SOCKET: unknown scheme 'sftp'")
    assert from_environment({"QMP_SOCKET": "ssh://h/q.sock"}) == SshTunnel(
        "ssh://h/q.sock", "h", "/q.sock"
    )


def test_the_facts_of_each_transport() -> None:
    unix, tcp = UnixSocket("/q.sock"), TcpSocket("h", 1)
    assert (unix.fd_passing, unix.reopens, unix.may_be_agent) == (True, True, True)
    assert (tcp.fd_passing, tcp.reopens, tcp.may_be_agent) == (False, True, True)
    assert tcp.kind == "TCP"
    for listen in (Listen(UnixAddress("/l.sock")), Qemu(["qemu-system-x86_64"])):
        assert (listen.fd_passing, listen.reopens, listen.may_be_agent) == (
            True,
            False,
            False,
        )
    assert Listen(TcpAddress("h", 1)).kind == "TCP"
    assert not Listen(TcpAddress("h", 1)).fd_passing
    assert reopener(unix, 1) is not None and reopener(tcp, 1) is not None
    ssh, tls = transport_for("ssh://h/q.sock"), transport_for("tls://h:1")
    assert (ssh.fd_passing, ssh.reopens, ssh.may_be_agent) == (False, True, True)
    assert (tls.fd_passing, tls.reopens, tls.may_be_agent) == (False, True, True)
    assert ssh.kind.startswith("reached through SSH") and tls.kind == "a TLS connection"
    assert reopener(Listen(UnixAddress("/l.sock")), 1) is None
    assert reopener(Qemu(["qemu-system-x86_64"]), 1) is None


def test_libvirt_rows_and_facts() -> None:
    transport = transport_for("libvirt:vm1")
    assert transport == LibvirtDomain("vm1") and transport.name == "libvirt:vm1"
    assert (transport.reopens, transport.may_be_agent) == (True, False)
    assert transport.fd_passing  # qemu:///system: a local unix socket
    assert not LibvirtDomain("vm1", "qemu+ssh://h/system").fd_passing
    assert reopener(transport, 1) is not None


# -- the seam, with a transport this file adds ---------------------------------


class Bridge(Transport):
    """A transport with no byte stream of its own: `open` serves QMP on the
    far end of a socketpair from a task, as a ``libvirt:`` one would."""

    kind = "an in-process bridge"
    may_be_agent = False

    def __init__(self, text: str) -> None:
        self.text = text
        self.greet = True
        self.opened = 0
        self.serving: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return self.text

    async def open(self, timeout: float | None, agent: bool = False) -> socket.socket:
        await self.close()  # what a previous open left
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        theirs.setblocking(False)
        self.serving = asyncio.ensure_future(serve_qmp(theirs, self.greet))
        self.opened += 1
        return ours

    async def failed(self, error: QmpshError) -> QmpshError:
        if isinstance(error, NoGreeting):
            return ConnectFailed(f"the bridge to {self} said nothing")
        return error

    async def close(self) -> None:
        if self.serving is not None:
            self.serving.cancel()
            with contextlib.suppress(BaseException):
                await self.serving
            self.serving = None


def parse_bridge(text: str) -> Bridge:
    return Bridge(text)


@pytest.fixture
def bridge_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one line that adds the transport."""
    monkeypatch.setitem(SCHEMES, "mem", f"{__name__}:parse_bridge")


@pytest.mark.usefixtures("bridge_row")
def test_a_new_transport_is_one_row_and_one_class() -> None:
    transport = transport_for("mem://vm1")
    assert isinstance(transport, Bridge) and transport.name == "mem://vm1"
    assert transports.scheme_of("mem:vm1") == "mem"
    with pytest.raises(AddressError) as info:  # the list of schemes grew
        transport_for("sftp://h/x")
    assert str(info.value).endswith(
        "starting with unix:, tcp:, ssh:, tls:, libvirt:, mem:"
    )

    async def session() -> None:
        conn = Connection()
        states: list[ConnState] = []
        conn.on_state(lambda state, reason: states.append(state))
        await conn.connect(transport, 5)
        assert conn.connected and conn.address == "mem://vm1"
        assert conn.version == "7.2.22"
        reply = await conn.execute({"execute": "query-status"})
        assert reply == {"return": {"status": "running", "running": True}}
        with pytest.raises(BadRequest) as refused:
            await conn.send_fd_before(0)
        assert refused.value.message == (
            "passing a file descriptor needs a unix socket, and mem://vm1 is "
            "an in-process bridge"
        )

        # the server goes away; the shell's way back is through the transport
        assert await conn.execute({"execute": "quit"}) == {"return": {}}
        while conn.state != ConnState.LOST:
            await asyncio.sleep(0.01)
        assert conn.lost_reason == "mem://vm1 closed the connection"
        reopen = reopener(transport, 5)
        assert reopen is not None
        conn.reset()
        await reopen(conn)
        assert conn.connected and transport.opened == 2
        assert (await conn.execute({"execute": "query-status"}))["return"]

        await conn.close()  # closes the transport too
        assert transport.serving is None
        assert states == [
            ConnState.CONNECTING,
            ConnState.CONNECTED,
            ConnState.LOST,
            ConnState.IDLE,
            ConnState.CONNECTING,
            ConnState.CONNECTED,
            ConnState.CLOSED,
        ]

    asyncio.run(session())


@pytest.mark.usefixtures("bridge_row")
def test_a_transport_words_its_own_failures() -> None:
    transport = transport_for("mem://quiet")
    assert isinstance(transport, Bridge)
    transport.greet = False

    async def session() -> str:
        conn = Connection()
        try:
            with pytest.raises(ConnectFailed) as info:
                await conn.connect(transport, 0.2)
            assert conn.state == ConnState.IDLE
            return info.value.message
        finally:
            await conn.close()

    assert asyncio.run(session()) == "the bridge to mem://quiet said nothing"


def test_a_transport_hands_its_notes_to_whoever_runs_the_session(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`Transport.note`: to the listener of `on_note` (the session's
    console), through a named target's wrapper too; with none, one
    ``qmpsh:`` line on stderr, through the output gate."""
    transport = Bridge("mem://vm1")
    transport.note("nobody listens\x1b[2J")
    assert capsys.readouterr().err == "qmpsh: nobody listens^[[2J\n"
    heard: list[str] = []
    named = Named(transport, "vm1")
    named.on_note(heard.append)
    transport.note("the domain is tainted")
    assert heard == ["the domain is tainted"]
    named.on_note(None)
    transport.note("stderr again")
    assert heard == ["the domain is tainted"]
    assert capsys.readouterr().err == "qmpsh: stderr again\n"
