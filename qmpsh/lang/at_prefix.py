"""The ``@`` prefix of a line in a shell open on several targets.  Pure.

``@vm2`` alone switches the shell to the target vm2; ``@vm2 CMD`` runs CMD
there once; ``@* CMD`` runs it on every open target, ``@GROUP CMD`` on the
open members of a ``[groups]`` entry.  `pick` says which targets its word
names (or, in one line, why none), `short_names` gives each target the name
the prompt and ``@`` use.  (Where the prefix is in a line, with the rest of
its parts: `qmpsh.lang.anatomy`; `At` is a line cut there.)
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: the word after ``@`` that names every open target
ALL = "*"

#: what a socket file's name commonly ends with (dropped from short names)
_SOCKET_SUFFIXES = (".sock", ".socket", ".qmp")


@dataclass(frozen=True)
class At:
    """A line that starts with ``@WORD``, cut after it (the shell's routing:
    `qmpsh.shell.fleet_lines`)."""

    #: what follows ``@``, up to the first blank: a name, ``*``, a group
    word: str
    #: the rest of the line after the prefix and the blanks after it ("" for
    #: ``@vm2`` alone)
    rest: str
    #: where *rest* starts in the line
    offset: int


@dataclass(frozen=True)
class Picked:
    """The targets an ``@`` word names, in the shell's order; *several*:
    the word names a set (``*``, a group), whose replies get a header per
    target, even when it has one member."""

    names: tuple[str, ...]
    several: bool


def pick(
    word: str,
    names: Sequence[str],
    aliases: Mapping[str, str] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> Picked | str:
    """What ``@WORD`` names among the open targets *names* (in order):
    ``*`` all, a name, an alias (a full label: see `short_names`) or a
    group whose members (names or aliases) are open.  Otherwise one line
    saying what is open (and what comes close)."""
    aliases = aliases or {}
    groups = groups or {}
    if word == ALL:
        return Picked(tuple(names), True)
    if word in names:
        return Picked((word,), False)
    if word in aliases:
        return Picked((aliases[word],), False)
    if word in groups:
        wanted = {aliases.get(member, member) for member in groups[word]}
        found = tuple(name for name in names if name in wanted)
        if found:
            return Picked(found, True)
        return f"@{word}: none of the group's targets is open here ({_open(names)})"
    if not word:
        return f"@ needs a target: @NAME, @{ALL} or @GROUP ({_open(names)})"
    close = difflib.get_close_matches(word, [*names, *groups], n=1)
    mean = f"; did you mean @{close[0]}?" if close else ""
    return f"@{word}: no such target is open ({_open(names)}){mean}"


def _open(names: Sequence[str]) -> str:
    return "open: " + ", ".join(names) if names else "none is open"


def short_names(labels: Sequence[str]) -> list[str]:
    """The name of each target, for the prompt and ``@``: its label, or
    for a path its file name without a socket suffix (``/run/vms/web1.sock``
    -> ``web1``); when paths share a file name, their directory's name
    (``/run/web1/qmp.sock`` -> ``web1``); the whole label when that is
    another target's name too."""
    names = list(labels)
    #: the paths' file names (None for the rest)
    files = [_short(label) if "/" in label else None for label in labels]
    for short in (_short, _parent):
        wanted = [short(label) for label in labels]
        for i, label in enumerate(labels):
            if names[i] != label:
                continue  # named already
            if short is _parent and (files[i] is None or files.count(files[i]) < 2):
                continue  # a directory's name only for files of one name
            mine = wanted[i]
            taken = [n for j, n in enumerate(names) if j != i and n != labels[j]]
            clash = wanted.count(mine) > 1 or mine in labels or mine in taken
            if mine and (mine == label or not clash):
                names[i] = mine
    return names


def _short(label: str) -> str:
    if "/" not in label:
        return label
    base = os.path.basename(label.rstrip("/"))
    for suffix in _SOCKET_SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)]
    return base


def _parent(label: str) -> str:
    """The name of the directory a path's file is in ("" for none)."""
    if "/" not in label:
        return label
    return os.path.basename(os.path.dirname(label.rstrip("/")))
