"""TLS for tests: certificates made per run, QEMU with a TLS monitor, and a
small Python TLS server for what QEMU will not do (serve an expired
certificate: it refuses to start with one).

`make_certs` uses PyPI's ``trustme`` (on ``cryptography``): no openssl
command lines or config files, and validity dates set at will.  Leaf
certificates are ECDSA P-256 with the key usages QEMU's GnuTLS checks accept.
"""

from __future__ import annotations

import datetime
import os
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.procs import Process, need, wait_for

SERVER_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass
class Certs:
    """Where each file is.  A ``*_dir`` is a QEMU ``tls-creds-x509`` dir
    (``ca-cert.pem``, ``server-cert.pem``, ``server-key.pem``)."""

    server_dir: Path  # the good server: localhost, 127.0.0.1, ::1
    wronghost_dir: Path  # a server certificate for wrong.example only
    ca: Path
    client_cert: Path
    client_key: Path
    other_ca: Path  # a CA that signed nothing of the servers'
    other_client_cert: Path  # a client certificate from other_ca
    other_client_key: Path
    expired_cert: Path  # a server certificate that expired yesterday
    expired_key: Path


def _write(path: Path, data: bytes, mode: int = 0o644) -> Path:
    path.write_bytes(data)
    path.chmod(mode)
    return path


def make_certs(root: Path) -> Certs:
    trustme: Any = (
        pytest.importorskip("trustme") if not _ci() else __import__("trustme")
    )
    root.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca = trustme.CA(organization_name="qmpsh test CA")
    other = trustme.CA(organization_name="qmpsh other CA")

    def leaf(issuer: Any, *names: str, **dates: Any) -> Any:
        return issuer.issue_cert(*names, common_name=names[0], **dates)

    def pair(name: str, cert: Any) -> tuple[Path, Path]:
        return (
            _write(root / f"{name}-cert.pem", cert.cert_chain_pems[0].bytes()),
            _write(root / f"{name}-key.pem", cert.private_key_pem.bytes(), 0o600),
        )

    def qemu_dir(name: str, cert: Any) -> Path:
        where = root / name
        where.mkdir()
        _write(where / "ca-cert.pem", ca.cert_pem.bytes())
        _write(where / "server-cert.pem", cert.cert_chain_pems[0].bytes())
        _write(where / "server-key.pem", cert.private_key_pem.bytes(), 0o600)
        return where

    client_cert, client_key = pair("client", leaf(ca, "qmpsh-client"))
    other_cert, other_key = pair("other-client", leaf(other, "qmpsh-client"))
    yesterday = {
        "not_before": now - datetime.timedelta(days=30),
        "not_after": now - datetime.timedelta(days=1),
    }
    expired_cert, expired_key = pair("expired", leaf(ca, *SERVER_NAMES, **yesterday))
    return Certs(
        server_dir=qemu_dir("server", leaf(ca, *SERVER_NAMES)),
        wronghost_dir=qemu_dir("server-wronghost", leaf(ca, "wrong.example")),
        ca=_write(root / "ca-cert.pem", ca.cert_pem.bytes()),
        client_cert=client_cert,
        client_key=client_key,
        other_ca=_write(root / "other-ca-cert.pem", other.cert_pem.bytes()),
        other_client_cert=other_cert,
        other_client_key=other_key,
        expired_cert=expired_cert,
        expired_key=expired_key,
    )


def _ci() -> bool:
    return os.environ.get("CI") == "true"


def listening_ports(pid: int) -> list[int]:
    """The TCP ports process *pid* listens on (from /proc: no tools)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    except FileNotFoundError:
        return []
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.append(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class TlsQemu(Process):
    """``qemu-system-x86_64 -M none`` whose QMP monitor is on a TLS socket
    (credentials from *creds*, a tls-creds-x509 dir; None: plain TCP), on
    *port*, or one QEMU picks (``port=0``: no race), read from /proc once
    it listens."""

    def __init__(
        self,
        directory: Path,
        creds: Path | None,
        verify_peer: bool = True,
        port: int = 0,
    ) -> None:
        super().__init__(directory)
        argv = [need("qemu-system-x86_64"), "-M", "none", "-nodefaults"]
        argv += ["-display", "none"]
        chardev = f"socket,id=mon0,host=127.0.0.1,port={port},server=on,wait=off"
        if creds is not None:
            peer = "on" if verify_peer else "off"
            argv += [
                "-object",
                f"tls-creds-x509,id=tls0,dir={creds},endpoint=server,verify-peer={peer}",
            ]
            chardev += ",tls-creds=tls0"
        argv += ["-chardev", chardev, "-mon", "chardev=mon0,mode=control"]
        self.spawn(argv)
        wait_for(
            lambda: listening_ports(self.pid), what="the TLS monitor", proc=self.proc
        )
        self.port = listening_ports(self.pid)[0]

    @property
    def address(self) -> str:
        return f"tls://127.0.0.1:{self.port}"


@contextmanager
def tls_server(cert: Path, key: Path) -> Iterator[int]:
    """A TLS server on 127.0.0.1 presenting *cert* that greets like QMP;
    yields its port.  For the certificates QEMU refuses to serve."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(10)
                try:
                    with context.wrap_socket(conn, server_side=True) as tls:
                        tls.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\r\n')
                except OSError:  # the client refused the certificate
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(10)
        listener.close()
