"""What the interactive shell plugs in, by mode (see `qmpsh.shell.modes_api`).

QMP mode: the server's schema (`qmpsh.shell.assist`) gives the completer,
the check before sending (``!`` skips it), schema-typed values, the command
names the highlighting knows and the signature line under the input; lines
are understood by the default line mode, `qmpsh.shell.qmp_mode.QmpLines`.

HMP mode (``-H``): the session's `qmpsh.builtins.hmp.HmpShell` is the line
mode (every line is an HMP command) and its command table completes, through
`CandidatesCompleter` (its menu opens while typing, but on an empty line
only for Tab).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import AnyFormattedText, FormattedText

from qmpsh.builtins.aliases import alias_values
from qmpsh.builtins.context import Context
from qmpsh.builtins.linemode import Problem
from qmpsh.builtins.registry import MODULES
from qmpsh.lang.parser import Request
from qmpsh.shell.modes_api import Hooks
from qmpsh.wire.eventlog import Event

if TYPE_CHECKING:
    from qmpsh.builtins.hmp import HmpShell


def hooks_for(ctx: Context, hmp: HmpShell | None = None) -> Hooks:
    """The hooks for a session: HMP mode with *hmp*, else QMP with the
    schema; in both, the event filter and the progress of block jobs."""
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

    common = Hooks(
        event_filter=shown,
        event_filter_key=in_force,
        toolbar_segments=[jobs.toolbar_text],
        connect_redraw=connect,
    )
    if hmp is not None:
        hmp.start_loading()
        return replace(
            common,
            completer=CandidatesCompleter(hmp.candidates),
            complete_while_typing=True,  # a local table: cheap
            line_mode=hmp,
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

        assist.prefetch(before)  # device_add driver=X: X's properties, to type
        schema = assist.service.schema
        if schema is None or not before.strip():
            return ""
        sig = signature(schema, before, MODULES, assist.manual())
        return "" if sig is None else FormattedText(fragments(sig, width))

    later: set[asyncio.Task[None]] = set()

    def warn(request: Request) -> None:
        warning = assist.deprecated(request)
        if warning is not None:
            ctx.console.err(warning)

    async def warn_later(request: Request) -> None:
        await assist.load_for(request)
        warn(request)

    def sent(request: Request) -> None:
        """What a request sent uses that is deprecated: said at once, or
        once the schema and the manual have loaded (a line sent right after
        connecting; the first deprecated thing used)."""
        assist.sent(request)
        if not assist.to_load(request):
            warn(request)
            return
        task = asyncio.ensure_future(warn_later(request))
        later.add(task)
        task.add_done_callback(later.discard)

    manuals = ctx.manual_service()
    redraws.append(assist.service.on_change)
    redraws.append(manuals.on_change)
    return replace(
        common,
        completer=assist.completer(lambda: alias_values(ctx)),
        validator=validator,
        typer=typer,
        command_names=assist.command_names,
        input_hint=hint,
        input_hint_key=lambda: manuals.changes,
        on_sent=sent,
    )


class CandidatesCompleter(Completer):
    """Completions from a function giving the words that may end at the
    cursor (*candidates* of the text before it): HMP mode's."""

    def __init__(self, candidates: Callable[[str], list[str]]) -> None:
        self.candidates = candidates

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        if not document.text.strip() and not complete_event.completion_requested:
            # every command, unasked: e.g. the menu prompt_toolkit would open
            # again on the empty prompt after a line typed fast
            return
        word = document.get_word_before_cursor(WORD=True)
        for text in self.candidates(document.text_before_cursor):
            yield Completion(text, -len(word))
