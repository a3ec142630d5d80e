"""Core built-ins: ``events``."""

from __future__ import annotations

from qmpsh.builtins import Context, builtin, split_args
from qmpsh.exitcodes import Exit
from qmpsh.render import render_json


@builtin("events", "print the events received so far", "[--clear]")
async def events_cmd(ctx: Context, text: str) -> int:
    """Print every event held in memory (the newest ones, up to the history
    size), as JSON, oldest first.  ``--clear`` empties the history."""
    args = split_args(text)
    if args == ["--clear"]:
        ctx.events.clear()
        return Exit.OK
    if args:
        ctx.console.err(f"events: unexpected {args[0]!r} (usage: events [--clear])")
        return Exit.PARSE_ERROR
    for event in ctx.events:
        ctx.console.out(
            render_json(event.message, ctx.settings.pretty or ctx.interactive)
        )
    return Exit.OK
