"""What the interactive shell gets from the schema, in one object.

`SchemaAssist.start(ctx)` begins loading the schema in the background and
bundles the pieces a REPL wires in: the parser typer, the completer (with
live values) and the check before sending.  The REPL never waits for the
schema: until it is loaded, completion offers built-ins, values keep the
schema-less rules and nothing is checked.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qmpsh.builtins.context import Context
from qmpsh.builtins.registry import MODULES
from qmpsh.lang.parser import Request, Typer
from qmpsh.schema.service import SchemaService
from qmpsh.schema.validate import check_request
from qmpsh.shell.live_values import LiveValues
from qmpsh.wire.state import ConnState

if TYPE_CHECKING:
    from qmpsh.shell.completion import QmpCompleter


@dataclass
class SchemaAssist:
    service: SchemaService
    live: LiveValues
    #: check requests before sending them
    validating: bool = True

    @classmethod
    def start(cls, ctx: Context) -> SchemaAssist:
        """Start loading the session's schema; must run inside the event loop."""
        service = ctx.schema_service()
        service.start()
        timeout = ctx.settings.timeout or 2.0
        live = LiveValues(lambda message: ctx.conn.execute(message, timeout))
        assist = cls(service, live, ctx.settings.validating(ctx.interactive))
        ctx.conn.on_state(assist.on_state)
        return assist

    def on_state(self, state: ConnState, reason: str = "") -> None:
        """A `Connection.on_state` listener: reconnected, maybe to another
        QEMU, so load the schema again (from the cache if it is the same)."""
        if state == ConnState.CONNECTED:
            self.live.forget()
            self.service.reset()
            self.service.start()

    @property
    def typer(self) -> Typer:
        return self.service.typer()

    def completer(self) -> QmpCompleter:
        """A prompt_toolkit completer (imports prompt_toolkit)."""
        from qmpsh.shell.completion import make_completer

        return make_completer(self.service, self.live)

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
