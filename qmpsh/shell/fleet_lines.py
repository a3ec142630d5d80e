"""The line mode of a shell open on several targets: routing ``@`` prefixes.

`FleetLines.check` cuts the ``@`` prefix off the line (`qmpsh.lang.anatomy`)
and asks the line mode of the target(s) it names what the rest is, as if
typed there; without a prefix, the current target's line mode says:

- ``@vm2`` alone: switch to vm2;
- ``@vm2 CMD``: CMD runs on vm2 (its checks, its connection, its schema),
  the current target stays;
- ``@* CMD`` / ``@GROUP CMD``: CMD runs on each open target in turn, its
  replies under a header line per target (``── vm2 ──``).  It is checked on
  each first: a refusal is said once (naming the targets that refuse it
  when not all do), and Enter again sends it anyway, as for one target.
  A target that is down is skipped (its header says so), unless all are;
- ``@nosuch``: one line naming the open targets; nothing is sent;
- ``!@vm2 CMD`` (or ``! @vm2 CMD``) is ``@vm2 !CMD``: sent without the
  checks, as a leading ``!`` does for one target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qmpsh.builtins.linemode import Check, Job, Problem, Run, ShellApi
from qmpsh.core.errors import QmpshError
from qmpsh.core.exitcodes import Exit
from qmpsh.lang.anatomy import FORCE, anatomy
from qmpsh.lang.at_prefix import At
from qmpsh.lang.parser import Incomplete
from qmpsh.shell.fleet import Fleet, Member


def header(name: str) -> str:
    """The line above one target's replies to a line run on several."""
    return f"── {name} ──"


@dataclass(frozen=True)
class _Leg:
    """One target's part of a line run on several: its run, or why it is
    skipped."""

    member: Member
    run: Run | None
    skipped: str = ""


class FleetLines:
    """The line mode routing ``@`` prefixes (see the module's docstring)."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.mode = fleet.current.line_mode.mode

    def prompt(self) -> str:
        m = self.fleet.current
        own = m.line_mode.prompt()
        if own is None:
            own = m.link.target.prompt(m.line_mode.mode) if m.link else "> "
        return f"{m.name} {own}"

    def check(self, text: str) -> Check:
        at = _routed(text)
        if at is None:
            return self.fleet.current.line_mode.check(text)
        found = self.fleet.pick(at.word)
        if isinstance(found, str):
            return Problem(found, offset=len(text) - len(text.lstrip()))
        members, several = found
        if not at.rest.strip():
            if several:
                return Problem(
                    f"@{at.word} needs a command (@{at.word} query-status); "
                    "@NAME alone switches to one target",
                    at.offset,
                )
            return Run(self._switch_job(members[0]), f"@{members[0].name}")
        if not several:
            return self._one(members[0], at)
        return self._several(members, at)

    def _switch_job(self, member: Member) -> Job:
        async def job(api: ShellApi) -> int:
            self.fleet.switch(member)
            self.mode = member.line_mode.mode
            return int(Exit.OK)

        return job

    def _one(self, member: Member, at: At) -> Check:
        check = member.line_mode.check(at.rest)
        if isinstance(check, Incomplete):
            return check
        if isinstance(check, Problem):
            force = None if check.force is None else self._there(member, check.force)
            return _shifted(check, at, f"{member.name}: ", force)
        return self._there(member, check)

    def _there(self, member: Member, run: Run) -> Run:
        """*run*, run on *member* (the current target stays)."""
        inner = run.job
        if inner is None:
            return run

        async def job(api: ShellApi) -> int:
            with self.fleet.visiting(member):
                return await inner(api)

        return Run(job, f"{member.name}: {run.label}", run.cancelled)

    def _several(self, members: list[Member], at: At) -> Check:
        legs: list[_Leg] = []
        refused: list[tuple[Member, Problem]] = []
        for m in members:
            if not m.up:
                why = m.ctx.conn.lost_reason or "the connection is closed"
                legs.append(_Leg(m, None, f"not connected ({why}): skipped"))
                continue
            check = m.line_mode.check(at.rest)
            if isinstance(check, Incomplete):
                return check
            if isinstance(check, Problem):
                refused.append((m, check))
                legs.append(_Leg(m, check.force))
            else:
                legs.append(_Leg(m, check))
        if all(leg.run is None and leg.skipped for leg in legs):
            names = ", ".join(m.name for m in members)
            return Problem(f"not connected: {names}; the line is kept for later")
        label = at.rest.split(None, 1)[0] if at.rest.split() else "command"
        run = Run(self._broadcast(legs), f"@{at.word} {label}")
        if not refused:
            return run
        first = refused[0][1]
        up = sum(1 for leg in legs if not leg.skipped)
        who = "" if len(refused) == up else ", ".join(m.name for m, _ in refused)
        forceable = all(p.force is not None for _, p in refused)
        return _shifted(
            first, at, f"{who}: " if who else "", run if forceable else None
        )

    def _broadcast(self, legs: list[_Leg]) -> Job:
        fleet = self.fleet
        names = [leg.member.name for leg in legs if not leg.skipped]

        async def job(api: ShellApi) -> int:
            shell = fleet.shell
            assert shell is not None
            code = 0
            shell.addressee = f"{len(names)} targets ({', '.join(names)})"
            try:
                for leg in legs:
                    shell.printer.note(header(leg.member.name))
                    if leg.skipped:
                        shell.printer.error(leg.skipped)
                        code = code or int(Exit.CONNECTION_LOST)
                        continue
                    if leg.run is None or leg.run.job is None:
                        continue
                    with fleet.visiting(leg.member):
                        try:
                            code = await leg.run.job(api) or code
                        except QmpshError as err:  # this target's; on to the next
                            shell.printer.error(err.message)
                            code = int(err.exit_code)
            finally:
                shell.addressee = None
            return code

        return job


def _routed(text: str) -> At | None:
    """The ``@`` prefix of *text* (`qmpsh.lang.anatomy`), what follows it
    being the rest.  A ``!`` before the target goes to the command
    (``!@vm2 CMD`` is ``@vm2 !CMD``, positions kept), whose checks it skips
    there.  None without a target, and for ``!@vm2`` alone (nothing to
    send: as typed)."""
    parts = anatomy(text)
    if parts.target is None:
        return None
    force = parts.force
    if force is None:
        return At(parts.word, text[parts.body :], parts.body)
    if force.start > parts.target.start:  # @vm2 !CMD: the command's already
        return At(parts.word, text[force.start :], force.start)
    rest = text[parts.body :]
    if not rest.strip():
        return None
    return At(parts.word, FORCE + rest, parts.body - len(FORCE))


def _shifted(problem: Problem, at: At, prefix: str, force: Run | None) -> Problem:
    """*problem*, found in the text after the ``@`` prefix, as said of the
    whole line: its offset (and the ``line:column:`` it may start with on
    the first line) counted from the line's start; *prefix* put before it."""
    message = problem.message
    offset = problem.offset
    if offset is not None:
        first_line = "\n" not in at.rest[:offset]
        offset += at.offset
        if first_line:
            message = re.sub(
                r"^1:(\d+): ",
                lambda m: f"1:{int(m.group(1)) + at.offset}: ",
                message,
            )
    return Problem(prefix + message, offset, force)
