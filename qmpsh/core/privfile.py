"""Private files and directories for what qmpsh writes (wire log, history,
schema cache), opened so that another local user cannot turn them against
the user.

Files are opened for appending with mode 0600; a directory qmpsh creates gets
mode 0700.  An existing file (or qmpsh's own directory) that others may read
is tightened, with a one-line warning, since it may hold what the user typed.
`AppendFile` writes each record with one ``write(2)`` and turns a write error
(a full disk, a file system gone read-only) into a warning instead of a crash.

Safety (`Unsafe`, an OSError whose ``strerror`` is the one line to show):

- a file is opened with ``O_NOFOLLOW``: a symbolic link is followed only when
  it belongs to the user (or root: ``/dev/stderr``), never one another user
  planted;
- a regular file that belongs to another user is refused (never written,
  read or chmod-ed), wherever it is: a 0666 history that someone else
  created in a shared directory stays theirs and untouched;
- qmpsh's own directories (the state and cache directories) are checked
  the same way, through a descriptor opened without following a foreign
  link, and only then tightened (``fchmod``, never ``chmod`` by name);
- modes are only ever changed on what the user owns.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: a one-shot reading a file needs none
    from pathlib import Path

Warn = Callable[[str], None]


def no_warning(text: str) -> None:
    """The default *warn*: say nothing."""


class Unsafe(OSError):
    """A file or directory qmpsh will not use: another user's, or reached
    through another user's symbolic link.  ``strerror`` says which and why
    in one line."""

    def __init__(self, path: str | Path, why: str) -> None:
        super().__init__(errno.EPERM, f"{path} {why}: not used", str(path))


def _owner(uid: int) -> str:
    import pwd

    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def open_checked(path: str | Path, flags: int, mode: int = 0o600) -> int:
    """``os.open`` that refuses what another user could have planted: a
    symbolic link of theirs (links of the user's own or root's are
    followed) or a regular file or directory of theirs (raises `Unsafe`)."""
    me = os.geteuid()
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as err:
        # ELOOP for a link (ENOTDIR with O_DIRECTORY); EACCES where the
        # kernel protects sticky directories (fs.protected_regular)
        try:
            st = os.lstat(path)
        except OSError:
            raise err from None
        _refuse_foreign(path, st, me)
        if not stat.S_ISLNK(st.st_mode):
            raise
        fd = os.open(path, flags | os.O_CLOEXEC, mode)  # the user's or root's link
    st = os.fstat(fd)
    try:
        _refuse_foreign(path, st, me)
    except Unsafe:
        os.close(fd)
        raise
    return fd


def _refuse_foreign(path: str | Path, st: os.stat_result, me: int) -> None:
    """Raise `Unsafe` for another user's link (root's is trusted), regular
    file or directory."""
    if stat.S_ISLNK(st.st_mode):
        if st.st_uid not in (me, 0):
            owner = _owner(st.st_uid)
            raise Unsafe(path, f"is a symbolic link that belongs to {owner}")
    elif (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)) and st.st_uid != me:
        raise Unsafe(path, f"belongs to {_owner(st.st_uid)}")


def read_owned(path: str | Path) -> bytes:
    """The contents of *path*, refused (`Unsafe`) when another user could
    have planted it (see `open_checked`)."""
    fd = open_checked(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def check_owned_dir(path: str | Path) -> None:
    """Raise `Unsafe` when the directory *path* is another user's or is
    reached through another user's link (OSError when it cannot be
    opened)."""
    os.close(open_checked(path, os.O_RDONLY | os.O_DIRECTORY))


def make_private_dir(path: Path, warn: Warn = no_warning, tighten: bool = True) -> Path:
    """Create *path* (and missing parents) with mode 0700.

    With *tighten* (qmpsh's own directories, not a directory the user chose
    to put a file in), an existing directory must be the user's (else
    `Unsafe`), and one that others can enter or list is set to 0700 with a
    warning.
    """
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # a race with another qmpsh
            directory.mkdir(mode=0o700)
    if tighten and not missing:
        fd = open_checked(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            _tighten(fd, 0o700, warn, str(path))
        finally:
            os.close(fd)
    return path


def _tighten(fd: int, mode: int, warn: Warn, name: str) -> None:
    """Set the file or directory open as *fd* to *mode* when others may
    read it, with a warning; only what the user owns."""
    try:
        st = os.fstat(fd)
    except OSError:
        return
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        return  # /dev/null, a fifo...: not ours to change
    if st.st_uid != os.geteuid():
        return  # not ours: never changed (open_checked refuses it anyway)
    current = stat.S_IMODE(st.st_mode)
    if not current & 0o077:
        return
    shown = name
    try:
        os.fchmod(fd, mode)
    except OSError as err:
        warn(
            f"{shown} is readable by others (mode {current:04o}) and could not "
            f"be tightened: {_reason(err)}"
        )
        return
    warn(f"{shown} was readable by others (mode {current:04o}): set to {mode:04o}")


def open_private(path: str | Path, warn: Warn = no_warning) -> int:
    """An fd appending to *path*: created 0600 (parents 0700), or tightened;
    `Unsafe` for another user's file or link (see `open_checked`)."""
    from pathlib import Path

    target = Path(path)
    make_private_dir(target.parent, warn, tighten=False)
    fd = open_checked(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    _tighten(fd, 0o600, warn, str(target))
    return fd


class AppendFile:
    """Records appended to a private file, one ``write(2)`` each.

    A failed write is reported once through *warn* and counted; when writing
    works again a marker line made by *gap* (given the count) is written first,
    so that a reader of the file knows what is missing.
    """

    def __init__(
        self,
        path: str | Path,
        warn: Warn = no_warning,
        gap: Callable[[int], bytes] | None = None,
    ) -> None:
        self.path = str(path)
        self.warn = warn
        self.gap = gap
        #: records that could not be written
        self.lost = 0
        self._error = ""
        self._fd = open_private(path, warn)

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def append(self, record: bytes) -> bool:
        """Write *record*; False (after one warning) if it could not be."""
        if self._fd < 0:
            return False
        if not self.lost:
            if self._write(record):
                return True
            self.lost = 1
            self.warn(f"cannot write {self.path}: {self._error}; going on without it")
            return False
        marker = self.gap(self.lost) if self.gap is not None else b""
        if not self._write(marker + record):
            self.lost += 1
            return False
        self.warn(
            f"writing {self.path} works again; {self.lost} record"
            f"{'s' if self.lost > 1 else ''} could not be written"
        )
        self.lost = 0
        return True

    def _write(self, data: bytes) -> bool:
        try:
            done = os.write(self._fd, data)
            while done < len(data):  # only on a file system that is filling up
                done += os.write(self._fd, data[done:])
        except OSError as err:
            self._error = _reason(err)
            return False
        return True

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _reason(err: OSError) -> str:
    text = err.strerror or str(err)
    return text[:1].lower() + text[1:]
