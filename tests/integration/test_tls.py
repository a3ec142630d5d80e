"""tls://: QEMU's monitor on a TLS socket (tls-creds-x509, certificates
made for this run by `tests.tls`), a real QEMU each time but for the
expired certificate, which QEMU refuses to serve."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from qmpsh.core.exitcodes import Exit
from tests.procs import qmpsh
from tests.tls import Certs, TlsQemu, make_certs, tls_server

STATUS = "query-status\n"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def vm(tmp_path: Path, certs: Certs) -> Iterator[TlsQemu]:
    qemu = TlsQemu(tmp_path / "qemu", certs.server_dir)
    try:
        yield qemu
    finally:
        qemu.kill()


def good(certs: Certs) -> list[str]:
    return [
        "--tls-ca",
        str(certs.ca),
        "--tls-cert",
        str(certs.client_cert),
        "--tls-key",
        str(certs.client_key),
    ]


def one_line(done: subprocess.CompletedProcess[str], code: Exit) -> str:
    assert done.returncode == code, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""
    return done.stderr.removeprefix("qmpsh: ").rstrip("\n")


def test_a_good_chain(vm: TlsQemu, certs: Certs) -> None:
    done = qmpsh("-c", "query-status", vm.address, *good(certs))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["return"]["status"] == "running"
    assert done.stderr == ""


def test_one_request_at_a_time_and_pipelined_on_qemu_7_2(
    vm: TlsQemu, certs: Certs
) -> None:
    """Each request's last byte goes as a TLS record of its own, or QEMU 7.2
    leaves the rest of a request inside GnuTLS (qmpsh.wire.tls): with one
    request in flight, every reply would wait for the next request."""
    lines = STATUS * 300 + "query-name\n"
    for inflight in ("1", "64"):
        done = qmpsh(vm.address, "--max-inflight", inflight, *good(certs), input=lines)
        assert done.returncode == 0, done.stderr
        replies = [json.loads(line) for line in done.stdout.splitlines()]
        assert len(replies) == 301 and replies[-1] == {"return": {}}
    big = "qom-set path=/machine property=x value=" + "y" * 40000 + "\n"
    done = qmpsh(
        vm.address, "-k", "--max-inflight", "1", *good(certs), input=big + STATUS
    )
    assert done.returncode == Exit.COMMAND_ERROR, done.stderr  # no property x
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["error"]["class"] == "GenericError"
    assert second["return"]["running"] is True


def test_qemu_7_2_stalls_on_a_request_in_one_record(vm: TlsQemu, certs: Certs) -> None:
    """The QEMU bug the transport works around, seen with a plain TLS
    client: a request sent as one record is answered only once another
    record arrives (fixed in QEMU 8.0)."""
    context = ssl.create_default_context(cafile=str(certs.ca))
    context.load_cert_chain(certs.client_cert, certs.client_key)
    with (
        socket.create_connection(("127.0.0.1", vm.port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        stream = tls.makefile("rb")
        greeting = json.loads(stream.readline())
        version = greeting["QMP"]["version"]["qemu"]
        tls.sendall(b'{"execute": "qmp_capabilities"}\n')
        tls.settimeout(1.5)
        if (version["major"], version["minor"]) >= (8, 0):
            assert json.loads(stream.readline()) == {"return": {}}
            return
        with pytest.raises(TimeoutError):
            tls.recv(1)  # stuck inside QEMU's GnuTLS buffer
        tls.settimeout(10)
        tls.sendall(b" ")  # one more record wakes QEMU up
        assert json.loads(stream.readline()) == {"return": {}}


def test_a_wrong_ca(vm: TlsQemu, certs: Certs) -> None:
    args = ["--tls-ca", str(certs.other_ca), *good(certs)[2:]]
    line = one_line(qmpsh("-c", "query-status", vm.address, *args), Exit.CONNECT_ERROR)
    assert line == (
        f"{vm.address}: the server's certificate is not signed by the CA in "
        f"{certs.other_ca} (certificate verify failed: unable to get local issuer "
        "certificate)"
    )
    # no --tls-ca: the system's CAs, which know nothing of this one
    line = one_line(
        qmpsh("-c", "query-status", vm.address, *good(certs)[2:]), Exit.CONNECT_ERROR
    )
    assert (
        "is not signed by a CA this system trusts (give QEMU's CA with --tls-ca)"
        in line
    )


def test_a_wrong_host_name(vm: TlsQemu, certs: Certs, tmp_path: Path) -> None:
    args = [*good(certs), "--tls-hostname", "wrong.example"]
    line = one_line(qmpsh("-c", "query-status", vm.address, *args), Exit.CONNECT_ERROR)
    assert line == (
        f"{vm.address}: the server's certificate is not issued for 'wrong.example' "
        "(certificate verify failed: Hostname mismatch, certificate is not valid for "
        "'wrong.example'): give the name it is issued for with --tls-hostname"
    )
    other = TlsQemu(tmp_path / "wrong", certs.wronghost_dir)
    try:
        done = qmpsh("-c", "query-status", other.address, *good(certs))
        line = one_line(done, Exit.CONNECT_ERROR)
        assert "is not issued for '127.0.0.1'" in line and "IP address mismatch" in line
        # the name it is issued for
        done = qmpsh("-c", "query-status", other.address, *args)
        assert done.returncode == 0, done.stderr
    finally:
        other.kill()


def test_no_client_certificate_for_verify_peer_on(
    vm: TlsQemu, certs: Certs, tmp_path: Path
) -> None:
    only_ca = ["--tls-ca", str(certs.ca)]
    line = one_line(
        qmpsh("-c", "query-status", vm.address, *only_ca), Exit.CONNECT_ERROR
    )
    assert line == (
        f"{vm.address} closed the connection right after the TLS handshake: QEMU "
        "asks for a client certificate (verify-peer=on): give --tls-cert and --tls-key"
    )
    stranger = [
        *only_ca,
        "--tls-cert",
        str(certs.other_client_cert),
        "--tls-key",
        str(certs.other_client_key),
    ]
    line = one_line(
        qmpsh("-c", "query-status", vm.address, *stranger), Exit.CONNECT_ERROR
    )
    assert line.startswith(
        f"{vm.address} closed the connection right after the TLS handshake: QEMU did "
        f"not accept the client certificate {certs.other_client_cert}"
    )
    lenient = TlsQemu(tmp_path / "lenient", certs.server_dir, verify_peer=False)
    try:
        done = qmpsh("-c", "query-status", lenient.address, *only_ca)
        assert done.returncode == 0, done.stderr
    finally:
        lenient.kill()


def test_a_plain_text_server(certs: Certs, tmp_path: Path) -> None:
    plain = TlsQemu(tmp_path / "plain", None)
    try:
        done = qmpsh("-c", "query-status", plain.address, *good(certs))
    finally:
        plain.kill()
    assert one_line(done, Exit.CONNECT_ERROR) == (
        f"{plain.address} does not speak TLS: it answered the handshake with plain "
        f"data (WRONG_VERSION_NUMBER; a monitor without tls-creds is reached as "
        f"127.0.0.1:{plain.port})"
    )


def test_an_expired_server_certificate(certs: Certs) -> None:
    with tls_server(certs.expired_cert, certs.expired_key) as port:
        address = f"tls://127.0.0.1:{port}"
        done = qmpsh("-c", "query-status", address, *good(certs))
    assert one_line(done, Exit.CONNECT_ERROR) == (
        f"{address}: the server's certificate has expired (certificate verify "
        "failed: certificate has expired)"
    )


def test_files_that_cannot_be_used(vm: TlsQemu, certs: Certs, tmp_path: Path) -> None:
    text = tmp_path / "text.pem"
    text.write_text("not a certificate\n")
    for args, said in (
        (
            ["--tls-ca", str(tmp_path / "none.pem")],
            f"--tls-ca {tmp_path / 'none.pem'}: cannot read it: no such file or directory",
        ),
        (
            ["--tls-ca", str(text)],
            f"--tls-ca {text}: no CA certificate in it (expected PEM)",
        ),
        (
            [*good(certs)[:4], "--tls-key", str(certs.other_client_key)],
            f"--tls-key {certs.other_client_key} is not the key of --tls-cert "
            f"{certs.client_cert}",
        ),
    ):
        done = qmpsh("-c", "query-status", vm.address, *args)
        assert one_line(done, Exit.USAGE) == said
    done = qmpsh("-c", "query-status", vm.address, "--tls-key", str(certs.client_key))
    assert done.returncode == Exit.USAGE
    assert "--tls-key is the key of --tls-cert: give that too" in done.stderr


def test_file_descriptors_are_refused(vm: TlsQemu, certs: Certs) -> None:
    done = qmpsh("-c", "getfd /dev/null fdname=f", vm.address, *good(certs))
    assert one_line(done, Exit.PARSE_ERROR) == (
        f"-c:1: getfd: passing a file descriptor needs a unix socket, and "
        f"{vm.address} is a TLS connection"
    )


def test_qemu_going_away_in_the_middle(vm: TlsQemu, certs: Certs) -> None:
    done = qmpsh(vm.address, *good(certs), input="query-status\nquit\nquery-status\n")
    assert done.returncode == Exit.CONNECTION_LOST, done.stderr
    # ("not connected: " when qmpsh knew before it sent the command)
    assert done.stderr.startswith("qmpsh: stdin:3: query-status: ")
    assert done.stderr.endswith(f" {vm.address} closed the connection\n")
    assert done.stderr.count("\n") == 1


def test_the_subcommands_take_the_tls_options(vm: TlsQemu, certs: Certs) -> None:
    done = qmpsh("events", vm.address, *good(certs), "--timeout", "0.3")
    assert done.returncode == Exit.TIMEOUT, done.stderr
    assert "Traceback" not in done.stderr
    done = qmpsh("qom", "get", "-s", vm.address, *good(certs), "/machine.type")
    assert (done.returncode, done.stdout) == (0, "none-machine\n"), done.stderr


def test_reconnecting_makes_a_new_handshake(
    vm: TlsQemu, certs: Certs, tmp_path: Path
) -> None:
    """What the shell's reconnection does: open the transport again."""
    import asyncio

    from qmpsh.core.settings import build_settings
    from qmpsh.wire.connection import Connection
    from qmpsh.wire.reconnect import reopener
    from qmpsh.wire.state import ConnState
    from qmpsh.wire.transport import transport_for

    transport = transport_for(vm.address)
    settings = {"tls_ca": str(certs.ca), "tls_cert": str(certs.client_cert)}
    transport.configure(build_settings({**settings, "tls_key": str(certs.client_key)}))

    async def session() -> None:
        conn = Connection()
        try:
            await conn.connect(transport, 10)
            assert (await conn.execute({"execute": "query-status"}))["return"]
            vm.kill()
            while conn.state != ConnState.LOST:
                await asyncio.sleep(0.01)
            assert conn.lost_reason == f"{vm.address} closed the connection"
            again = TlsQemu(tmp_path / "again", certs.server_dir, port=vm.port)
            try:
                conn.reset()
                reopen = reopener(transport, 10)
                assert reopen is not None
                await reopen(conn)
                assert (await conn.execute({"execute": "query-status"}))["return"]
            finally:
                again.kill()
        finally:
            await conn.close()

    asyncio.run(asyncio.wait_for(session(), 60))


def test_nothing_listening() -> None:
    from tests.procs import free_port

    address = f"tls://127.0.0.1:{free_port()}"
    line = one_line(qmpsh("-c", "query-status", address), Exit.CONNECT_ERROR)
    assert line == f"connection refused by {address}"
