"""Core built-ins: ``events``."""

from __future__ import annotations

from qmpsh.builtins.registry import Context, builtin, split_args
from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import render_json


@builtin(
    "events",
    "print the events received so far",
    "[--clear] [--all] [EVENT ...] [FIELD=VALUE ...]",
    options=("--clear", "--all", "--regex", "--no-case", "--exclude-event"),
    offline=True,
)
async def events_cmd(ctx: Context, text: str) -> int:
    """Print the events held in memory (the newest ones, up to the history
    size), as JSON, oldest first, through the event filter in force (see
    ``filter``); EVENT and FIELD=VALUE words narrow the listing further, and
    ``--all`` ignores the filter in force.  ``--clear`` empties the history
    (``wait`` then no longer sees what was in it)."""
    from qmpsh.core.eventfilter import current, parse_words

    args = split_args(text)
    if args == ["--clear"]:
        ctx.events.clear()
        return Exit.OK
    flt, extra = parse_words(args, {"--all": False})
    shown = current(ctx.state, ctx.settings.event_filter)
    if "--all" in extra:
        shown = flt
    for event in ctx.events:
        if flt.matches(event.message) and shown.matches(event.message):
            ctx.console.out(
                render_json(event.message, ctx.settings.pretty or ctx.interactive)
            )
    return Exit.OK
