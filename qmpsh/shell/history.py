"""The persistent command history: ``$XDG_STATE_HOME/qmpsh/history``.

`HistoryFile` owns the file: it is appended after every command (so a crash
or a kill loses nothing), created with mode 0600 in a 0700 directory, and
trimmed to the newest ``limit`` entries when loaded.  An existing file (or
its directory) that others can read is tightened, with a warning, through
`qmpsh.core.privfile`; one that belongs to another user, or a symbolic link
another user planted, is not used at all (one line says so, and the session
keeps its history in memory).  The format is the one
prompt_toolkit's ``FileHistory`` uses (an entry is a ``# time`` line and its
lines each prefixed with ``+``), so multi-line transactions stay whole.

What is written is decided by one function, the *keep* hook: it gets the
text of a command and returns the text to store, or None to store nothing
(the default skips blank lines and lines typed with a leading space, as
shells do).  A redaction of secrets plugs in there.

`ShellHistory` adapts the file to prompt_toolkit (Up/Down, Ctrl-R,
suggestions); it keeps the text as typed in memory for the session.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from prompt_toolkit.history import History

from qmpsh.core.paths import state_dir
from qmpsh.core.privfile import (
    Unsafe,
    Warn,
    make_private_dir,
    no_warning,
    open_private,
    read_owned,
)
from qmpsh.core.text import os_text

Keep = Callable[[str], str | None]


def history_path() -> Path:
    return state_dir() / "history"


def keep_typed(text: str) -> str | None:
    """The default *keep* hook: skip blank text and text starting with a space."""
    if not text.strip() or text[:1] in (" ", "\t"):
        return None
    return text


def parse_entries(data: str) -> list[str]:
    """The entries of a history file's text, oldest first."""
    entries: list[str] = []
    lines: list[str] = []
    for line in data.splitlines():
        if line.startswith("+"):
            lines.append(line[1:])
        elif lines:
            entries.append("\n".join(lines))
            lines = []
    if lines:
        entries.append("\n".join(lines))
    return entries


def readline_entries(raw: str) -> list[str]:
    """The commands of a readline history file such as qmp-shell's, oldest
    first.  qmp-shell stores each line of a multi-line transaction on its
    own (``transaction(``, the actions, ``)``); they become one entry, as
    qmpsh keeps a transaction."""
    out: list[str] = []
    pending: list[str] = []
    for line in raw.splitlines():
        if line == "_HiStOrY_V2_":  # libedit's header; it escapes spaces
            continue
        text = line.replace("\\040", " ").rstrip()
        if not pending and text.split()[:1] == ["transaction("]:
            if not text.endswith(")"):
                pending = [text]
                continue
        elif pending:
            pending.append(text)
            if text.split()[-1:] == [")"]:
                out.append("\n".join(pending))
                pending = []
            continue
        out.append(text)
    out.extend(pending)  # a transaction never closed: its lines as they are
    return out


def format_entry(text: str, when: datetime.datetime | None = None) -> str:
    when = when or datetime.datetime.now()
    body = "".join(f"+{line}\n" for line in text.split("\n"))
    return f"\n# {when:%Y-%m-%d %H:%M:%S.%f}\n{body}"


class HistoryFile:
    """Append-per-command history in one private file."""

    def __init__(
        self,
        path: Path,
        limit: int = 10000,
        keep: Keep = keep_typed,
        warn: Warn = no_warning,
    ) -> None:
        self.path = path
        self.limit = limit
        self.keep = keep
        #: told when a file or directory others could read is tightened
        self.warn = warn
        self._last: str | None = None
        #: why the file is not used (another user's), once said
        self.refused: str | None = None

    def _refuse(self, err: Unsafe) -> None:
        """Stop using the file for this session, and say why once."""
        if self.refused is None:
            self.refused = err.strerror or str(err)
            self.warn(f"{self.refused}: this session's history is kept in memory only")
        self.limit = 0

    def tighten(self) -> None:
        """Make an existing history file 0600 and its directory 0700, each
        with a warning if it was looser (called at start, before any write)."""
        if self.limit <= 0:
            return
        try:
            if self.path.parent.is_dir():
                make_private_dir(self.path.parent, self.warn)
            if stat.S_ISREG(os.lstat(self.path).st_mode):
                os.close(open_private(self.path, self.warn))
        except Unsafe as err:
            self._refuse(err)
        except OSError:
            pass  # missing: created on the first write (which says what is wrong)

    def load(self) -> list[str]:
        """The stored entries, oldest first; trims the file to `limit`.

        With a limit of 0 nothing is read, written or trimmed.
        """
        if self.limit <= 0:
            return []
        try:
            if not stat.S_ISREG(os.stat(self.path).st_mode):
                return []  # /dev/null (history off), /dev/full...: nothing kept
            data = read_owned(self.path).decode("utf-8", errors="replace")
        except (FileNotFoundError, NotADirectoryError):
            return []  # no history yet (writing will say what is wrong)
        except Unsafe as err:
            self._refuse(err)
            return []
        entries = parse_entries(data)
        if len(entries) > self.limit:
            entries = entries[len(entries) - self.limit :]
            self._rewrite(entries)
        self._last = entries[-1] if entries else None
        return entries

    def append(self, text: str) -> bool:
        """Store *text* (as the keep hook decides) now; True if written.

        An entry equal to the previous one is not stored twice.  Raises
        OSError when the file cannot be written.
        """
        if self.limit <= 0:
            return False
        stored = self.keep(text)
        if stored is None or stored == self._last:
            return False
        try:
            self._write(format_entry(stored))
        except Unsafe as err:
            self._refuse(err)
            return False
        self._last = stored
        return True

    def import_file(self, source: Path) -> int:
        """On the first run (no history yet), copy a readline history file
        such as qmp-shell's in; returns how many entries were imported."""
        if self.path.exists() or self.limit <= 0:
            return 0
        try:
            raw = source.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return 0
        entries: list[str] = []
        for text in readline_entries(raw):
            kept = self.keep(text) if text else None
            if kept is not None and (not entries or entries[-1] != kept):
                entries.append(kept)
        entries = entries[-self.limit :]
        if entries:
            self._write("".join(format_entry(e) for e in entries))
            self._last = entries[-1]
        return len(entries)

    def _write(self, data: str) -> None:
        """Append *data* with one ``write(2)`` (a kill cannot tear an entry)."""
        fd = open_private(self.path, self.warn)
        try:
            raw = data.encode("utf-8")
            done = os.write(fd, raw)
            while done < len(raw):  # only on a file system that is filling up
                done += os.write(fd, raw[done:])
        finally:
            os.close(fd)

    def _rewrite(self, entries: list[str]) -> None:
        """Replace the file atomically with *entries* (best effort)."""
        data = "".join(format_entry(e) for e in entries)
        with contextlib.suppress(OSError):
            fd, tmp = tempfile.mkstemp(prefix=".history-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(data)
                os.replace(tmp, self.path)
            except OSError:
                os.unlink(tmp)


class ShellHistory(History):
    """prompt_toolkit's view of a `HistoryFile`.

    A failed write is reported once through *on_error* and the session goes
    on with its in-memory history.
    """

    def __init__(self, file: HistoryFile, on_error: Callable[[str], None]) -> None:
        super().__init__()
        self.file = file
        self.on_error = on_error
        self._failed = False

    def load_history_strings(self) -> Iterable[str]:
        try:
            entries = self.file.load()
        except OSError as err:
            self.on_error(f"cannot read the history {self.file.path}: {os_text(err)}")
            entries = []
        return reversed(entries)

    def store_string(self, string: str) -> None:
        try:
            self.file.append(string)
        except OSError as err:
            if not self._failed:
                self._failed = True
                self.on_error(
                    f"cannot write the history {self.file.path}: {os_text(err)}; "
                    "this session's commands are kept in memory only"
                )
