"""Batch mode's schema checks: lines typed and checked as the shell does them.

By default (``--validate``, the default; ``--no-validate`` turns it off)
batch mode types bare values by the server's schema (``size=64M`` is an
integer, ``id=007`` a string), refuses what QEMU would refuse before
sending it, with a "did you mean" for a misspelt argument or command.

What keeps a one-shot cheap (see bench/README.md): nothing here is loaded
until a line needs it.  A line that is only a command name (``-c
query-status``) has nothing to type, and QEMU itself says all there is to
say about it, so it goes out without the schema; the first line with
arguments (or raw JSON, or one that does not parse) loads it: the index of
the on-disk cache for this server's build (`qmpsh.schema.index`, one
``query-commands`` round trip to be sure it is the same build), from which
each line reads only the types its command uses; the whole schema (the
`qmpsh.schema.service` way: from the cache, ``query-qmp-schema`` for a
build seen for the first time, which writes the index) when there is no
index.  Given explicitly, ``--validate`` loads it before the first line,
so that every line is checked before it is sent (an unknown command is
then refused, exit 3, rather than answered with QEMU's CommandNotFound,
exit 1).  A guest agent has no schema: its command
names (``guest-info``) are checked, nothing is typed.

``device_add driver=X`` passes its other arguments to the device, beyond
what the schema describes: `prepare` asks QEMU for X's properties
(``device-list-properties``, once per driver) before such a line is
parsed, and they are typed by their property type
(`qmpsh.schema.typer.property_typer`: ``serial=123`` the string "123").
Likewise ``object-add qom-type=X`` where the schema does not type objects.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from qmpsh.builtins.context import Context
from qmpsh.builtins.registry import MODULES
from qmpsh.lang.parser import PathT, Request, Typer, default_typer

if TYPE_CHECKING:
    from qmpsh.schema.index import Index
    from qmpsh.schema.model import Schema

#: what asks QEMU for the properties of the type a command creates
_LIST_PROPERTIES = {
    "device_add": ("driver", "device-list-properties"),
    "object-add": ("qom-type", "qom-list-properties"),
}


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
        self._schema: Schema | None = None
        #: (command, type name) -> its properties (name -> type), fetched
        self._properties: dict[tuple[str, str], dict[str, str]] = {}

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
        from qmpsh.schema.index import open_index

        index = await open_index(self.ctx.conn)
        if index is not None:
            self._use_index(index)
            return
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
        self._schema = schema
        self._typer = self._with_properties(service.typer())

    def _use_index(self, index: Index) -> None:
        """Check and type by *index*: each line reads its command's types."""
        from qmpsh.schema.typer import schema_typer
        from qmpsh.schema.validate import check_request

        schema, need = index.schema, index.need
        typed = schema_typer(schema)

        def check_schema(request: Request) -> str | None:
            need(request.command)
            return check_request(request.message, schema, MODULES)

        def typer(command: str, path: PathT, text: str, args: Mapping[str, Any]) -> Any:
            need(command)
            return typed(command, path, text, args)

        self._check, self._commands = check_schema, schema.commands
        self._schema, self._typer = schema, self._with_properties(typer)

    def _with_properties(self, typer: Typer) -> Typer:
        from qmpsh.schema.typer import property_typer

        return property_typer(typer, self._property_types)

    def _created(self, command: str, args: Mapping[str, Any]) -> tuple[str, str] | None:
        """(command, type) when *command* creates a type whose properties
        the schema does not describe (``device_add driver=X``), else None."""
        found = _LIST_PROPERTIES.get(command)
        schema = self._schema
        if found is None or schema is None:
            return None
        root = schema.arguments(command)
        if command == "object-add" and root is not None and root.tag is not None:
            return None  # a union by qom-type: the schema types it
        name = args.get(found[0])
        return (command, name) if isinstance(name, str) and name else None

    def _property_types(
        self, command: str, args: Mapping[str, Any]
    ) -> Mapping[str, str] | None:
        key = self._created(command, args)
        found = self._properties.get(key) if key is not None else None
        if found is None or self._schema is None:
            return None
        root = self._schema.arguments(command)
        members = root.by_name if root is not None else {}
        return {n: t for n, t in found.items() if n not in members}

    async def prepare(self, text: str) -> None:
        """Load the schema (once), and for a line that creates a device (or
        an object the schema does not type), its type's properties."""
        await self.load()
        if self._schema is None or not any(c in text for c in _LIST_PROPERTIES):
            return
        from qmpsh.core.errors import QmpshError
        from qmpsh.lang.parser import ParseError, parse

        try:
            request = parse(text)  # schema-less: only to find the type's name
        except ParseError:
            return
        if not isinstance(request, Request):
            return
        arguments = request.message.get("arguments")
        key = self._created(request.command, arguments or {})
        if key is None or key in self._properties:
            return
        message = {
            "execute": _LIST_PROPERTIES[key[0]][1],
            "arguments": {"typename": key[1]},
        }
        from qmpsh.schema.typer import property_types

        try:
            reply = await self.ctx.conn.execute(message, self.ctx.settings.timeout)
        except QmpshError:
            reply = {}  # lost, refused by --deny: typed as without them
        self._properties[key] = property_types(reply)

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
