"""What the interactive shell gets from the schema, in one object.

`SchemaAssist.start(ctx)` begins loading the schema in the background and
bundles the pieces a REPL wires in: the parser typer, the completer (with
live values) and the check before sending.  The REPL never waits for the
schema: until it is loaded, completion offers built-ins, values keep the
schema-less rules and nothing is checked.

It also hands out QEMU's manual of the server (`SchemaAssist.manual`), for
the completion menu's and the signature line's words, once complete: the
first keystroke that could show them starts completing it, in the
background (`qmpsh.schema.manual.service`); until then they say less.
And it words the warning for a request that uses something the schema
marks deprecated (`SchemaAssist.deprecated`, `batch_deprecations`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qmpsh.builtins.context import Context
from qmpsh.builtins.registry import MODULES
from qmpsh.lang.parser import Request, Typer
from qmpsh.schema.manual.service import ManualService, server_kind
from qmpsh.schema.manual.view import Manual
from qmpsh.schema.service import SchemaService
from qmpsh.schema.validate import check_request
from qmpsh.shell.live_values import LiveValues
from qmpsh.wire.state import ConnState

#: a line creating a device (an object) whose type is typed out, up to it
_CREATES = re.compile(
    r"\s*!?\s*(device_add|object-add)\s(?:.*\s)?(driver|qom-type)=([^\s\"'=]+)\s"
)

if TYPE_CHECKING:
    from qmpsh.shell.completion import QmpCompleter


@dataclass
class SchemaAssist:
    service: SchemaService
    live: LiveValues
    #: check requests before sending them
    validating: bool = True
    #: QEMU's manual of the server (see `manual`)
    manuals: ManualService | None = None

    @classmethod
    def start(cls, ctx: Context) -> SchemaAssist:
        """Start loading the session's schema; must run inside the event loop."""
        service = ctx.schema_service()
        service.start()
        timeout = ctx.settings.timeout or 2.0
        live = LiveValues(lambda message: ctx.conn.execute(message, timeout))
        validating = ctx.settings.validating(ctx.interactive)
        assist = cls(service, live, validating, ctx.manual_service())
        ctx.conn.on_state(assist.on_state)
        return assist

    def on_state(self, state: ConnState, reason: str = "") -> None:
        """A `Connection.on_state` listener: reconnected, maybe to another
        QEMU, so load the schema again (from the cache if it is the same)."""
        if state == ConnState.CONNECTED:
            self.live.forget(everything=True)
            self.service.reset()
            self.service.start()

    @property
    def typer(self) -> Typer:
        """The schema's typer; and for ``device_add driver=X`` (``object-add
        qom-type=X`` where the schema does not type objects), X's properties
        typed by their type once known: asked for as soon as a line names X
        (completion asks too), so by the time it is sent they are."""
        from qmpsh.schema.typer import property_typer
        from qmpsh.shell.completion_values import property_source
        from qmpsh.shell.live_values import property_type

        service, live = self.service, self.live

        def properties(command: str, args: Mapping[str, Any]) -> dict[str, str] | None:
            schema = service.schema
            if schema is None:
                return None
            root = schema.arguments(command)
            loose = root is None or root.tag is None
            source = property_source(command, args, loose)
            found = live.peek(source) if source is not None else None
            if found is None:
                return None
            members = root.by_name if root is not None else {}
            return {n: property_type(m) for n, m in found if n not in members}

        return property_typer(service.typer(), properties)

    def prefetch(self, text: str) -> None:
        """Start fetching the properties of the type the line *text* creates
        (``device_add driver=X ``: once X is followed by a space), so that
        the typer knows them when the line is sent.  Called as the input
        changes (the input hint); never waits."""
        if "device_add" not in text and "object-add" not in text:
            return
        found = _CREATES.match(text)
        schema = self.service.schema
        if found is None or schema is None:
            return
        from qmpsh.shell.completion_values import property_source

        command, key, name = found.groups()
        root = schema.arguments(command)
        loose = root is None or root.tag is None
        source = property_source(command, {key: name}, loose)
        if source is not None:
            self.live.peek(source)

    def completer(
        self, more: Callable[[], Iterable[tuple[str, str]]] = lambda: ()
    ) -> QmpCompleter:
        """A prompt_toolkit completer (imports prompt_toolkit); *more*:
        command names besides the server's and the built-ins (aliases),
        with their meta text."""
        from qmpsh.shell.completion import make_completer

        return make_completer(self.service, self.live, self.manual, more)

    def deprecated(self, request: Request) -> str | None:
        """The warning for what *request* uses that is deprecated (one
        line, with the manual's hint when the manual is loaded), or None."""
        from qmpsh.schema.deprecation import deprecated_uses, deprecation_warning

        schema = self.service.schema
        uses = deprecated_uses(request.message, schema) if schema is not None else []
        if not uses or schema is None:
            return None
        manual = None
        if self.manuals is not None:
            manual = self.manuals.manual(server_kind(schema.commands, False))
        return deprecation_warning(request.message, uses, manual)

    def to_load(self, request: Request) -> bool:
        """Whether `deprecated` could say more of *request* once what is
        loading has loaded (the schema; the manual, for a hint)."""
        from qmpsh.schema.deprecation import deprecated_uses

        schema = self.service.schema
        if schema is None:
            return self.service.state == "loading"
        kind = server_kind(schema.commands, False)
        manuals = self.manuals
        return (
            manuals is not None
            and manuals.manual(kind) is None
            and manuals.error(kind) is None
            and bool(deprecated_uses(request.message, schema))
        )

    async def load_for(self, request: Request) -> None:
        """Load what `to_load` says is missing."""
        schema = await self.service.load()
        kind = server_kind(schema.commands, False) if schema is not None else None
        if kind is not None and self.manuals is not None:
            await self.manuals.load(kind)

    def manual(self) -> Manual | None:
        """The manual of the server once complete, else None; asked for
        before, it starts completing in the background (once)."""
        manuals = self.manuals
        service = self.service
        if manuals is None:
            return None
        schema = service.schema
        commands = schema.commands if schema is not None else None
        kind = server_kind(commands, bool(service.agent_commands))
        found = manuals.complete(kind)
        if found is None and kind is not None:
            manuals.start(kind)
        return found

    def check(self, request: Request) -> str | None:
        """Why *request* should not go (one line), or None to send it: a
        secret that is the history's ``<redacted>`` placeholder (always
        checked), or what QEMU would refuse (when validating)."""
        from qmpsh.lang.redact import placeholder_refusal

        refusal = placeholder_refusal(request.message)
        if refusal is not None or not self.validating:
            return refusal
        schema = self.service.verified_schema()
        if schema is not None:
            return check_request(request.message, schema, MODULES)
        if self.service.agent_commands and request.command:
            from qmpsh.schema.agent import check_command

            agent = self.service.agent_commands
            return check_command(request.command, agent, MODULES)
        return None

    def command_names(self) -> Collection[str] | None:
        """The commands the server knows (None until known): the schema's,
        or a guest agent's."""
        schema = self.service.schema
        if schema is not None:
            return schema.commands
        return self.service.agent_commands or None

    def sent(self, request: Request) -> None:
        """A request went out: live values may have changed."""
        if not request.command.startswith("query-"):
            self.live.forget()


async def batch_deprecations(ctx: Context) -> Callable[[Request], str | None] | None:
    """For ``-v`` in batch mode: the warning for a request that uses
    something deprecated, or None.  The schema is the one ``--validate``
    loaded, else the one cached for this server (no request is sent for
    it); without either, nothing is said.  The manual, for the hint, is
    read when first needed."""
    service = ctx.schema_service()
    schema = service.verified_schema()
    if schema is None:
        schema = await asyncio.to_thread(service.cached)
    if schema is None:
        return None
    from qmpsh.schema.deprecation import deprecated_uses, deprecation_warning

    found = schema
    manuals = ctx.manual_service()
    kind = server_kind(found.commands, False)

    def check(request: Request) -> str | None:
        uses = deprecated_uses(request.message, found)
        if not uses or kind is None:
            return None
        return deprecation_warning(request.message, uses, manuals.open(kind))

    return check
