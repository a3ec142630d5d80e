"""The default line mode: QMP shorthand, raw JSON and shell built-ins.

`QmpLines.check` decides, on Enter, what the text in the input is: more to
type (an open ``transaction(``, quote or bracket), a problem to show (the
text stays in the input), or a job to run: it is the shell's default
`qmpsh.builtins.linemode.LineMode`.  A line starting with ``!`` (its parts:
`qmpsh.lang.anatomy`) skips the validator hook, and the built-ins: ``!getfd
fdname=x`` is the server's ``getfd`` (batch mode reads it the same way).
While the connection is down, a request, or a built-in that needs the
connection, is such a problem: the line stays for later.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from qmpsh.builtins import registry as builtins
from qmpsh.builtins.aliases import table as alias_table
from qmpsh.builtins.context import Context
from qmpsh.builtins.linemode import (
    Check,
    Job,
    Problem,
    Run,
    ShellApi,
    in_turn,
    not_connected,
)
from qmpsh.builtins.registry import Builtin
from qmpsh.core.errors import QmpshError
from qmpsh.core.exitcodes import Exit
from qmpsh.lang.anatomy import anatomy
from qmpsh.lang.bound import parse_bound, prepare, retyped
from qmpsh.lang.parser import Incomplete, ParseError, Request
from qmpsh.lang.variables import LAST, find_references
from qmpsh.shell.modes_api import Hooks


class QmpLines:
    """QMP shorthand, raw JSON and the built-ins, checked with *hooks*."""

    mode = "qmp"

    def __init__(self, ctx: Context, hooks: Hooks) -> None:
        self.ctx = ctx
        self.hooks = hooks

    def prompt(self) -> str | None:
        return None

    def check(self, text: str) -> Check:
        stripped = text.strip()
        if not stripped:
            return Run(None)
        one = self._one(text)
        if isinstance(one, Problem) and one.force is None and "\n" in stripped:
            several = self._several(text)
            if several is not None:
                return several
        return one

    def _one(self, text: str, later: Collection[str] = ()) -> Check:
        """One command (a built-in, a request), which may span lines.
        *later*: variables that lines before it (pasted with it) bind: a
        line using one is checked when its turn comes."""
        entered = text
        parts = anatomy(text, targets=False)
        forced = parts.force is not None
        typed = parts.unforced()
        try:
            prepared = prepare(parts, alias_table(self.ctx))
        except ParseError as err:
            said = _scrub(err.message, typed)
            return Problem(f"{err.line}:{err.column}: {said}", err.offset)
        text = prepared.text
        found = None
        if "\n" not in text.strip() and (not forced or prepared.aliases):
            found = builtins.lookup(text)
        if found is not None:
            if prepared.bind is not None:
                return Problem(
                    f"{prepared.bind} = takes a QMP command; {found[0].name} is "
                    "a built-in, which returns no value"
                )
            down = None if found[0].offline else not_connected(self.ctx.conn)
            return down or Run(_builtin_job(self.ctx, *found, typed), found[0].name)
        if prepared.aliases:
            names = self.hooks.command_names() if self.hooks.command_names else None
            if names is not None and prepared.aliases[0] in names:
                return Problem(
                    f"{prepared.aliases[0]} is an alias and a command of the "
                    "server: rename the alias"
                )
        if later and "$" in text and self._uses(text, later):
            return Run(self._deferred(entered), "command")
        variables = self.ctx.session.variables
        try:
            result = parse_bound(text, self.hooks.typer, variables)
        except ParseError as err:
            unknown = None if prepared.aliases else self._unknown_command(text)
            if unknown is not None:
                return unknown
            err = retyped(err, prepared, typed, text)
            said = _scrub(err.message, typed, text)
            return Problem(f"{err.line}:{err.column}: {said}", err.offset)
        if result is None:
            return Run(None)
        if isinstance(result, Incomplete):
            return result
        name = result.command or "request"
        run = Run(self._request_job(result, prepared.bind), name)
        down = not_connected(self.ctx.conn)
        if down is not None:
            return down
        if self.hooks.validator is not None and not forced:
            problem = self.hooks.validator(text, result)
            if problem is not None:
                said = _scrub(problem.message, typed, text)
                return Problem(said, problem.offset, force=run)
        return run

    def _unknown_command(self, text: str) -> Problem | None:
        """For a line that does not parse: when no command or built-in has
        its first word's name (``wiat BLOCK_JOB_READY``), what the validator
        says of that command, not the parser's complaint (None: keep it)."""
        hooks = self.hooks
        names = hooks.command_names() if hooks.command_names is not None else None
        if names is None or hooks.validator is None:
            return None
        from qmpsh.schema.validate import unknown_first_word

        name = unknown_first_word(text, names, builtins.MODULES)
        problem = None
        if name is not None:
            problem = hooks.validator(text, Request({"execute": name}))
        if problem is None:
            return None
        return Problem(problem.message, len(text) - len(text.lstrip()))

    def _several(self, text: str) -> Check | None:
        """Several commands, one after the other (pasted lines): each is
        checked as if typed alone and they run in turn.  None when the text
        does not split into commands."""
        runs: list[Run] = []
        warned: Problem | None = None
        start = 0
        chunk = ""
        bound: set[str] = set()  # by the lines before
        for line in text.split("\n"):
            chunk = f"{chunk}\n{line}" if chunk else line
            check = self._one(chunk, bound)
            if isinstance(check, Incomplete):
                continue
            if isinstance(check, Problem):
                if check.force is None:
                    return _shifted(check, text, start)
                warned = warned or _shifted(check, text, start)
                check = check.force
            if check.job is not None:
                runs.append(check)
                bound |= _binds(chunk)
            start += len(chunk) + 1
            chunk = ""
        if chunk.strip():
            return Incomplete("command")
        if len(runs) < 2:
            return None
        run = Run(in_turn([r.job for r in runs if r.job]), f"{len(runs)} commands")
        if warned is not None:
            return Problem(warned.message, warned.offset, force=run)
        return run

    def _request_job(self, request: Request, bind: str | None = None) -> Job:
        variables = self.ctx.session.variables

        async def job(api: ShellApi) -> int:
            try:
                reply = await api.send(request.message)
            except QmpshError:
                if bind is not None:
                    variables.fail(bind, "its command got no reply")
                raise
            if self.hooks.on_sent is not None:
                self.hooks.on_sent(request)
            if "return" in reply and "error" not in reply:
                variables.returned(reply["return"])
                if bind is not None:
                    variables.bind(bind, reply["return"])
            elif bind is not None:
                variables.fail(bind, f"its command ({request.command}) failed")
            return api.show_reply(reply, request.command)

        return job

    def _uses(self, text: str, names: Collection[str]) -> bool:
        """Whether *text* refers to one of the variables *names*."""
        try:
            refs = find_references(text)
        except ParseError:
            return False
        return any(r.name in names for r in refs)

    def _deferred(self, text: str) -> Job:
        """A line checked when its turn comes (it uses a variable that a
        line pasted before it binds)."""

        async def job(api: ShellApi) -> int:
            check = self._one(text)
            if isinstance(check, Problem):
                api.err(check.message)
                return int(Exit.PARSE_ERROR)
            if isinstance(check, Incomplete) or check.job is None:
                return 0
            return await check.job(api)

        return job


def _binds(text: str) -> set[str]:
    """The variables a command binds when it succeeds: its ``NAME =``, and
    ``$_``."""
    found = anatomy(text, targets=False).assign
    return {LAST} if found is None else {LAST, text[slice(*found.name)]}


def _builtin_job(ctx: Context, builtin: Builtin, rest: str, typed: str) -> Job:
    """*builtin* run with *rest*; *typed*: the line as typed (an alias
    expanded to it), which its errors are scrubbed against too."""
    run = f"{builtin.name} {rest}"

    async def job(api: ShellApi) -> int:
        try:
            return await builtin.run(ctx, rest)
        except QmpshError as err:
            api.err(f"{builtin.name}: {_scrub(err.message, run, typed)}")
            return int(err.exit_code)
        except ValueError as err:
            api.err(f"{builtin.name}: {_scrub(str(err), run, typed)}")
            return int(Exit.PARSE_ERROR)

    return job


def _scrub(message: str, *texts: str) -> str:
    """*message* about a line without what it quotes of a secret in
    *texts* (every text the line has been: see `qmpsh.lang.redact.scrub`)."""
    from qmpsh.lang.redact import scrub

    return scrub(message, *texts)


def _shifted(problem: Problem, text: str, start: int) -> Problem:
    """A problem found in the part of *text* starting at *start*, with its
    position (and the ``line:column:`` it starts with) counted in *text*."""
    if problem.offset is None:
        return problem
    offset = start + problem.offset
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    message = re.sub(r"^\d+:\d+: ", f"{line}:{column}: ", problem.message)
    return Problem(message, offset, problem.force)
