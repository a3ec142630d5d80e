"""What an ADDRESS on the command line (or in ``$QMP_SOCKET``) names: a
target of the config file, or an address the `SCHEMES` table reads.

The rule (`resolve`):

- a word holding ``/`` or ``:`` is an address, never a target's name
  (``./web3``, ``unix:web3``: the file; ``host:4444``; ``libvirt:web3``);
  the config file is not even read;
- a plain word that names a target is that target, even when a file of
  that name is in the current directory (a warning then says so): what
  ``qmpsh web3`` reaches must not depend on where it is typed, and the
  file is still ``./web3``;
- a plain word that names no target is the file of that name; when there
  is none and the config file has targets, it is a mistake (exit 2), with
  the names that come close.  Without targets, it stays a socket path
  (exit 4 when nothing is there), as before targets existed.

The same rule holds for ``qmpsh ADDRESS``, ``qmpsh events ADDRESS``,
``qmpsh qom ... -s ADDRESS`` and ``$QMP_SOCKET``.  Batch mode reads the
named target's table only (the file's top level stays the shell's).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from qmpsh.cli.options import SUBCOMMANDS
from qmpsh.core.output import say

if TYPE_CHECKING:
    from qmpsh.core.targets import Target, Targets
    from qmpsh.wire.transport import Transport


class TargetError(Exception):
    """A target that cannot be used, or a name that is none: one line, exit 2."""


class Resolved(NamedTuple):
    transport: Transport
    #: the target named, if one was
    target: Target | None = None

    @property
    def settings(self) -> Mapping[str, Any]:
        """The target's settings (none without a target)."""
        return {} if self.target is None else self.target.settings


def config_targets() -> Targets:
    """The targets and groups of the config file (never written here)."""
    from qmpsh.core.config import config_path
    from qmpsh.core.targets import load

    return load(str(config_path()), SUBCOMMANDS)


def resolve(
    text: str | None, environ: Mapping[str, str] | None = None
) -> Resolved | None:
    """The transport *text* names, or ``$QMP_SOCKET`` when *text* is None
    (None when that is unset or empty too).

    Raises `qmpsh.wire.address.AddressError` for an address that does not
    read, `TargetError` for a target that cannot be used or a word that
    names nothing; both say ``$QMP_SOCKET: `` first when it came from there.
    """
    from qmpsh.wire.address import ENV_VAR, AddressError

    origin = ""
    if text is None:
        text = (os.environ if environ is None else environ).get(ENV_VAR)
        if not text:
            return None
        origin = f"${ENV_VAR}: "
    try:
        return _resolve(text)
    except AddressError as err:
        raise AddressError(f"{origin}{err}") from None
    except TargetError as err:
        raise TargetError(f"{origin}{err}") from None


def _resolve(text: str) -> Resolved:
    from qmpsh.wire.transport import transport_for

    # qmpsh.core.targets.may_name, without importing it (nor reading the
    # config file) for the paths and HOST:PORTs scripts give
    if not text or "/" in text or ":" in text:
        return Resolved(transport_for(text))
    targets = config_targets()
    target = targets.targets.get(text)
    exists = os.path.lexists(text)
    if target is not None:
        return _target_transport(targets, target, exists)
    broken = targets.broken_groups.get(text)
    if broken and not exists:  # what `qmpsh ls` says of it
        raise TargetError(f"{targets.path}: {broken}")
    if exists or (not targets.targets and not targets.unreadable):
        return Resolved(transport_for(text))
    if targets.unreadable:
        raise TargetError(
            f"no file {text!r} here, and no target either: {targets.path}: "
            f"{targets.unreadable}"
        )
    raise TargetError(
        f"no target {text!r} in {targets.path}, and no file {text!r} here"
        f"{targets.suggest(text)}"
    )


def _target_transport(targets: Targets, target: Target, exists: bool) -> Resolved:
    from qmpsh.wire.address import AddressError
    from qmpsh.wire.named import Named, transport_of

    if target.problem:
        raise TargetError(f"{targets.path}: {target.problem}")
    try:
        inner = transport_of(target.address)
    except AddressError as err:
        raise TargetError(f"{targets.path}: [targets.{target.name}]: {err}") from None
    if exists:
        say(
            f"warning: {target.name!r} is a target of {targets.path} and "
            f"a file here: using the target (./{target.name} is the file)"
        )
    return Resolved(Named(inner, target.name), target)


def resolve_for_click(text: str | None, missing: str) -> Resolved:
    """`resolve`, its mistakes as click's: a bad address is a usage error
    (with the --help hint), a target's a plain one-line error (exit 2);
    *missing* says what to give when there is no address at all."""
    import click

    from qmpsh.core.exitcodes import Exit
    from qmpsh.wire.address import AddressError

    try:
        found = resolve(text)
    except AddressError as err:
        raise click.UsageError(str(err)) from None
    except TargetError as err:

        class Problem(click.ClickException):
            exit_code = int(Exit.USAGE)

        raise Problem(str(err)) from None
    if found is None:
        raise click.UsageError(missing)
    return found


class Many(NamedTuple):
    """One target of several (`resolve_many`)."""

    #: what replies and events are tagged with: the target's name, or the
    #: address as given (a glob's match: the path it matched)
    label: str
    resolved: Resolved


#: a word holding one of these is a glob over paths
GLOB_CHARS = frozenset("*?[")


def resolve_many(words: list[str]) -> list[Many]:
    """What several ADDRESS words name, in order, each once: a word holding
    ``* ? [`` and no ``:`` (but a leading ``unix:``) is a glob over paths
    (sorted; one that matches nothing is a `TargetError`), a plain word that names a ``[groups]`` entry is its
    members, anything else is as `resolve` reads it.  A label met twice
    (a target in a group and given alone) is kept once, where first met.

    Raises `TargetError` or `qmpsh.wire.address.AddressError` naming the
    word, for the first word that names nothing usable."""
    found: list[Many] = []
    seen: set[str] = set()

    def add(label: str, resolved: Resolved) -> None:
        if label not in seen:
            seen.add(label)
            found.append(Many(label, resolved))

    targets: Targets | None = None
    for word in words:
        path = word.removeprefix("unix:")
        if is_glob(word):
            import glob

            matches = sorted(glob.glob(path))
            if not matches:
                raise TargetError(f"{word}: no file matches this pattern")
            for match in matches:
                add(match, _resolve_word(match))
            continue
        if word and "/" not in word and ":" not in word:
            if targets is None:
                targets = config_targets()
            members = targets.groups.get(word)
            if members is not None and word not in targets.targets:
                for name in members:
                    add(name, _resolve_word(name))
                continue
        add(word, _resolve_word(word))
    return found


def is_glob(word: str) -> bool:
    """Whether an ADDRESS word is a glob over paths: it holds ``* ? [`` and
    no ``:`` but a leading ``unix:`` (not ``[::1]:4444``, ``ssh://...``)."""
    path = word.removeprefix("unix:")
    return bool(GLOB_CHARS & set(path)) and ":" not in path


def _resolve_word(word: str) -> Resolved:
    found = resolve(word)
    if found is None:  # an empty word
        raise TargetError("an empty ADDRESS names nothing")
    return found
