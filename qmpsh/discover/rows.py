"""What ``qmpsh ls`` lists: `Row`, and `SOURCES`, where rows come from.

Each source is a function of the `Scan` (what it may look at) that returns
rows; `gather` runs them in turn and merges the rows that reach the same
socket (a named target, the QEMU process that offers it and the libvirt
directory it sits in make one row, the earlier source's fields first).
Adding a source is one function and one line in `SOURCES`; a source
that fails costs its own rows and one warning, never the listing.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple, cast

if TYPE_CHECKING:
    from qmpsh.core.targets import Targets
    from qmpsh.discover.procs import UnixTable


class Row(NamedTuple):
    """One thing qmpsh can reach (or one group of targets)."""

    #: what qmpsh connects to (the ADDRESS); "" for a group, or a target
    #: with a mistake
    address: str
    #: target, qemu, qsd, agent, libvirt, proxmox or group
    kind: str
    #: a target's or a group's name
    name: str | None = None
    #: the process that serves it, its program and its -name
    pid: int | None = None
    program: str | None = None
    vm: str | None = None
    #: what else to know ("held by libvirt: use libvirt:web3", a target's
    #: mistake...)
    note: str = ""
    #: what should answer: "qmp", "agent", "" (either: ask), "held" (a
    #: socket a manager holds: looked up without connecting), "none" (do
    #: not probe: a group, a target with a mistake)
    expect: str = ""
    #: free, busy, down, denied or agent (`qmpsh.discover.probe`); None:
    #: not probed
    state: str | None = None
    #: the QEMU version its greeting gave
    version: str | None = None
    #: a group's targets
    members: tuple[str, ...] = ()


class Scan(NamedTuple):
    """What the sources look at."""

    targets: Targets
    unix: UnixTable
    #: where /proc is
    proc: str = "/proc"
    #: what the usual places are under ("/"; a test's directory)
    root: str = "/"
    #: the libvirt to ask for its domains (None: none)
    libvirt_uri: str | None = None
    #: how long a source may wait for an answer, in seconds
    timeout: float = 0.5


class SourceProblem(Exception):
    """Why a source gives no rows, in one line said as it is."""


Source = Callable[[Scan], Iterable[Row]]

#: where rows come from, in order ("module:function", imported on use);
#: where two rows reach the same socket, the earlier source's fields win
SOURCES: tuple[str, ...] = (
    "qmpsh.discover.sources:target_rows",
    "qmpsh.discover.sources:place_rows",
    "qmpsh.discover.sources:process_rows",
    "qmpsh.discover.libvirt_domains:libvirt_rows",
)


def source(spec: str) -> Source:
    module, _, function = spec.partition(":")
    return cast(Source, getattr(importlib.import_module(module), function))


def gather(
    scan: Scan, sources: Iterable[str] = SOURCES, warn: Callable[[str], None] = print
) -> list[Row]:
    """Every source's rows, merged."""
    rows: list[Row] = []
    for spec in sources:
        try:
            rows.extend(source(spec)(scan))
        except SourceProblem as err:
            warn(str(err))
        except Exception as err:  # a source's trouble is its own
            warn(f"{spec.rpartition(':')[2]}: {type(err).__name__}: {err}")
    return merge(rows)


def key(address: str) -> str:
    """What two addresses of the same socket have in common: a path's
    real path (links resolved), else the address as it is."""
    if address.startswith("/"):
        return os.path.realpath(address)
    return address


def merge(rows: Iterable[Row]) -> list[Row]:
    """The rows, those that reach the same socket made one, in order of
    their first appearance: fields a row lacks come from the later ones,
    notes add up, and an "either" expectation takes the later's.  Named
    targets stay apart (two names may lead to one socket), and what a
    later source says of their socket goes into each."""
    out: list[Row] = []
    at: dict[str, list[int]] = {}
    for row in rows:
        if not row.address:  # a group, a target with a mistake
            out.append(row)
            continue
        k = key(row.address)
        if row.kind == "target" or k not in at:
            at.setdefault(k, []).append(len(out))
            out.append(row)
            continue
        for i in at[k]:
            out[i] = _combine(out[i], row)
    return out


def _combine(first: Row, later: Row) -> Row:
    filled = {
        field: getattr(later, field)
        for field in ("name", "pid", "program", "vm", "version")
        if getattr(first, field) is None
    }
    if later.note and later.note not in first.note:
        filled["note"] = f"{first.note}; {later.note}" if first.note else later.note
    if first.expect == "" and later.expect:
        filled["expect"] = later.expect
    return first._replace(**filled)
