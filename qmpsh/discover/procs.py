"""What /proc says: the QEMU processes running here, and unix sockets.

`qemu_processes` reads every process's command line (``/proc/PID/cmdline``)
and keeps QEMU's (`qmpsh.discover.cmdline.parse_argv`); a process that
goes away meanwhile, or whose files cannot be read, is skipped.
`UnixTable` reads ``/proc/net/unix`` once: which paths have a listening
socket (so that a socket someone else holds can be told up without
connecting to it), and the path of a socket QEMU was handed as a
descriptor (``fd=N``, as libvirt starts it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import NamedTuple

from qmpsh.discover.cmdline import Program, parse_argv, program_kind

#: a listening socket (__SO_ACCEPTCON) in /proc/net/unix's Flags
_ACCEPTCON = 0x10000


class Process(NamedTuple):
    pid: int
    program: Program


def qemu_processes(proc: str = "/proc") -> Iterator[Process]:
    """The QEMU processes (qemu-system-*, qemu-storage-daemon), by pid."""
    try:
        pids = sorted(int(e) for e in os.listdir(proc) if e.isdigit())
    except OSError:
        return
    for pid in pids:
        try:
            with open(f"{proc}/{pid}/cmdline", "rb") as handle:
                raw = handle.read(1 << 20)
        except OSError:
            continue
        argv = [a.decode("utf-8", "surrogateescape") for a in raw.split(b"\0")[:-1]]
        if not argv or program_kind(argv[0]) is None:
            continue
        try:
            cwd = os.readlink(f"{proc}/{pid}/cwd")
        except OSError:
            cwd = ""
        program = parse_argv(argv, cwd)
        if program is not None:
            yield Process(pid, program)


class UnixTable:
    """``/proc/net/unix``, read once: bound paths and inodes."""

    def __init__(self, proc: str = "/proc") -> None:
        #: paths with a listening socket
        self.listening: set[str] = set()
        #: inode -> path, of the listening sockets
        self.paths: dict[int, str] = {}
        #: path -> how many sockets bear it (the listening one and the
        #: connections it accepted)
        self.bound: dict[str, int] = {}
        try:
            with open(f"{proc}/net/unix", encoding="utf-8", errors="replace") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            return
        for row in rows:
            fields = row.split(None, 7)
            if len(fields) < 8 or fields[7].startswith("@"):
                continue
            path = fields[7]
            self.bound[path] = self.bound.get(path, 0) + 1
            try:
                flags, inode = int(fields[3], 16), int(fields[6])
            except ValueError:
                continue
            if flags & _ACCEPTCON:
                self.listening.add(path)
                self.paths[inode] = path

    def fd_path(self, pid: int, fd: int, proc: str = "/proc") -> str | None:
        """The path of the listening unix socket that is descriptor *fd*
        of process *pid* (None when it is not one, or cannot be read)."""
        try:
            link = os.readlink(f"{proc}/{pid}/fd/{fd}")
        except OSError:
            return None
        if not (link.startswith("socket:[") and link.endswith("]")):
            return None
        try:
            return self.paths.get(int(link[8:-1]))
        except ValueError:
            return None
