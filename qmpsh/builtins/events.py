"""Built-ins for events: ``events`` (what came so far), ``filter`` (what the
event pane shows) and ``wait`` (for the next one that matches)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection

from qmpsh.builtins.context import Context
from qmpsh.builtins.event_wait import missed, wait_for_event
from qmpsh.builtins.registry import BuiltinError, above_zero, builtin, split_args
from qmpsh.core.eventfilter import FILTER_WORDS, EventFilter, current, parse_words
from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import event_line, render_json


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
    args = split_args(text)
    if args == ["--clear"]:
        ctx.events.clear()
        return Exit.OK
    flt, extra = parse_words(args, {"--all": False})
    shown = _in_force(ctx)
    if "--all" in extra:
        shown = flt
    for event in ctx.events:
        if flt.matches(event.message) and shown.matches(event.message):
            ctx.console.out(
                render_json(event.message, ctx.settings.pretty or ctx.interactive)
            )
    return Exit.OK


@builtin(
    "filter",
    "show or set which events are shown",
    "[off | [--add] [EVENT ...] [FIELD=VALUE ...] [--exclude-event EVENT] "
    "[--regex] [--no-case]]",
    options=("off", "--add", *FILTER_WORDS),
    offline=True,
)
async def filter_cmd(ctx: Context, text: str) -> int:
    """Without arguments, show the event filter in force.  ``filter off``
    shows every event again.  Otherwise set a new filter (``--add``: add to
    the one in force): EVENT is a name, a glob (``BLOCK_JOB_*``) or, with
    ``--regex``, a regular expression; ``--exclude-event EVENT`` (``-x``)
    hides matching names; ``--no-case`` (``-i``) ignores case in names;
    ``FIELD=VALUE`` (or ``--match``; also ``!=`` and ``~=`` for a regex) keeps
    events whose data field matches (``device=job0``, ``data.status=ready``).

    The filter applies to the live event pane, to ``events`` and to the
    events batch mode prints with ``--events``; the history keeps every
    event, and ``wait`` uses only its own arguments."""
    words = split_args(text)
    if not words:
        _show(ctx, _in_force(ctx))
        return Exit.OK
    if words in (["off"], ["--clear"]):
        ctx.session.event_filter = EventFilter()
        _show(ctx, EventFilter())
        return Exit.OK
    add = "--add" in words
    flt, _ = parse_words([w for w in words if w != "--add"])
    if add:
        flt = _in_force(ctx).merged(flt)
    ctx.session.event_filter = flt
    _show(ctx, flt)
    return Exit.OK


def _in_force(ctx: Context) -> EventFilter:
    """The event filter in force: set with ``filter``, else the settings'."""
    return current(ctx.session.event_filter, ctx.settings.event_filter)


def _show(ctx: Context, flt: EventFilter) -> None:
    if ctx.interactive:
        ctx.console.out(flt.describe())
    else:
        ctx.console.out(
            render_json(
                {
                    "event": list(flt.include),
                    "exclude-event": list(flt.exclude),
                    "regex": flt.regex,
                    "no-case": flt.no_case,
                    "match": [f.text for f in flt.fields],
                },
                ctx.settings.pretty,
            )
        )


WAIT_USAGE = "EVENT [EVENT ...] [FIELD=VALUE ...] [--timeout SECONDS]"


@builtin(
    "wait",
    "wait for an event that arrived since the previous command was sent",
    WAIT_USAGE,
    options=("--timeout", *FILTER_WORDS),
    offline=True,  # e.g. the SHUTDOWN that came before QEMU closed the socket
)
async def wait_cmd(ctx: Context, text: str) -> int:
    """Return when an event matching EVENT and every FIELD=VALUE has arrived
    since the previous command was sent, and print it.  There is no race: an
    event that arrived between that command and ``wait`` counts; one from
    before the command does not.  Several waits after one command all look
    back to that command.  Several EVENTs mean any of them (``wait STOP
    SHUTDOWN``).  EVENT may be a glob (``BLOCK_JOB_*``), ``'*'`` for any
    event, or, with ``--regex``, a regular expression (``--no-case``
    ignores case); a plain name is checked: QMP event names are upper case,
    and once the schema is loaded, the name must be one of its events.  FIELD is
    a dotted path in the event's data (``device``, ``data.device``), also
    with ``!=`` or ``~=`` (regex).  ``--timeout SECONDS`` (default: the
    session's ``--timeout``, else forever) gives up with exit code 6 in
    batch mode.  Ctrl-C stops waiting in the shell.

    The history holds the newest events only (1000 by default): if more
    arrived since the command, the oldest are gone and a warning says so."""
    flt, extra = parse_words(split_args(text), {"--timeout": True, "-t": True})
    problem = event_name_problem(flt, _known_events(ctx))
    if problem is not None:
        raise BuiltinError(problem, Exit.PARSE_ERROR)
    raw = extra.get("--timeout", extra.get("-t"))
    timeout = (
        above_zero(raw, "--timeout", what="a number of seconds")
        if isinstance(raw, str)
        else ctx.settings.timeout
    )
    gone = missed(ctx.events, ctx.mark)
    if gone:
        ctx.console.err(
            f"wait: {gone} event{'s' if gone > 1 else ''} that arrived since the "
            "previous command are no longer in the event history; a match "
            "among them cannot be seen"
        )
    try:
        event = await wait_for_event(ctx.conn, flt, ctx.mark, timeout)
    except TimeoutError:
        raise BuiltinError(
            f"no {wanted(flt)} since the previous command (waited {timeout:g} s)",
            Exit.TIMEOUT,
        ) from None
    if ctx.interactive:
        ctx.console.out(event_line(event.message, event.time))
    else:
        ctx.console.out(render_json(event.message, ctx.settings.pretty))
    return Exit.OK


def wanted(flt: EventFilter) -> str:
    """``BLOCK_JOB_COMPLETED event with device=j1`` for messages."""
    names = " or ".join(flt.include) if flt.include else "matching"
    text = f"{names} event"
    if flt.fields:
        text += " with " + ", ".join(f.text for f in flt.fields)
    return text


#: ``__com.redhat_`` in ``__com.redhat_SOME_EVENT`` (a downstream extension)
_DOWNSTREAM = re.compile(r"__[\w.-]+?_")


def event_name_problem(flt: EventFilter, known: Collection[str] | None) -> str | None:
    """Why ``wait`` would wait for nothing that can come (one line), or None.

    At least one EVENT is needed.  A plain name (no glob, no ``--regex`` or
    ``--no-case``) must be upper case, as QMP event names are, and one of
    *known* (the server's events, when its schema is loaded).
    """
    if not flt.include:
        return f"which event? usage: wait {WAIT_USAGE} ('*' is any event)"
    if flt.regex or flt.no_case:
        return None
    for name in flt.include:
        if set("*?[") & set(name):
            continue
        if known is not None:
            if name in known:
                continue
            close = difflib.get_close_matches(name.upper(), known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            return f"the server has no event {name!r}{hint}"
        found = _DOWNSTREAM.match(name)
        bare = name[found.end() :] if found else name
        if bare != bare.upper():
            upper = name[: len(name) - len(bare)] + bare.upper()
            return (
                f"{name!r} is not an event name: QMP event names are upper case "
                f"(did you mean {upper}?)"
            )
    return None


def _known_events(ctx: Context) -> Collection[str] | None:
    """The server's event names, when its schema is loaded (not waited for)."""
    service = ctx.session.schema_service  # none made for this
    schema = service.schema if service is not None else None
    return schema.events if schema is not None and schema.events else None
