"""The request policy: read-only, allowed and denied commands (pure, typed).

A request is judged by its *units*: a plain command is one unit; a
``transaction`` is one unit per action (by the action's ``type``, as
``blockdev-snapshot-sync``) besides the ``transaction`` itself; an HMP
command line (``human-monitor-command``) is one unit that answers to both
``human-monitor-command`` and ``hmp WORD`` (its first word: ``hmp info``).

- ``--deny PATTERN``: a unit any of whose names matches is refused.  Deny
  wins over everything.
- ``--allow PATTERN`` (when given): every unit needs a name that matches;
  a ``transaction`` itself needs none (its actions are judged).  A command
  that only follows what another started is allowed with it (`IMPLIED`):
  ``guest-exec-status`` with ``guest-exec``, without which ``guest-run``
  could start a program and never learn how it ended.  ``--deny`` and
  ``--read-only`` still judge it by its own name.
- ``--read-only``: every unit must change nothing (`changes_nothing`); a
  ``transaction`` never passes, and of HMP only ``info`` and ``help``.

Patterns are shell globs (`fnmatch.fnmatchcase`: ``*``, ``?``, ``[...]``),
matched against the whole name, case-sensitively (QMP names are).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from qmpsh.policy.readonly import HMP_READ_ONLY, changes_nothing

HMP = "human-monitor-command"

#: commands an ``--allow`` pattern matching another lets through too:
#: ``guest-exec-status`` reads (and reaps) how a ``guest-exec`` program
#: ended, so allowing programs to run allows learning their end.  It is
#: no read-only command (the reaping: once it has said a program exited,
#: the agent forgets it, and another client asking later gets an error),
#: hence this rule rather than a place in `qmpsh.policy.readonly`.
IMPLIED: Mapping[str, tuple[str, ...]] = {"guest-exec-status": ("guest-exec",)}


@dataclass(frozen=True)
class Unit:
    """One thing a request asks for: a command, a transaction's action or
    an HMP command line."""

    #: how the refusal names it: ``quit``, ``system_reset`` (an HMP line's
    #: first word: the rest may hold a password)
    label: str
    #: the names patterns are matched against
    names: tuple[str, ...]
    read_only: bool
    #: a container (``transaction``) that --allow does not judge itself
    container: bool = False
    #: names an --allow pattern lets it through by too (`IMPLIED`); --deny
    #: looks at `names` only
    allowed_with: tuple[str, ...] = ()


def units(message: Mapping[str, Any]) -> list[Unit]:
    """The units of a request (none for what has no command name)."""
    name = message.get("execute", message.get("exec-oob"))
    if not isinstance(name, str):
        return []
    args = message.get("arguments")
    args = args if isinstance(args, Mapping) else {}
    if name == HMP:
        line = args.get("command-line")
        word = line.split()[0] if isinstance(line, str) and line.split() else ""
        return [Unit(word or HMP, (HMP, f"hmp {word}"), word in HMP_READ_ONLY)]
    out = [
        Unit(
            name,
            (name,),
            changes_nothing(name),
            container=name == "transaction",
            allowed_with=IMPLIED.get(name, ()),
        )
    ]
    if name == "transaction":
        actions = args.get("actions")
        for action in actions if isinstance(actions, list) else []:
            kind = action.get("type") if isinstance(action, Mapping) else None
            if isinstance(kind, str):
                out.append(Unit(kind, (kind,), False))
    return out


@dataclass(frozen=True)
class Policy:
    """What may be sent.  The default policy lets everything through."""

    read_only: bool = False
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()

    @property
    def open(self) -> bool:
        """Whether it lets everything through (nothing to check)."""
        return not (self.read_only or self.allow or self.deny)

    def refusal(self, message: Mapping[str, Any]) -> str | None:
        """One line saying why *message* may not be sent, or None."""
        if self.open:
            return None
        for unit in units(message):
            why = self._judge(unit)
            if why is not None:
                return f"{unit.label}: {why}"
        return None

    def _judge(self, unit: Unit) -> str | None:
        denied = _matching(unit.names, self.deny)
        if denied is not None:
            return f"refused by --deny {denied} (not sent)"
        if self.read_only and not unit.read_only:
            what = "HMP command" if unit.names[0] == HMP else "command"
            return (
                f"refused by --read-only: this {what} may change something (not sent)"
            )
        if (
            self.allow
            and not unit.container
            and _matching(unit.names + unit.allowed_with, self.allow) is None
        ):
            return "refused: no --allow pattern matches it (not sent)"
        return None


def _matching(names: Sequence[str], patterns: Sequence[str]) -> str | None:
    """The first of *patterns* that matches one of *names*, or None."""
    for pattern in patterns:
        if any(fnmatchcase(name, pattern) for name in names):
            return pattern
    return None


def from_settings(read_only: bool, allow: Sequence[str], deny: Sequence[str]) -> Policy:
    """The policy the settings say (``settings.read_only``...)."""
    return Policy(read_only, tuple(allow), tuple(deny))


def gate_of(
    values: Mapping[str, Any],
) -> Callable[[Mapping[str, Any]], str | None] | None:
    """The connection's gate for the ``read_only``, ``allow`` and ``deny``
    in *values* (options, a target's table), or None when they allow
    everything."""
    read_only = bool(values.get("read_only"))
    allow = tuple(values.get("allow") or ())
    deny = tuple(values.get("deny") or ())
    if not (read_only or allow or deny):
        return None
    return from_settings(read_only, allow, deny).refusal
