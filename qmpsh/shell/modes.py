"""What the interactive shell plugs in, by mode (see `qmpsh.shell.modes_api`).

QMP mode: the server's schema (`qmpsh.shell.assist`) gives the completer,
the check before sending (``!`` skips it), schema-typed values, the command
names the highlighting knows and the signature line under the input.

Another mode (HMP, ``-H``) comes as a `qmpsh.shell.linehandler.LineHandler`: every
line goes to it; `HandlerMode` adapts it to the shell's `LineMode` (so its
lines get the spinner, Ctrl-C and the queue; several lines, as pasted, run
one after the other; while the connection is down they stay in the input;
the handler sends with `qmpsh.builtins.context.Context.send`, which the shell vets,
so dangerous commands are confirmed) and `HandlerCompleter` to a completer
(its menu opens while typing, but on an empty line only for Tab).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import AnyFormattedText, FormattedText

from qmpsh.builtins.context import Context
from qmpsh.builtins.registry import MODULES
from qmpsh.lang.parser import Request
from qmpsh.shell.linehandler import LineHandler
from qmpsh.shell.modes_api import Check, Hooks, Problem, Run, ShellApi
from qmpsh.shell.qmp_mode import in_turn, not_connected
from qmpsh.wire.eventlog import Event


def hooks_for(ctx: Context, handler: LineHandler | None = None) -> Hooks:
    """The hooks for a session: *handler*'s mode, else QMP with the schema;
    in both, the event filter and the progress of block jobs."""
    from qmpsh.core.eventfilter import EventFilter, current

    jobs = ctx.job_tracker()
    redraws: list[Callable[[Callable[[], None]], object]] = [jobs.on_change]

    def in_force() -> EventFilter:
        return current(ctx.session.event_filter, ctx.settings.event_filter)

    def shown(event: Event) -> bool:
        return in_force().matches(event.message)

    def connect(redraw: Callable[[], None]) -> None:
        for source in redraws:
            source(redraw)

    common: dict[str, Any] = {
        "event_filter": shown,
        "event_filter_key": in_force,
        "toolbar_segments": [jobs.toolbar_text],
        "connect_redraw": connect,
    }
    if handler is not None:
        handler.start_loading()
        return Hooks(
            completer=HandlerCompleter(handler),
            complete_while_typing=True,  # a local table: cheap
            line_mode=HandlerMode(ctx, handler),
            **common,
        )
    from qmpsh.shell.assist import SchemaAssist

    assist = SchemaAssist.start(ctx)
    typer = assist.typer

    def validator(text: str, request: Request) -> Problem | None:
        refusal = assist.check(request)
        # the shell adds how to send it anyway (Enter again, or a leading !)
        return None if refusal is None else Problem(refusal)

    def hint(before: str, width: int) -> AnyFormattedText:
        from qmpsh.schema.signature import fragments, signature

        schema = assist.service.schema
        if schema is None or not before.strip():
            return ""
        sig = signature(schema, before, MODULES)
        return "" if sig is None else FormattedText(fragments(sig, width))

    redraws.append(assist.service.on_change)
    return Hooks(
        completer=assist.completer(),
        validator=validator,
        typer=typer,
        command_names=assist.command_names,
        input_hint=hint,
        on_sent=assist.sent,
        **common,
    )


class HandlerMode:
    """A `qmpsh.shell.linehandler.LineHandler` as the shell's line mode."""

    mode = "hmp"

    def __init__(self, ctx: Context, handler: LineHandler) -> None:
        self.ctx = ctx
        self.handler = handler

    def prompt(self) -> str | None:
        return self.handler.prompt()

    def check(self, text: str) -> Check:
        lines = [line for line in text.split("\n") if line.strip()]
        if not lines:
            return Run(None)
        down = not_connected(self.ctx.conn)
        if down is not None:
            return down
        if len(lines) == 1:
            return Run(self._job(lines[0]), lines[0].split()[0])
        # an HMP command is one line: several are several commands
        return Run(
            in_turn([self._job(line) for line in lines]), f"{len(lines)} commands"
        )

    def _job(self, text: str) -> Any:
        async def job(api: ShellApi) -> int:
            # the handler sends with ctx.send, which the shell vets
            return await self.handler.handle(text)

        return job


class HandlerCompleter(Completer):
    """Completions from a `LineHandler`'s candidates."""

    def __init__(self, handler: LineHandler) -> None:
        self.handler = handler

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        if not document.text.strip() and not complete_event.completion_requested:
            # every command, unasked: e.g. the menu prompt_toolkit would open
            # again on the empty prompt after a line typed fast
            return
        word = document.get_word_before_cursor(WORD=True)
        for text in self.handler.candidates(document.text_before_cursor):
            yield Completion(text, -len(word))
