"""The interactive shell (prompt_toolkit).

Events are printed above the prompt as they arrive, while the user types.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.patch_stdout import patch_stdout

from qmpsh.builtins import Context, lookup
from qmpsh.client import QmpshError
from qmpsh.eventfilter import current
from qmpsh.eventlog import Event
from qmpsh.exitcodes import Exit
from qmpsh.jobtracker import tracker_for
from qmpsh.linehandler import LineHandler
from qmpsh.liveline import before_print
from qmpsh.parser import Accumulator, Incomplete, ParseError
from qmpsh.render import (
    error_line,
    event_line,
    highlight_json,
    is_error,
    render_json,
    render_reply,
)
from qmpsh.schema_assist import SchemaAssist


def banner(ctx: Context) -> str:
    version = ctx.conn.version
    target = f"QEMU {version}" if version else "a QMP server without a greeting"
    return f"qmpsh connected to {target} at {ctx.conn.address}. Ctrl-D quits."


class _HandlerCompleter(Completer):
    """Completions from a `LineHandler`'s candidates."""

    def __init__(self, handler: LineHandler) -> None:
        self.handler = handler

    def get_completions(self, document: Document, event: object) -> Any:
        word = document.get_word_before_cursor(WORD=True)
        for text in self.handler.candidates(document.text_before_cursor):
            yield Completion(text, -len(word))


async def run_repl(ctx: Context, handler: LineHandler | None = None) -> int:
    color = ctx.settings.use_color(sys.stdout.isatty())
    assist: SchemaAssist | None = None
    acc = Accumulator()
    if handler is not None:
        session: PromptSession[str] = PromptSession(
            completer=_HandlerCompleter(handler)
        )
        handler.start_loading()
    else:
        assist = SchemaAssist.start(ctx)
        acc = Accumulator(assist.typer)
        session = PromptSession(
            completer=assist.completer(
                pending=lambda: acc.buffer if acc.pending else ""
            ),
            complete_while_typing=False,
        )
    forced = False

    def show(text: str) -> None:
        print(highlight_json(text, ctx.settings.style) if color else text)

    def on_event(event: Event) -> None:
        if current(ctx.state, ctx.settings.event_filter).matches(event.message):
            before_print(ctx.state)  # above a live progress bar, if any
            print(event_line(event.message, event.time))

    jobs = tracker_for(ctx.state, ctx.conn)

    def on_jobs() -> None:  # the toolbar shows active jobs' progress
        session.bottom_toolbar = jobs.toolbar_text() or None
        session.app.invalidate()

    jobs.on_change(on_jobs)

    print(banner(ctx))
    unsubscribe = ctx.events.subscribe(on_event)
    try:
        with patch_stdout(raw=True):
            while True:
                prompt = "... " if acc.pending else "(qmpsh) "
                if handler is not None:
                    prompt = handler.prompt()
                try:
                    line = await session.prompt_async(prompt)
                except KeyboardInterrupt:
                    acc.reset()
                    continue
                except EOFError:
                    break
                if handler is not None:
                    try:
                        await handler.handle(line)
                    except QmpshError as err:
                        ctx.console.err(err.message)
                    continue
                if not acc.pending and assist is not None:
                    forced, line = assist.split_force(line)
                if not acc.pending and (found := lookup(line)) is not None:
                    builtin, rest = found
                    try:
                        await builtin.run(ctx, rest)
                    except (QmpshError, ValueError) as err:
                        ctx.console.err(f"{builtin.name}: {err}")
                    continue
                try:
                    result = acc.feed(line)
                except ParseError as err:
                    ctx.console.err(
                        f"parse error at {err.line}:{err.column}: {err.message}"
                    )
                    continue
                if result is None or isinstance(result, Incomplete):
                    continue
                if assist is not None:
                    refusal = None if forced else assist.check(result)
                    if refusal is not None:
                        ctx.console.err(refusal)
                        continue
                    assist.sent(result)
                ctx.mark = ctx.events.seq
                if ctx.settings.verbose:
                    show(render_json(result.message, ctx.settings.pretty))
                task = asyncio.ensure_future(
                    ctx.conn.execute(result.message, ctx.settings.timeout)
                )
                try:
                    reply = await task
                except QmpshError as err:
                    ctx.console.err(err.message)
                    continue
                except asyncio.CancelledError:
                    continue
                if is_error(reply):
                    ctx.console.err(error_line(reply))
                else:
                    show(render_reply(reply, pretty=ctx.settings.pretty))
    finally:
        unsubscribe()
    return int(Exit.OK)
