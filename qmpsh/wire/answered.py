"""What answered at an address before: a guest agent, or QEMU.

Telling a guest agent from QEMU costs half a second when nothing says
which it is (`qmpsh.wire.detect_agent` waits that long for QEMU's
greeting).  Two things say it at once:

- the peer: on a unix socket, ``SO_PEERCRED`` names the process that
  listens, even before it accepts us; ``qemu-ga`` (its
  ``/proc/PID/comm``) is a guest agent (`peer_is_qemu_ga`);
- memory: what answered at this address last time, in the state
  directory's ``answered`` file (`recall`, `remember`).  For a unix socket
  the entry holds the socket file's device, inode and change time: the
  same socket file is a sure guess; a socket created again since at the
  same path (a VM restarted) a likely one, re-checked by what answers.

The file is JSON, ``{address: [kind, stamp]}`` with the newest last, at
most `KEEP` entries; it is written only when what it says changes, whole
(a temp file renamed over it), 0600 in the 0700 state directory, and
read and written by `qmpsh.core.privfile`'s rules (never another user's
file or link).  Any failure to read or write it is ignored: it is a
speed-up, never needed.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
from typing import Literal, NamedTuple

from qmpsh.wire.stream import UnixSocket
from qmpsh.wire.transport import Transport

Kind = Literal["agent", "qmp"]

#: how many addresses the file remembers
KEEP = 64

#: the file's name in the state directory
FILE = "answered"


class Place(NamedTuple):
    """An address as memory knows it: its key and, for a unix socket
    file, ``[dev, ino, ctime_ns]`` (None: no file to look at)."""

    key: str
    stamp: list[int] | None


class Guess(NamedTuple):
    """What is expected to answer: "agent", "qmp" or None (nothing known);
    *sure*: known of this very socket (not one created again since)."""

    kind: Kind | None = None
    sure: bool = False


def _innermost(transport: Transport) -> Transport:
    """The transport a named target wraps (itself for any other)."""
    inner = transport
    while isinstance(getattr(inner, "inner", None), Transport):
        inner = inner.inner  # type: ignore[attr-defined]
    return inner


def local(transport: Transport) -> bool:
    """Whether *transport* is a local unix socket."""
    return isinstance(_innermost(transport), UnixSocket)


def place(transport: Transport) -> Place:
    """Where *transport* leads, as memory keys it (a named target's by its
    inner transport, so that both share what is known)."""
    inner = _innermost(transport)
    if not isinstance(inner, UnixSocket):
        return Place(inner.name, None)
    path = inner.address.path
    if path.startswith("@"):  # abstract: no file
        return Place(f"unix:{path}", None)
    path = os.path.abspath(path)
    try:
        st = os.stat(path)
    except OSError:
        return Place(f"unix:{path}", None)
    return Place(f"unix:{path}", [st.st_dev, st.st_ino, st.st_ctime_ns])


def peer_is_qemu_ga(sock: socket.socket) -> bool:
    """Whether the process listening at the other end of the unix socket
    *sock* is qemu-ga (False when that cannot be told)."""
    if sock.family != socket.AF_UNIX or not hasattr(socket, "SO_PEERCRED"):
        return False
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        pid = struct.unpack("3i", creds)[0]
        if pid <= 0:
            return False
        with open(f"/proc/{pid}/comm", "rb") as handle:
            return handle.read().strip() == b"qemu-ga"
    except (OSError, struct.error):
        return False


def _path() -> str:
    """The memory's file, as a string: every connection reads it, and
    pathlib would cost a one-shot several milliseconds to import."""
    from qmpsh.core.paths import state_dir_name

    return os.path.join(state_dir_name(), FILE)


def _read() -> dict[str, list[object]]:
    from qmpsh.core.privfile import read_owned

    try:
        data = json.loads(read_owned(_path()))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def recall(where: Place) -> Guess:
    """What answered at *where* last time."""
    entry = _read().get(where.key)
    if not isinstance(entry, list) or len(entry) != 2:
        return Guess()
    kind, stamp = entry
    if kind not in ("agent", "qmp"):
        return Guess()
    return Guess(kind, stamp == where.stamp)


def expects_agent(transport: Transport) -> bool:
    """Whether memory says that a guest agent answered at this very socket."""
    guess = recall(place(transport))
    return guess.kind == "agent" and guess.sure


def remember(where: Place, kind: Kind) -> None:
    """*kind* answered at *where* (written only when memory said otherwise)."""
    data = _read()
    if data.get(where.key) == [kind, where.stamp]:
        return
    data.pop(where.key, None)
    data[where.key] = [kind, where.stamp]
    for old in list(data)[: max(0, len(data) - KEEP)]:
        del data[old]
    with contextlib.suppress(OSError, ValueError):
        _write(_path(), data)


def _write(target: str, data: dict[str, list[object]]) -> None:
    """*data* into *target*, whole or not at all."""
    import tempfile
    from pathlib import Path

    from qmpsh.core.privfile import check_owned_dir, make_private_dir

    directory = os.path.dirname(target)
    make_private_dir(Path(directory))
    check_owned_dir(directory)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".answered.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, separators=(",", ":"))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
