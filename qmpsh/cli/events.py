"""``qmpsh events ADDRESS``: only listen, and print events as JSON lines.

For piping into other tools: one event per line, flushed as it arrives,
filtered like everywhere else (qmpsh.core.eventfilter).  It ends after
``--count`` events, after ``--timeout`` seconds, when the connection ends,
when stdout cannot be written, or on Ctrl-C.

Exit codes (`ending`): 0 when ``--count`` events were printed; without
``--count``, 0 when the timeout came after at least one event or QEMU quit
(a SHUTDOWN event, then the connection closed); 6 (timeout) when the
timeout came before ``--count`` events, or before any event without
``--count``; 5 when the connection ended before ``--count`` events, or
with no SHUTDOWN before it (QEMU killed: a crash is not a clean end); 4
when it cannot connect; 2 for bad options, or when ADDRESS is a guest agent
(it sends no events); 1 when stdout cannot be written (`qmpsh.core.output`; a
reader that goes away, ``| head -1``, ends it quietly with 0); 130 on
Ctrl-C.  What the connection warns about is said on stderr.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import click

from qmpsh.cli.addrcomplete import complete_address
from qmpsh.cli.command import (
    QmpshCommand,
    click_event_filter,
    event_filter_options,
    merged_options,
)
from qmpsh.cli.events_listener import Listener, announce
from qmpsh.cli.options import (
    click_options,
    finite_range,
    setting_option,
    setting_values,
)
from qmpsh.core.settings import SETTING


def _options(func: Any) -> Any:
    for option in reversed(event_filter_options(short=True)):
        func = option(func)
    return func


#: the settings whose options (as ``qmpsh`` has them) it takes, besides -p
SETTINGS_TAKEN = (
    "logfile",
    "connect_timeout",
    "color",
    "tls_ca",
    "tls_cert",
    "tls_key",
    "tls_hostname",
    "libvirt_uri",
)


def _settings_options(func: Any) -> Any:
    opts = [setting_option(SETTING[name]) for name in SETTINGS_TAKEN]
    for option in reversed(click_options(opts)):
        func = option(func)
    return func


@click.command("events", cls=QmpshCommand)
@click.argument(
    "addresses", nargs=-1, metavar="[ADDRESS...]", shell_complete=complete_address
)
@_options
@click.option(
    "-n",
    "--count",
    type=click.IntRange(min=1),
    metavar="N",
    help="Stop after N events (exit 6 if the timeout comes first).",
)
@click.option(
    "-t",
    "--timeout",
    "listen_timeout",
    type=finite_range(min=0, min_open=True),
    metavar="SECONDS",
    help="Stop listening after SECONDS (exit 6 if fewer than --count events, or "
    "none, came).",
)
@click.option(
    "--timestamp",
    is_flag=True,
    help='Add a "time" member: the event\'s timestamp in ISO 8601 (UTC).',
)
@click.option("-p", "--pretty", is_flag=True, help="Indent the JSON.")
@click.option(
    "--fail-on",
    "fail_on",
    multiple=True,
    metavar="EVENT[:FIELD=VALUE,...]",
    help="Count an event that matches as a failure (exit 1), besides those "
    "that report one (BLOCK_JOB_COMPLETED with an error, MIGRATION failed...); "
    "'none' drops that table.  Repeatable.",
)
@click.option(
    "--ready-fd",
    "ready_fd",
    type=click.IntRange(min=0),
    metavar="N",
    help="Once subscribed, write 'ready' and a newline to file descriptor N "
    "and close it (instead of the line on stderr).",
)
@_settings_options
@click.pass_context
def events_command(
    ctx: click.Context, /, addresses: tuple[str, ...], **opts: Any
) -> int:
    """Listen to ADDRESS and print its events as JSON lines.

    Each event is printed (and flushed) as it arrives, for piping into other
    tools; the filter options choose which.  Without --count or --timeout it
    runs until the connection ends or Ctrl-C.  Several ADDRESS words (or a
    glob, or a group of the config file) listen to every target at once:
    each event has a "target" member, --count counts each target's events,
    and the exit code is the worst of the targets'.

    \b
    Exit codes: 0 done (--count reached; without it, the timeout after an
    event, or QEMU quit: SHUTDOWN, then the connection closed), 1 an
    event that reports a failure (--fail-on) or output not written, 2 usage (or ADDRESS is a guest agent, which sends no
    events), 4 cannot connect, 5 connection lost (before --count events, or
    with no SHUTDOWN before it: QEMU killed), 6 timeout before --count
    events (or before any, without --count), 130 interrupted.
    """
    from qmpsh.cli.invoke import names_several
    from qmpsh.cli.targets import resolve_for_click
    from qmpsh.core.settings import build_settings
    from qmpsh.wire.address import AddressError

    opts = merged_options(ctx, opts)
    flt = click_event_filter(opts)
    given = setting_values(opts, only=("pretty", *SETTINGS_TAKEN))
    given = {**given, "event_filter": flt}
    if len(addresses) > 1 or (addresses and names_several(addresses[0])):
        from qmpsh.cli.events_many import listen_many

        return listen_many(
            addresses,
            given,
            lambda settings, label, ready: make_listener(settings, opts, label, ready),
            lambda: announce(opts.get("ready_fd")),
        )
    found = resolve_for_click(
        addresses[0] if addresses else None,
        "no address: give ADDRESS, or set QMP_SOCKET",
    )
    where = found.transport
    # a named target's table counts (as in batch mode, the file's top level does not)
    settings = build_settings(given, target=found.settings)
    try:
        where.configure(settings)  # ssh_command, the tls_* files
    except AddressError as err:
        raise click.UsageError(str(err)) from None
    listener = make_listener(settings, opts)
    try:
        return asyncio.run(listener.run(where))
    except KeyboardInterrupt:
        from qmpsh.cli.problems import interrupted

        return interrupted()


def make_listener(
    settings: Any,
    opts: dict[str, Any],
    label: str | None = None,
    on_ready: Callable[[], None] | None = None,
) -> Listener:
    """The `Listener` the options ask for (their mistakes are click's)."""
    from qmpsh.core.eventfail import Failures
    from qmpsh.core.eventfilter import FilterError

    try:
        failures = Failures.from_options(tuple(opts.get("fail_on") or ()))
    except FilterError as err:
        raise click.UsageError(str(err)) from None
    ready_fd = opts.get("ready_fd")
    if ready_fd is not None and ready_fd in (0, 1):
        raise click.UsageError(
            f"--ready-fd {ready_fd}: stdin and stdout are not for that"
        )
    return Listener(
        settings,
        count=opts.get("count"),
        timeout=opts.get("listen_timeout"),
        timestamp=bool(opts.get("timestamp")),
        failures=failures,
        ready_fd=ready_fd,
        label=label,
        on_ready=on_ready,
    )
