"""Batch mode's schema checks: lines typed and checked as the shell does them.

By default (``--validate``, the default; ``--no-validate`` turns it off)
batch mode types bare values by the server's schema (``size=64M`` is an
integer, ``id=007`` a string), refuses what QEMU would refuse before
sending it, with a "did you mean" for a misspelt argument or command.

What keeps a one-shot cheap (see bench/README.md): nothing here is loaded
until a line needs it.  A line that is only a command name (``-c
query-status``) has nothing to type, and QEMU itself says all there is to
say about it, so it goes out without the schema; the first line with
arguments (or raw JSON, or one that does not parse) loads it: the on-disk
cache for this server's build (`qmpsh.schema.cache`, one ``query-commands``
round trip to be sure it is the same build), ``query-qmp-schema`` only for
a build seen for the first time.  Given explicitly, ``--validate`` loads it
before the first line, so that every line is checked before it is sent
(an unknown command is then refused, exit 3, rather than answered with
QEMU's CommandNotFound, exit 1).  A guest agent has no schema: its command
names (``guest-info``) are checked, nothing is typed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from qmpsh.builtins.context import Context
from qmpsh.builtins.registry import MODULES
from qmpsh.lang.parser import PathT, Request, Typer, default_typer


class BatchChecks:
    """The typer and the checks, loaded on the first line that needs them."""

    def __init__(self, ctx: Context, eager: bool = False) -> None:
        self.ctx = ctx
        #: ``--validate`` given: load before the first line, check every line
        self.eager = eager
        self.loaded = False
        self._typer: Typer | None = None
        self._check: Callable[[Request], str | None] | None = None
        self._commands: Collection[str] = ()

    def needed(self, text: str) -> bool:
        """Whether a line needs the schema: it has arguments (or is JSON),
        or ``--validate`` was given."""
        words = text.split(None, 1)
        return self.eager or len(words) > 1 or text.lstrip().startswith("{")

    async def load(self) -> None:
        """Load the schema (once): from the cache when it matches the
        server, else fetched; nothing when there is none."""
        if self.loaded:
            return
        self.loaded = True
        service = self.ctx.schema_service()
        schema = await service.load()
        if schema is None:
            agent = service.agent_commands
            if not agent:
                return
            from qmpsh.schema.agent import check_command

            def check_agent(request: Request) -> str | None:
                return check_command(request.command, agent, MODULES)

            self._check, self._commands = check_agent, agent
            return
        from qmpsh.schema.validate import check_request

        def check_schema(request: Request) -> str | None:
            return check_request(request.message, schema, MODULES)

        self._check, self._commands = check_schema, schema.commands
        self._typer = service.typer()

    def typer(
        self, command: str, path: PathT, text: str, args: Mapping[str, Any]
    ) -> Any:
        """The parser's `Typer`: the schema's, once loaded (``!`` skips the
        check, not the typing, as in the shell)."""
        if self._typer is None:
            return default_typer(command, path, text, args)
        return self._typer(command, path, text, args)

    def check(self, request: Request) -> str | None:
        """Why QEMU would refuse *request* (one line), or None.  Without
        ``--validate`` given, a request without arguments is left to QEMU,
        whether or not the schema is loaded by then: the exit code of a
        line never depends on the lines before it."""
        if self._check is None:
            return None
        if not (self.eager or request.message.get("arguments")):
            return None
        return self._check(request)

    def knows(self, command: str) -> bool:
        """Whether the server has *command* (False before `load`)."""
        return command in self._commands

    def name_check(self, command: str) -> str | None:
        """What the check says of the command name alone (a "did you mean")."""
        if self._check is None:
            return None
        return self._check(Request({"execute": command}))

    def unknown(self, text: str) -> str | None:
        """For a line that does not parse: its first word is no command
        the server knows (said as `check` says it), or None."""
        if self._check is None:
            return None
        from qmpsh.schema.validate import unknown_first_word

        name = unknown_first_word(text, self._commands, MODULES)
        return None if name is None else self.name_check(name)

    async def not_found_hint(
        self, command: str, reply: Mapping[str, Any]
    ) -> str | None:
        """For a command QEMU does not know, what the check says of its name
        (a "did you mean"): a line without arguments goes out before the
        schema is loaded, so it is loaded now, on the error path only."""
        error = reply.get("error")
        if not isinstance(error, Mapping) or not command:
            return None
        if error.get("class") != "CommandNotFound":
            return None
        await self.load()
        return self.name_check(command)
