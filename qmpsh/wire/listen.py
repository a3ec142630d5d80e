"""Accept mode (``qmpsh --listen ADDRESS``): wait for QEMU to connect to us.

QEMU started with ``-qmp unix:SOCK`` (no ``server=on``) connects to SOCK as
a client, as it does for qmp-shell-wrap; this lets qmpsh be ready before
QEMU starts, and see every event from the first one.  A stale unix socket
file (nothing listening) is replaced; one that something still listens on
is refused.  The socket file is removed when the session ends.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import stat
import sys
from dataclasses import dataclass, field

from qmpsh.core.errors import ConnectFailed
from qmpsh.core.text import os_text
from qmpsh.wire.address import Address, UnixAddress
from qmpsh.wire.connection import Connection


def clear_stale_socket(path: str) -> None:
    """Remove *path* if it is a unix socket nobody listens on; raise
    `ConnectFailed` if it is something else or still in use."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as err:  # a directory on the way that we may not search...
        raise ConnectFailed(f"cannot listen on {path}: {os_text(err)}") from None
    if not stat.S_ISSOCK(st.st_mode):
        raise ConnectFailed(f"cannot listen on {path}: it exists and is not a socket")
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(path)
        except OSError as err:
            if err.errno != errno.ECONNREFUSED:
                raise ConnectFailed(
                    f"cannot listen on {path}: {os_text(err)}"
                ) from None
        else:
            raise ConnectFailed(
                f"cannot listen on {path}: something is already listening there"
            )
    try:
        os.unlink(path)
    except OSError as err:
        raise ConnectFailed(
            f"cannot listen on {path}: cannot remove the stale socket there: "
            f"{os_text(err)}"
        ) from None


@dataclass
class Listen:
    """A session `Target` that listens and accepts one connection."""

    address: Address
    #: seconds to wait for QEMU; None waits until it comes (or Ctrl-C)
    timeout: float | None = None
    #: say on stderr what we wait for
    announce: bool = True
    _created: str | None = field(default=None, init=False)

    async def open(self, conn: Connection) -> None:
        if isinstance(self.address, UnixAddress):
            clear_stale_socket(self.address.path)
        await conn.listen(self.address)
        if isinstance(self.address, UnixAddress):
            self._created = self.address.path
        if self.announce:
            where = (
                f"unix:{self.address}"
                if isinstance(self.address, UnixAddress)
                else f"tcp:{self.address}"
            )
            sys.stderr.write(
                f"qmpsh: waiting for QEMU to connect to {self.address} "
                f"(start it with -qmp {where})\n"
            )
            sys.stderr.flush()
        await conn.accept(self.timeout)

    async def close(self) -> None:
        if self._created is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._created)
            self._created = None
