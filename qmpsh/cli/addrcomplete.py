"""Completing an ADDRESS on the qmpsh command line (shell completion).

An address is a unix socket, ``HOST:PORT`` or a named target.  What is
offered for the word being typed: the config file's target names that
start with it (while it holds no ``/`` or ``:``, which no name does), the
socket files in the directory it names (the current one when it names
none), the directories there (to walk on to a socket), and the
``addresses`` listed in the config file that start with it.  Hidden
entries only when the word's last part starts with a dot, as shells do.

`candidates` is the logic (it reads the file system, nothing else);
`complete_address` is the click hook for ADDRESS arguments and options,
read by `qmpsh.cli.shellcomplete`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

#: how many directory entries are looked at, at most (a huge /tmp stays quick)
SCAN_LIMIT = 5000


class Candidate(NamedTuple):
    #: what replaces the word being typed; a directory ends with "/"
    value: str
    #: "target", "socket", "dir" or "configured"
    kind: str
    #: a target's address, shown beside its name
    note: str = ""


def candidates(
    incomplete: str,
    configured: Sequence[str] = (),
    targets: Mapping[str, str] | None = None,
) -> list[Candidate]:
    """Target names (*targets*: name -> address) matching *incomplete*, then
    sockets and directories, then configured addresses.

    Values keep the user's spelling of the directory part (``~/vm/`` stays
    ``~/vm/``), so the shell can put them in place of the word.
    """
    from qmpsh.core.targets import may_name

    named = [
        Candidate(name, "target", address)
        for name, address in sorted((targets or {}).items())
        if name.startswith(incomplete) and may_name(name)
    ]
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
    found = named + found
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


def configured_targets() -> dict[str, str]:
    """The config file's targets that can be used: name -> address (none
    when the file is missing or bad; never written here)."""
    from qmpsh.cli.targets import config_targets

    found = config_targets().targets
    return {name: t.address for name, t in found.items() if not t.problem}


def items(
    incomplete: str,
    configured: Sequence[str] = (),
    targets: Mapping[str, str] | None = None,
) -> list[CompletionItem]:
    """`candidates` as click completion items of type "path" or "plain"."""
    from click.shell_completion import CompletionItem

    from qmpsh.core.text import visible

    out: list[CompletionItem] = []
    for value, kind, note in candidates(incomplete, configured, targets):
        if kind == "configured":
            out.append(CompletionItem(value, help="from the config file"))
        elif kind == "target":
            out.append(CompletionItem(value, help=f"target: {visible(note)}"))
        else:
            out.append(CompletionItem(value, type="path", help=kind))
    return out


def complete_address(ctx: Any, param: Any, incomplete: str) -> list[CompletionItem]:
    """The click ``shell_complete`` hook of an ADDRESS argument or option."""
    from qmpsh.core.targets import may_name

    targets = configured_targets() if not incomplete or may_name(incomplete) else {}
    return items(incomplete, configured_addresses(), targets)
