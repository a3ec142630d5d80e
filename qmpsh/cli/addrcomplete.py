"""Completing an ADDRESS on the qmpsh command line (shell completion).

An address is a unix socket or ``HOST:PORT``.  What is offered for the word
being typed: the socket files in the directory it names (the current one
when it names none), the directories there (to walk on to a socket), and
the ``addresses`` listed in the config file that start with it.  Hidden
entries only when the word's last part starts with a dot, as shells do.

`candidates` is the logic (it reads the file system, nothing else);
`complete_address` is the click hook for ADDRESS arguments and options,
read by `qmpsh.cli.shellcomplete`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

#: how many directory entries are looked at, at most (a huge /tmp stays quick)
SCAN_LIMIT = 5000


class Candidate(NamedTuple):
    #: what replaces the word being typed; a directory ends with "/"
    value: str
    #: "socket", "dir" or "configured"
    kind: str


def candidates(incomplete: str, configured: Sequence[str] = ()) -> list[Candidate]:
    """Sockets and directories matching *incomplete*, then configured addresses.

    Values keep the user's spelling of the directory part (``~/vm/`` stays
    ``~/vm/``), so the shell can put them in place of the word.
    """
    head, slash, stem = incomplete.rpartition("/")
    prefix = head + slash
    directory = os.path.expanduser(prefix) if prefix else "."
    found: list[Candidate] = []
    try:
        with os.scandir(directory) as entries:
            for count, entry in enumerate(entries):
                if count >= SCAN_LIMIT:
                    break
                name = entry.name
                if not name.startswith(stem):
                    continue
                if name.startswith(".") and not stem.startswith("."):
                    continue
                kind = _kind(entry)
                if kind is not None:
                    suffix = "/" if kind == "dir" else ""
                    found.append(Candidate(prefix + name + suffix, kind))
    except OSError:
        pass
    found.sort(key=lambda c: (c.kind != "socket", c.value))
    seen = {c.value for c in found}
    for address in configured:
        if address.startswith(incomplete) and address not in seen:
            seen.add(address)
            found.append(Candidate(address, "configured"))
    return found


def _kind(entry: os.DirEntry[str]) -> str | None:
    try:
        mode = entry.stat().st_mode  # follows symlinks: a link to a socket counts
    except OSError:
        return None
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISDIR(mode):
        return "dir"
    return None


def configured_addresses() -> tuple[str, ...]:
    """The ``addresses`` of the config file; none when it is missing or bad.

    Reads the file without writing it (that is the shell's first run's job).
    """
    import tomllib

    from qmpsh.core.config import check, config_path

    try:
        with open(config_path(), "rb") as handle:
            raw = tomllib.load(handle)
    except (OSError, ValueError):
        return ()
    if "addresses" not in raw:
        return ()
    values, _warnings = check({"addresses": raw["addresses"]})
    addresses: tuple[str, ...] = values.get("addresses", ())
    return addresses


def items(incomplete: str, configured: Sequence[str] = ()) -> list[CompletionItem]:
    """`candidates` as click completion items of type "path" or "plain"."""
    from click.shell_completion import CompletionItem

    out: list[CompletionItem] = []
    for value, kind in candidates(incomplete, configured):
        if kind == "configured":
            out.append(CompletionItem(value, help="from the config file"))
        else:
            out.append(CompletionItem(value, type="path", help=kind))
    return out


def complete_address(ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
    """The click ``shell_complete`` hook of an ADDRESS argument or option."""
    return items(incomplete, configured_addresses())
