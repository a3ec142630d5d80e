"""Private files and directories for what qmpsh writes (wire log, history).

Files are opened for appending with mode 0600; a directory qmpsh creates gets
mode 0700.  An existing file (or qmpsh's own directory) that others may read
is tightened, with a one-line warning, since it may hold what the user typed.
`AppendFile` writes each record with one ``write(2)`` and turns a write error
(a full disk, a file system gone read-only) into a warning instead of a crash.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

Warn = Callable[[str], None]


def no_warning(text: str) -> None:
    """The default *warn*: say nothing."""


def make_private_dir(path: Path, warn: Warn = no_warning, tighten: bool = True) -> Path:
    """Create *path* (and missing parents) with mode 0700.

    With *tighten*, an existing directory that others can enter or list is
    set to 0700 with a warning (for qmpsh's own directories, not for a
    directory the user chose to put a file in).
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
        _tighten(path, 0o700, warn)
    return path


def _tighten(path: Path | int, mode: int, warn: Warn, name: str = "") -> None:
    try:
        st = os.stat(path) if not isinstance(path, int) else os.fstat(path)
    except OSError:
        return
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        return  # /dev/null, a fifo...: not ours to change
    current = stat.S_IMODE(st.st_mode)
    if not current & 0o077:
        return
    shown = name or str(path)
    try:
        if isinstance(path, int):
            os.fchmod(path, mode)
        else:
            os.chmod(path, mode)
    except OSError as err:
        warn(
            f"{shown} is readable by others (mode {current:04o}) and could not "
            f"be tightened: {_reason(err)}"
        )
        return
    warn(f"{shown} was readable by others (mode {current:04o}): set to {mode:04o}")


def open_private(path: str | Path, warn: Warn = no_warning) -> int:
    """An fd appending to *path*: created 0600 (parents 0700), or tightened."""
    target = Path(path)
    make_private_dir(target.parent, warn, tighten=False)
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
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
