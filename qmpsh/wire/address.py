"""Socket addresses as the user writes them: pure parsing, no sockets.

The forms a unix socket or TCP takes (for `qmpsh.wire.stream` and
``--listen``); `qmpsh.wire.transport.SCHEMES` sends an ADDRESS here when it
has no other scheme.  Accepted forms::

    /path/to/qmp.sock   ./qmp.sock   qmp.sock     a unix socket path
    unix:/path          unix:relative             explicit unix path
    HOST:PORT           tcp:HOST:PORT             TCP (host name or IPv4)
    [IPV6]:PORT                                   TCP over IPv6

A word with a colon is a TCP address when what follows the last colon is a
port number; ``host:abc`` is refused rather than guessed to be a file name
(write ``./host:abc`` for a file of that name).
"""

from __future__ import annotations

import re
from typing import NamedTuple

_PORT_RE = re.compile(r"[0-9]{1,5}")  # not \d: int() reads other scripts' digits
_HOST_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")


class AddressError(ValueError):
    """The text is not a usable address; the message says what would be."""


class UnixAddress(NamedTuple):
    path: str

    def __str__(self) -> str:
        return self.path

    @property
    def target(self) -> str:
        """What qemu.qmp takes as an address."""
        return self.path


class TcpAddress(NamedTuple):
    host: str
    port: int

    def __str__(self) -> str:
        if ":" in self.host:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}"

    @property
    def target(self) -> tuple[str, int]:
        return (self.host, self.port)


Address = UnixAddress | TcpAddress

_FORMS = "a socket path, HOST:PORT or [IPv6]:PORT"


def _port(text: str, whole: str) -> int:
    if not _PORT_RE.fullmatch(text) or not 0 < int(text) < 65536:
        raise AddressError(
            f"bad port {text!r} in {whole!r}: expected a number from 1 to 65535"
        )
    return int(text)


def parse_address(text: str) -> Address:
    """Parse *text* into an address, or raise `AddressError`."""
    whole = text
    if not text or not text.strip():
        raise AddressError(f"empty address: expected {_FORMS}")
    if text.startswith("unix:"):
        path = text[5:]
        if not path:
            raise AddressError(f"no path after 'unix:' in {whole!r}")
        return UnixAddress(path)
    tcp = text.startswith("tcp:")
    if tcp:
        text = text[4:]
        if ":" not in text:
            raise AddressError(f"{whole!r} has no port: expected tcp:HOST:PORT")
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise AddressError(f"missing ']' in {whole!r}: expected [IPv6]:PORT")
        host, rest = text[1:end], text[end + 1 :]
        if not host or not all(c in "0123456789abcdefABCDEF:." for c in host):
            raise AddressError(f"bad IPv6 address {host!r} in {whole!r}")
        if not rest.startswith(":"):
            raise AddressError(f"{whole!r} has no port: expected [IPv6]:PORT")
        return TcpAddress(host, _port(rest[1:], whole))
    if not tcp and ("/" in text or ":" not in text):
        return UnixAddress(text)
    host, _, port = text.rpartition(":")
    if ":" in host:
        raise AddressError(
            f"{whole!r} looks like a bare IPv6 address: write it as [IPv6]:PORT"
        )
    if not host:
        raise AddressError(f"no host before ':{port}' in {whole!r}")
    if not _HOST_RE.fullmatch(host):
        raise AddressError(f"bad host name {host!r} in {whole!r}: expected {_FORMS}")
    return TcpAddress(host, _port(port, whole))


#: the environment variable that names the address when none is given (read
#: by `qmpsh.wire.transport.from_environment`)
ENV_VAR = "QMP_SOCKET"
