"""The default line mode: QMP shorthand, raw JSON and shell built-ins.

`QmpLines.check` decides, on Enter, what the text in the input is: more to
type (an open ``transaction(``, quote or bracket), a problem to show (the
text stays in the input), or a job to run: it is the shell's default
`qmpsh.builtins.linemode.LineMode`.  A line
starting with ``!`` skips the validator hook (see `qmpsh.lang.force_prefix`).  While the
connection is down, a request, or a built-in that needs the connection, is
such a problem: the line stays for later.
"""

from __future__ import annotations

import re

from qmpsh.builtins import registry as builtins
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
from qmpsh.lang.force_prefix import split_force
from qmpsh.lang.parser import Incomplete, ParseError, Request, parse
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

    def _one(self, text: str) -> Check:
        """One command (a built-in, a request), which may span lines."""
        stripped = text.strip()
        found = builtins.lookup(text) if "\n" not in stripped else None
        if found is not None:
            down = None if found[0].offline else not_connected(self.ctx.conn)
            return down or Run(_builtin_job(self.ctx, *found), found[0].name)
        forced, text = split_force(text)
        try:
            result = parse(text, self.hooks.typer)
        except ParseError as err:
            unknown = self._unknown_command(text)
            if unknown is not None:
                return unknown
            said = _scrub(err.message, text)
            return Problem(f"{err.line}:{err.column}: {said}", err.offset)
        if result is None:
            return Run(None)
        if isinstance(result, Incomplete):
            return result
        name = result.command or "request"
        run = Run(self._request_job(result), name)
        down = not_connected(self.ctx.conn)
        if down is not None:
            return down
        if self.hooks.validator is not None and not forced:
            problem = self.hooks.validator(text, result)
            if problem is not None:
                said = _scrub(problem.message, text)
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
        for line in text.split("\n"):
            chunk = f"{chunk}\n{line}" if chunk else line
            check = self._one(chunk)
            if isinstance(check, Incomplete):
                continue
            if isinstance(check, Problem):
                if check.force is None:
                    return _shifted(check, text, start)
                warned = warned or _shifted(check, text, start)
                check = check.force
            if check.job is not None:
                runs.append(check)
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

    def _request_job(self, request: Request) -> Job:
        async def job(api: ShellApi) -> int:
            reply = await api.send(request.message)
            if self.hooks.on_sent is not None:
                self.hooks.on_sent(request)
            return api.show_reply(reply, request.command)

        return job


def _builtin_job(ctx: Context, builtin: Builtin, rest: str) -> Job:
    async def job(api: ShellApi) -> int:
        try:
            return await builtin.run(ctx, rest)
        except QmpshError as err:
            api.err(f"{builtin.name}: {_scrub(err.message, f'{builtin.name} {rest}')}")
            return int(err.exit_code)
        except ValueError as err:
            api.err(f"{builtin.name}: {_scrub(str(err), f'{builtin.name} {rest}')}")
            return int(Exit.PARSE_ERROR)

    return job


def _scrub(message: str, text: str) -> str:
    """*message* about the typed *text* without what it quotes of a secret."""
    from qmpsh.lang.redact import scrub

    return scrub(message, text)


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
