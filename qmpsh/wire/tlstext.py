"""What went wrong with TLS, as one line: the texts of `qmpsh.wire.tls`.

Pure: from Python's ``ssl`` errors (OpenSSL's reasons and verify
messages) and what the transport knows (the CA file given, the client
certificate given) to the line the user reads.
"""

from __future__ import annotations

import ssl

from qmpsh.core.text import os_text

#: OpenSSL's reasons when the peer answered a ClientHello with no TLS
_PLAIN = {
    "WRONG_VERSION_NUMBER",
    "RECORD_LAYER_FAILURE",
    "PACKET_LENGTH_TOO_LONG",
    "UNKNOWN_PROTOCOL",
    "HTTP_REQUEST",
    "RECORD_TOO_LARGE",
}


def verify_text(where: str, message: str, name: str, ca: str) -> str:
    """The server's certificate did not verify: OpenSSL's *message*; *name*
    is the one it had to be issued for, *ca* the --tls-ca file ("": the
    system's CAs)."""
    said = f"certificate verify failed: {message.rstrip('.')}"
    if "expired" in message:
        return f"{where}: the server's certificate has expired ({said})"
    if "not yet valid" in message:
        return f"{where}: the server's certificate is not valid yet ({said})"
    if "mismatch" in message:
        return (
            f"{where}: the server's certificate is not issued for {name!r} "
            f"({said}): give the name it is issued for with --tls-hostname"
        )
    if "issuer" in message or "self-signed" in message or "self signed" in message:
        by = (
            f"the CA in {ca}"
            if ca
            else "a CA this system trusts (give QEMU's CA with --tls-ca)"
        )
        return f"{where}: the server's certificate is not signed by {by} ({said})"
    return f"{where}: the server's certificate was refused ({said})"


def handshake_text(
    where: str, exc: BaseException, name: str, ca: str, plain: str
) -> str:
    """Why the TLS handshake with *where* failed with *exc*; *plain* is the
    address to give for a monitor without TLS."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return verify_text(where, exc.verify_message or str(exc), name, ca)
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or ""
        if reason in _PLAIN:
            return (
                f"{where} does not speak TLS: it answered the handshake with plain "
                f"data ({reason}; a monitor without tls-creds is reached as {plain})"
            )
        words = reason.replace("_", " ").lower()
        if "CERTIFICATE_REQUIRED" in reason:
            return (
                f"{where}: the server asks for a client certificate ({words}): "
                "give --tls-cert and --tls-key"
            )
        if "ALERT" in reason:
            return f"{where}: the server refused the TLS handshake ({words})"
        return f"{where}: the TLS handshake failed ({words or exc})"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return f"{where}: the server reset the connection during the TLS handshake"
    if isinstance(exc, OSError):
        return f"{where}: the TLS handshake failed: {os_text(exc)}"
    return f"{where}: the TLS handshake failed: {type(exc).__name__}: {exc}"


def no_handshake_text(where: str, seconds: float) -> str:
    """The server accepted the connection but did not answer the ClientHello."""
    return (
        f"connected to {where}, but the TLS handshake did not finish within "
        f"{seconds:g} s: another client probably holds the monitor (QEMU "
        "serves one client at a time), or the server is not a TLS server"
    )


def closed_after_handshake(where: str, cert: str) -> str:
    """The handshake worked, then the server hung up before a byte came:
    what QEMU does with a client certificate it does not accept (it checks
    it after the handshake, and says nothing)."""
    if not cert:
        return (
            f"{where} closed the connection right after the TLS handshake: "
            "QEMU asks for a client certificate (verify-peer=on): give "
            "--tls-cert and --tls-key"
        )
    return (
        f"{where} closed the connection right after the TLS handshake: QEMU "
        f"did not accept the client certificate {cert} (is it signed by the "
        "CA in QEMU's tls-creds directory, and still valid?)"
    )
