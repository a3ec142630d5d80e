"""``qmpsh qom fuse MOUNTPOINT``: the QOM tree as a read-only filesystem.

Objects are directories, links are symbolic links (relative, so they
resolve inside the mount; an unset link points at ``<unset>``), and other
properties are files holding the value as ``qom get`` prints it plus a
newline, like QEMU's qom-fuse.  A property that cannot be read is a file of
mode 000 whose read fails with EACCES.  Nothing can be written.

FUSE runs in the main thread (single-threaded: requests are quick, and
libfuse 3.14's threaded loop complains about its own defaults); the QMP
connection lives in an asyncio loop on another thread, and each operation
waits for its request there.  Listings and values are cached for a second, so that
``ls -l`` (a stat per entry) costs one request per entry at most.
libfuse unmounts on Ctrl-C, SIGTERM and SIGHUP.

Needs the ``fuse`` extra (``pip install 'qmpsh[fuse]'``, the mfusepy binding)
and libfuse 3 (Debian: ``fuse3``).
"""

from __future__ import annotations

import asyncio
import errno
import os
import stat
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from mfusepy import FUSE, FuseOSError, Operations

from qmpsh.core.output import say
from qmpsh.qom import model as qom
from qmpsh.qom.fetch import QomFailed, qom_get, qom_list
from qmpsh.wire.connection import Connection
from qmpsh.wire.transport import Transport

T = TypeVar("T")

CACHE_SECONDS = 1.0
#: fuse_main's status when its loop ended (by a signal too)
LOOP_ENDED = 8
UNSET_LINK = "<unset>"


class Bridge:
    """Runs coroutines on a private event loop thread, for FUSE's threads."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class QomFS(Operations):  # type: ignore[misc]
    """The read-only filesystem; every answer comes from qom-list/qom-get."""

    use_ns = True

    def __init__(self, conn: Connection, bridge: Bridge, timeout: float) -> None:
        self.conn = conn
        self.bridge = bridge
        self.timeout = timeout
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._uid, self._gid = os.getuid(), os.getgid()
        self._started = time.time_ns()

    # -- fetching, cached ----------------------------------------------------

    def _cached(self, key: tuple[str, str], fetch: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        value = fetch()
        with self._lock:
            self._cache[key] = (now, value)
        return value

    def _list(self, path: str) -> list[qom.Prop] | None:
        """The properties of the object at *path*, or None if it is none."""

        def fetch() -> list[qom.Prop] | None:
            try:
                return self.bridge.run(qom_list(self.conn, path), self.timeout)
            except QomFailed:
                return None
            except Exception as err:  # connection lost, timeout
                raise FuseOSError(errno.EIO) from err

        result: list[qom.Prop] | None = self._cached(("list", path), fetch)
        return result

    def _value(self, path: str, name: str) -> Any:
        def fetch() -> Any:
            try:
                return self.bridge.run(qom_get(self.conn, path, name), self.timeout)
            except QomFailed as err:
                return qom.Unreadable(str(err))
            except Exception as err:
                raise FuseOSError(errno.EIO) from err

        return self._cached(("get", f"{path}\0{name}"), fetch)

    def _entry(self, path: str) -> tuple[str, qom.Prop] | None:
        """(parent object, property) for a path below the root."""
        parent, _, name = path.rpartition("/")
        parent = parent or "/"
        props = self._list(parent)
        if props is None:
            return None
        found = next((p for p in props if p.name == name), None)
        return None if found is None else (parent, found)

    def _content(self, parent: str, prop: qom.Prop) -> bytes | qom.Unreadable:
        value = self._value(parent, prop.name)
        if isinstance(value, qom.Unreadable):
            return value
        return (qom.value_text(value) + "\n").encode()

    # -- operations ------------------------------------------------------------

    def getattr(self, path: str, fh: Any = None) -> dict[str, Any]:
        base = {
            "st_uid": self._uid,
            "st_gid": self._gid,
            "st_atime": self._started,
            "st_mtime": self._started,
            "st_ctime": self._started,
        }
        if path == "/":
            return {**base, "st_mode": stat.S_IFDIR | 0o555, "st_nlink": 2}
        entry = self._entry(path)
        if entry is None:
            raise FuseOSError(errno.ENOENT)
        parent, prop = entry
        if prop.child:
            return {**base, "st_mode": stat.S_IFDIR | 0o555, "st_nlink": 2}
        if prop.link:
            target = self._link_target(parent, prop)
            return {
                **base,
                "st_mode": stat.S_IFLNK | 0o777,
                "st_nlink": 1,
                "st_size": len(target),
            }
        content = self._content(parent, prop)
        if isinstance(content, qom.Unreadable):
            return {**base, "st_mode": stat.S_IFREG, "st_nlink": 1, "st_size": 0}
        return {
            **base,
            "st_mode": stat.S_IFREG | 0o444,
            "st_nlink": 1,
            "st_size": len(content),
        }

    def readdir(self, path: str, fh: Any) -> list[str]:
        props = self._list(path)
        if props is None:
            raise FuseOSError(errno.ENOTDIR if self._entry(path) else errno.ENOENT)
        return [".", "..", *(p.name for p in props)]

    def _link_target(self, parent: str, prop: qom.Prop) -> str:
        value = self._value(parent, prop.name)
        if not isinstance(value, str) or not value.startswith("/"):
            return UNSET_LINK
        depth = len([part for part in parent.split("/") if part])
        return (
            "/".join([".."] * depth + [value.lstrip("/")])
            if depth
            else value.lstrip("/")
        )

    def readlink(self, path: str) -> str:
        entry = self._entry(path)
        if entry is None or not entry[1].link:
            raise FuseOSError(errno.EINVAL if entry else errno.ENOENT)
        return self._link_target(*entry)

    def open(self, path: str, flags: int) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_TRUNC):
            raise FuseOSError(errno.EROFS)
        entry = self._entry(path)
        if entry is None:
            raise FuseOSError(errno.ENOENT)
        parent, prop = entry
        if prop.child:
            raise FuseOSError(errno.EISDIR)
        if not prop.link and isinstance(self._content(parent, prop), qom.Unreadable):
            raise FuseOSError(errno.EACCES)
        return 0

    def read(self, path: str, size: int, offset: int, fh: Any) -> bytes:
        entry = self._entry(path)
        if entry is None:
            raise FuseOSError(errno.ENOENT)
        content = self._content(*entry)
        if isinstance(content, qom.Unreadable):
            raise FuseOSError(errno.EACCES)
        return content[offset : offset + size]


def mount(mountpoint: str, address: Transport, opts: dict[str, Any]) -> int:
    """Mount until unmounted or signalled; return the exit code."""
    from qmpsh.cli.problems import fail
    from qmpsh.core.errors import QmpshError
    from qmpsh.core.exitcodes import Exit

    if not os.path.isdir(mountpoint):
        return fail(f"cannot mount on {mountpoint}: not a directory", Exit.USAGE)
    bridge = Bridge()
    from qmpsh.policy.rules import gate_of

    conn = Connection()
    conn.gate = gate_of(opts)  # --allow, --deny (it only reads)
    try:
        try:
            bridge.run(conn.connect(address, opts["connect_timeout"]))
        except QmpshError as err:
            return fail(err.message, err.exit_code)
        say(f"QOM of {address} mounted on {mountpoint}; Ctrl-C unmounts")
        timeout = opts.get("timeout") or 30.0
        try:
            FUSE(
                QomFS(conn, bridge, timeout),
                mountpoint,
                foreground=True,
                ro=True,
                fsname="qom",
                nothreads=True,
            )
        except RuntimeError as err:
            # libfuse's fuse_main: 8 is "the loop ended", which is how a
            # signal (Ctrl-C, SIGTERM) ends it; lower codes are set-up failures
            if err.args != (LOOP_ENDED,):
                return fail(
                    f"cannot mount on {mountpoint} (libfuse failed with "
                    f"status {err}; is /dev/fuse usable?)",
                    Exit.CONNECT_ERROR,
                )
        say(f"unmounted {mountpoint}")
        return Exit.OK
    finally:
        bridge.run(conn.close(), 10)
        bridge.stop()
