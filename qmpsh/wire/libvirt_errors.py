"""What a libvirt error means for a ``libvirt:DOMAIN`` session, in one line.

Pure: from libvirt's error code (``libvirtError.get_error_code()``, never
its wording, which libvirt translates) and message to the text qmpsh says
and to what happens next (`Failure`): the connection is refused (exit 4),
the session is over (the domain or libvirtd went away), or one request
failed (an error reply, exit 1).  libvirt's own message is kept in the
line, flattened to one line with control characters made visible.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# libvirt's virErrorNumber values (stable ABI), as libvirt-python names them
NO_SUPPORT = 3  # VIR_ERR_NO_SUPPORT: the driver has no such call
NO_CONNECT = 5  # VIR_ERR_NO_CONNECT: no driver for the URI
INVALID_ARG = 8  # VIR_ERR_INVALID_ARG
OPERATION_DENIED = 29  # VIR_ERR_OPERATION_DENIED: a read-only connection
SYSTEM_ERROR = 38  # VIR_ERR_SYSTEM_ERROR: a socket, ssh, TLS...
RPC = 39  # VIR_ERR_RPC
NO_DOMAIN = 42  # VIR_ERR_NO_DOMAIN
AUTH_FAILED = 45  # VIR_ERR_AUTH_FAILED
OPERATION_INVALID = 55  # VIR_ERR_OPERATION_INVALID: e.g. the domain is not running
AUTH_CANCELLED = 79  # VIR_ERR_AUTH_CANCELLED
OPERATION_UNSUPPORTED = 84  # VIR_ERR_OPERATION_UNSUPPORTED
ACCESS_DENIED = 88  # VIR_ERR_ACCESS_DENIED: polkit or an access driver said no
AUTH_UNAVAILABLE = 94  # VIR_ERR_AUTH_UNAVAILABLE
NO_SERVER = 95  # VIR_ERR_NO_SERVER

#: the caller is not allowed: the same words, whichever way it was said
_REFUSED = (AUTH_FAILED, AUTH_CANCELLED, ACCESS_DENIED, AUTH_UNAVAILABLE)

#: a domain that is gone, or no longer running, ends the session
_GONE = (NO_DOMAIN, OPERATION_INVALID)

_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """libvirt's message on one line, control characters shown as escapes
    (nothing it says may drive the terminal)."""
    flat = _SPACE.sub(" ", text).strip()
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", flat)


# where in libvirt it came from (virErrorDomain)
FROM_RPC = 7  # VIR_FROM_RPC: the connection between client and libvirtd
FROM_REMOTE = 13  # VIR_FROM_REMOTE


class LibvirtFailed(Exception):
    """A libvirt error: its code (``get_error_code()``), message, and where
    in libvirt it came from (``get_error_domain()``)."""

    def __init__(self, code: int, message: str, origin: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.origin = origin


class NotRunning(Exception):
    """The domain exists and is not running (*state*: as virsh says it)."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


class Failure(NamedTuple):
    """A libvirt error, as the transport acts on it."""

    text: str
    #: the session cannot go on: the domain stopped or went away, or
    #: libvirtd did (a request then ends the session rather than failing)
    ends_session: bool = False


def connect_failure(code: int, message: str, target: str, uri: str) -> str:
    """Why ``libvirt:DOMAIN`` (*target*, at *uri*) could not be reached."""
    said = one_line(message)
    if code == NO_DOMAIN:
        return (
            f"{target}: no domain of that name or UUID at {uri} "
            f"(virsh -c {uri} list --all lists them)"
        )
    if code == OPERATION_INVALID:
        return f"{target}: the domain is not running at {uri} ({said})"
    if code == OPERATION_DENIED:
        return (
            f"{target}: the connection to {uri} is read-only, and libvirt "
            f"sends no monitor commands on one ({said})"
        )
    if code in _REFUSED:
        return f"{target}: libvirt at {uri} refused access: {said}"
    if code in (NO_SUPPORT, OPERATION_UNSUPPORTED):
        return (
            f"{target}: the libvirt driver at {uri} has no QEMU monitor "
            f"passthrough (is it a QEMU URI?): {said}"
        )
    if code in (SYSTEM_ERROR, RPC, NO_SERVER):
        return f"{target}: cannot reach libvirt at {uri}: {said}"
    if code == NO_CONNECT:
        return f"{target}: libvirt cannot open {uri}: {said}"
    return f"{target}: libvirt at {uri} failed: {said}"


def request_failure(code: int, message: str, origin: int = 0) -> Failure:
    """What a libvirt error raised by one request means (*origin*: the
    error's virErrorDomain)."""
    said = one_line(message)
    if code in _GONE:
        return Failure(f"the domain stopped or went away ({said})", ends_session=True)
    if code in (SYSTEM_ERROR, RPC):
        if code == RPC or origin in (FROM_RPC, FROM_REMOTE):
            return Failure(f"the connection to libvirt was lost ({said})", True)
        # libvirt lost its own connection to QEMU's monitor: QEMU is going
        return Failure(f"libvirt lost QEMU's monitor ({said})", True)
    if code == OPERATION_DENIED:
        return Failure(f"libvirt refused: the connection is read-only ({said})")
    return Failure(f"libvirt: {said}")


def not_running(target: str, uri: str, state: str) -> str:
    """The domain exists but QEMU is not running: *state* as libvirt
    names it (``shut off``...)."""
    name = target.removeprefix("libvirt:")
    return (
        f"{target}: the domain is {state} at {uri}, so there is no QEMU "
        f"monitor to talk to (virsh -c {uri} start {name})"
    )
