"""Find and read the installed QMP reference man page of a server.

The only module of the manual that touches files.  `locate` searches as
man(1) does: the directories of ``MANPATH`` when it is set (an empty entry,
as in ``MANPATH=/opt/man:``, stands for the usual directories), else the
usual directories; and only when that finds nothing, ``man -w`` when the
program exists (never required).  `read_page` reads plain, gzip, bzip2 and
xz/lzma files with the standard library, by magic number, within a size
limit, with control characters made visible (`VISIBLE`).  Every failure is a `ManualError`: one line naming the file or the
page, what is wrong with it, and the Debian package that ships the page.
"""

from __future__ import annotations

import bz2
import lzma
import os
import shutil
import subprocess
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from qmpsh.core.errors import QmpshError
from qmpsh.schema.manual.model import ServerKind

PAGES: dict[ServerKind, str] = {
    "qemu": "qemu-qmp-ref",
    "storage-daemon": "qemu-storage-daemon-qmp-ref",
    "guest-agent": "qemu-ga-ref",
}
"""Man page (section 7) of each server kind."""

PACKAGES: dict[ServerKind, str] = {
    "qemu": "qemu-system-common",
    "storage-daemon": "qemu-system-common",
    "guest-agent": "qemu-guest-agent",
}
"""The Debian package that ships each page."""

NAMES: dict[ServerKind, str] = {
    "qemu": "QEMU",
    "storage-daemon": "qemu-storage-daemon",
    "guest-agent": "the guest agent",
    "unknown": "an unknown server",
}
"""Each server kind as a sentence names it."""

USUAL_DIRS: tuple[str, ...] = (
    "/usr/share/man",
    "/usr/local/share/man",
    "/usr/man",
    "/usr/local/man",
)
SUFFIXES: tuple[str, ...] = ("", ".gz", ".bz2", ".xz", ".lzma")
_UNSUPPORTED: tuple[str, ...] = (".zst", ".Z", ".lz")
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x5d\x00\x00", "lzma"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
#: the largest page read (QEMU 7.2's largest is 0.7 MB); bounds a bomb
MAX_BYTES = 32 * 1024 * 1024


class ManualError(QmpshError):
    """The page is missing, unreadable, damaged or not the one wanted."""

    def __init__(
        self, kind: ServerKind, problem: str, path: Path | None = None
    ) -> None:
        self.kind = kind
        self.problem = problem
        self.path = path
        page = PAGES.get(kind)
        where = f"{path}: " if path is not None else f"{page}(7): " if page else ""
        package = PACKAGES.get(kind, "qemu-system-common")
        message = f"{where}{problem} (Debian package: {package})"
        super().__init__(" ".join(message.split()))


def man_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """The directories to search, as man(1) takes ``MANPATH``."""
    environ = os.environ if env is None else env
    manpath = environ.get("MANPATH")
    if not manpath:
        return [Path(d) for d in USUAL_DIRS]
    dirs: list[str] = []
    for part in manpath.split(":"):
        dirs.extend([part] if part else USUAL_DIRS)
    return [Path(d) for d in dict.fromkeys(dirs)]


def _man_w(page: str, env: Mapping[str, str] | None) -> Path | None:
    program = shutil.which("man")
    if program is None:
        return None
    try:
        done = subprocess.run(
            [program, "-w", "7", page],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            env=None if env is None else dict(env),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    found = done.stdout.strip().splitlines()
    return Path(found[0]) if done.returncode == 0 and found else None


def locate(
    kind: ServerKind,
    *,
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    use_man: bool = True,
) -> Path:
    """The page of *kind*; *path* (``--qmp-ref``) instead of the search."""
    if path is not None:
        chosen = Path(os.path.expanduser(path))
        if not chosen.exists():
            raise ManualError(kind, "no such file", chosen)
        return chosen
    page = PAGES.get(kind)
    if page is None:
        raise ManualError(kind, "no QMP reference page is known for this server")
    unsupported: Path | None = None
    for directory in man_dirs(env):
        for suffix in SUFFIXES + _UNSUPPORTED:
            candidate = directory / "man7" / f"{page}.7{suffix}"
            if candidate.is_file():
                if suffix in _UNSUPPORTED:
                    unsupported = unsupported or candidate
                    continue
                return candidate
    found = _man_w(page, env) if use_man else None
    if found is not None and found.suffix not in _UNSUPPORTED:
        return found
    if unsupported is not None:
        raise ManualError(kind, "compressed in a format qmpsh cannot read", unsupported)
    raise ManualError(kind, "not installed (searched MANPATH and the usual man dirs)")


class _Decompressor(Protocol):
    @property
    def eof(self) -> bool: ...

    def decompress(self, data: bytes, /, max_length: int = ...) -> bytes: ...


def _decompressor(method: str) -> _Decompressor | None:
    if method == "gzip":
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    if method == "bzip2":
        return bz2.BZ2Decompressor()
    if method in ("xz", "lzma"):
        return lzma.LZMADecompressor()
    return None


def read_page(path: Path, kind: ServerKind = "unknown") -> str:
    """A page's text, decompressed by magic number (not by file name)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        problem = f"cannot read: {error.strerror or error}"
        raise ManualError(kind, problem, path) from error
    if not data:
        raise ManualError(kind, "empty file", path)
    method = next((name for magic, name in _MAGIC if data.startswith(magic)), "plain")
    if method == "zstd":
        raise ManualError(kind, "zstd-compressed, which qmpsh cannot read", path)
    engine = _decompressor(method)
    if engine is not None:
        try:
            data = engine.decompress(data, MAX_BYTES + 1)
        except (OSError, zlib.error, lzma.LZMAError, ValueError, EOFError) as error:
            problem = f"corrupt {method} file ({error})"
            raise ManualError(kind, problem, path) from error
        if len(data) <= MAX_BYTES and not engine.eof:
            problem = f"truncated {method} file (reinstall the package)"
            raise ManualError(kind, problem, path)
    if len(data) > MAX_BYTES:
        problem = f"larger than {MAX_BYTES >> 20} MiB: not a man page"
        raise ManualError(kind, problem, path)
    if b"\x00" in data[:4096]:
        raise ManualError(kind, "binary data, not a man page", path)
    return data.decode("utf-8", errors="replace").translate(VISIBLE)


#: control characters (an escape sequence would drive the terminal that
#: shows the text) in caret notation, ``^[`` for ESC; tabs and line ends kept
VISIBLE = {
    code: f"^{chr(code ^ 0x40)}" if code < 0x80 else "\ufffd"
    for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))
    if code not in (0x09, 0x0A, 0x0D)
}
