"""Built-ins for events: ``events`` (what came so far), ``filter`` (what the
event pane shows) and ``wait`` (for the next one that matches)."""

from __future__ import annotations

import difflib
import time
from collections.abc import Collection

from qmpsh.builtins.context import Context
from qmpsh.builtins.event_wait import missed, wait_for_event
from qmpsh.builtins.registry import BuiltinError, above_zero, builtin, split_args
from qmpsh.core.errors import QmpshError
from qmpsh.core.eventfail import Failures, event_label
from qmpsh.core.eventfilter import (
    FILTER_WORDS,
    EventFilter,
    case_problem,
    current,
    parse_words,
)
from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import event_line, render_json
from qmpsh.wire.eventlog import Event


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
            ctx.console.out(render_json(event.message, ctx.pretty()))
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


WAIT_USAGE = (
    "EVENT [EVENT ...] [FIELD=VALUE ...] [--timeout SECONDS] "
    "[--fail-on EVENT:FIELD=VALUE,...] [--history]"
)


@builtin(
    "wait",
    "wait for an event; fail when it reports a failure",
    WAIT_USAGE,
    options=("--timeout", "--fail-on", "--history", *FILTER_WORDS),
    offline=True,  # e.g. the SHUTDOWN that came before QEMU closed the socket
)
async def wait_cmd(ctx: Context, text: str) -> int:
    """Return when an event matching EVENT and the FIELD=VALUE conditions
    has arrived, and print it.  There is no race: an event that arrived
    before ``wait`` was typed counts.  Where it looks back to: in the shell,
    the previous command; in batch mode, the first command after the
    previous ``wait`` (or the first of all), so that a diagnostic command
    in between loses nothing, and an event an earlier ``wait`` returned is
    not returned again; ``--history`` looks at the whole event history.
    Several EVENTs mean any of them (``wait STOP SHUTDOWN``), and so do
    several values for one field (``status=completed status=failed``).
    EVENT may be a glob (``BLOCK_JOB_*``), ``'*'`` for any event, or, with
    ``--regex``, a regular expression (``--no-case`` ignores case); a plain
    name is checked: QMP event names are upper case, and once the schema is
    loaded, the name must be one of its events.  FIELD is a dotted path in
    the event's data (``device``, ``data.device``), also with ``!=`` or
    ``~=`` (regex).

    An event that reports a failure (``BLOCK_JOB_COMPLETED`` with an
    ``error``, ``MIGRATION`` ``status=failed``, ``JOB_STATUS_CHANGE``
    ``status=aborting``...: the README's table) is printed and fails the
    wait (exit code 1); such an event about the same thing ends a wait for
    another one (``wait MIGRATION status=completed`` ends on
    ``status=failed``; ``wait BLOCK_JOB_READY device=j1`` when j1 fails).
    ``--fail-on EVENT[:FIELD=VALUE,...]`` (repeatable) makes any matching
    event a failure that ends the wait; ``--fail-on none`` drops the table.

    ``--timeout SECONDS`` (default: the session's ``--timeout``, else
    forever) gives up with exit code 6 in batch mode.  Ctrl-C stops waiting
    in the shell.

    The history holds the newest events only (1000 by default): if more
    arrived since the window began, the oldest are gone and a warning says
    so."""
    specs, words = take_repeated(split_args(text), "--fail-on")
    flt, extra = parse_words(words, {"--timeout": True, "-t": True, "--history": False})
    if not ctx.interactive and ctx.settings.validating(False) and _plain(flt):
        await ctx.schema_service().load()  # to check the name (cached)
    problem = event_name_problem(flt, _known_events(ctx))
    if problem is not None:
        raise BuiltinError(problem, Exit.PARSE_ERROR)
    failures = Failures.from_options(specs)
    raw = extra.get("--timeout", extra.get("-t"))
    timeout = (
        above_zero(raw, "--timeout", what="a number of seconds")
        if isinstance(raw, str)
        else ctx.settings.timeout
    )
    history = "--history" in extra
    mark = ctx.wait_window(history)
    skip = ctx.session.waited if not (ctx.interactive or history) else set()
    gone = missed(ctx.events, mark)
    if gone:
        ctx.console.err(
            f"wait: {gone} event{'s' if gone > 1 else ''} that arrived since "
            f"{_since(ctx, history)} are no longer in the event history; a "
            "match among them cannot be seen"
        )

    def wanted_event(event: Event) -> bool:
        if event.seq in skip:
            return False
        message = event.message
        return flt.matches(message) or failures.ends(flt, message) is not None

    seq = None
    try:
        event = await wait_for_event(ctx.conn, wanted_event, mark, timeout)
        seq = event.seq
    except TimeoutError:
        hint = await timeout_hint(ctx, flt, mark)
        raise BuiltinError(
            f"no {wanted(flt)} since {_since(ctx, history)} "
            f"(waited {timeout:g} s){hint}",
            Exit.TIMEOUT,
        ) from None
    finally:
        ctx.waited(seq)
    message = event.message
    if ctx.interactive:
        ctx.console.out(event_line(message, event.time))
    else:
        ctx.console.out(render_json(message, ctx.settings.pretty))
    why = (
        failures.failure(message)
        if flt.matches(message)
        else failures.ends(flt, message)
    )
    if why is not None:
        if message.get("event") == "MIGRATION":
            why += await migration_error(ctx)
        raise BuiltinError(f"{event_label(message)} reports a failure: {why}")
    return Exit.OK


def take_repeated(words: list[str], option: str) -> tuple[list[str], list[str]]:
    """The values of a repeatable *option* (``--opt V`` or ``--opt=V``), and
    the other words."""
    values: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == option:
            if i >= len(words):
                raise ValueError(f"{option} needs a value")
            values.append(words[i])
            i += 1
        elif word.startswith(option + "="):
            values.append(word[len(option) + 1 :])
        else:
            rest.append(word)
    return values, rest


def _since(ctx: Context, history: bool) -> str:
    if history:
        return "the start of the event history"
    if ctx.interactive:
        return "the previous command"
    if not ctx.session.waits:
        return "the script began"
    return "the first command after the previous wait"


async def migration_error(ctx: Context) -> str:
    """``: Unable to write to command: Broken pipe`` from query-migrate's
    ``error-desc`` (QEMU's MIGRATION event does not carry it); ""."""
    try:
        reply = await ctx.conn.execute({"execute": "query-migrate"}, 5.0)
    except QmpshError:
        return ""
    info = reply.get("return")
    desc = info.get("error-desc") if isinstance(info, dict) else None
    return f": {desc}" if isinstance(desc, str) and desc else ""


async def timeout_hint(ctx: Context, flt: EventFilter, mark: int) -> str:
    """Why a wait may have seen nothing (``; ...``), or "": a match from
    before the window, or MIGRATION events being off."""
    hint = ""
    earlier = [e for e in ctx.events if e.seq <= mark and flt.matches(e.message)]
    if earlier:
        hint += (
            f"; a matching event arrived before that (at "
            f"{time.strftime('%H:%M:%S', time.localtime(earlier[-1].time))}): "
            "wait --history looks at the whole history"
        )
    if flt.name_matches("MIGRATION") and ctx.conn.connected:
        try:
            reply = await ctx.conn.execute(
                {"execute": "query-migrate-capabilities"}, 5.0
            )
        except QmpshError:
            return hint
        caps = reply.get("return")
        if isinstance(caps, list) and any(
            isinstance(c, dict)
            and c.get("capability") == "events"
            and c.get("state") is False
            for c in caps
        ):
            hint += (
                "; QEMU sends MIGRATION events only with the events migration "
                "capability on (migrate-set-capabilities "
                'capabilities=[{"capability": "events", "state": true}]); '
                "wait-migration works without it"
            )
    return hint


def wanted(flt: EventFilter) -> str:
    """``BLOCK_JOB_COMPLETED event with device=j1`` for messages."""
    names = " or ".join(flt.include) if flt.include else "matching"
    text = f"{names} event"
    if flt.fields:
        text += " with " + ", ".join(f.text for f in flt.fields)
    return text


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
        upper = case_problem(name)
        if upper is not None:
            return upper
        if known is not None:
            if name in known:
                continue
            close = difflib.get_close_matches(name.upper(), known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            return f"the server has no event {name!r}{hint}"
    return None


def _plain(flt: EventFilter) -> bool:
    """Whether *flt* names an event as it is (no glob, regex or no-case)."""
    if flt.regex or flt.no_case:
        return False
    return any(not set("*?[") & set(name) for name in flt.include)


def _known_events(ctx: Context) -> Collection[str] | None:
    """The server's event names, when its schema is loaded (not waited for)."""
    service = ctx.session.schema_service  # none made for this
    schema = service.schema if service is not None else None
    return schema.events if schema is not None and schema.events else None
