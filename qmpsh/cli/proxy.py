"""``qmpsh proxy TARGET --listen PATH``: share one QMP monitor among many
clients (`qmpsh.proxy`).

The command line only: which sockets with which policy
(`qmpsh.proxy.spec`), the settings it takes, then `qmpsh.proxy.server`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import click

from qmpsh.cli.addrcomplete import complete_address
from qmpsh.cli.command import QmpshCommand, merged_options
from qmpsh.cli.options import click_options, setting_option, setting_values
from qmpsh.core.settings import SETTING

#: the settings whose options (as ``qmpsh`` has them) it takes
SETTINGS_TAKEN = (
    "verbose",
    "logfile",
    "redact",
    "read_only",
    "allow",
    "deny",
    "connect_timeout",
    "read_limit",
    "retries",
    "retry_delay",
    "tls_ca",
    "tls_cert",
    "tls_key",
    "tls_hostname",
    "libvirt_uri",
)


#: what these options mean here, where the settings' own words would not fit
HELP = {
    "verbose": "Say on stderr which client sent what, and each refusal, "
    "connection and hang-up (secrets redacted).",
    "logfile": "Append each client's conversation to FILE as JSON lines, "
    "every line naming its client: what it sent (out) and was sent (in), "
    "secrets redacted; mode 0600.",
    "log_secrets": "Show passwords and secret data as clients sent them, in "
    "-v's lines and the -l log (by default they are replaced with <redacted>).",
    "read_only": "Let through, on every socket, only commands that change "
    "nothing (query-*, qom-get, HMP info...); a client gets an error reply "
    "for the others.",
    "allow": "On every socket, let through only commands that match PATTERN, "
    "a glob (repeatable; --deny wins).",
    "deny": "On every socket, refuse commands that match PATTERN (repeatable), "
    "e.g. 'quit', 'hmp q*'.",
    "read_limit": "Refuse a message longer than BYTES: from QEMU (the connection "
    "is lost) or from a client (it is hung up on) (default: 10 MiB).",
    "retries": "After QEMU went away, try N times to reconnect, then exit 5 "
    "(default: 5).",
}


def _settings_options(func: Any) -> Any:
    opts = [setting_option(SETTING[name]) for name in SETTINGS_TAKEN]
    opts = [opt._replace(help=HELP.get(opt.dest, opt.help)) for opt in opts]
    for option in reversed(click_options(opts)):
        func = option(func)
    return func


@click.command("proxy", cls=QmpshCommand)
@click.argument("address", required=False, shell_complete=complete_address)
@click.option(
    "--listen",
    "listen_specs",
    multiple=True,
    metavar="PATH[,read-only][,allow=PATTERN][,deny=PATTERN]",
    help="Serve QMP clients on the unix socket PATH, with that socket's own "
    "policy besides --read-only/--allow/--deny (repeatable; a comma in PATH "
    "is written ,,).",
)
@click.option(
    "--listen-read-only",
    "listen_read_only",
    multiple=True,
    metavar="PATH",
    help="Serve QMP clients on PATH, letting through only commands that "
    "change nothing (the same as --listen PATH,read-only; repeatable).",
)
@_settings_options
@click.pass_context
def proxy_command(ctx: click.Context, /, address: str | None, **opts: Any) -> int:
    """Share the QMP monitor at ADDRESS among many clients.

    QEMU serves one QMP client per socket; qmpsh proxy holds that one
    connection and serves any number of QMP clients on each --listen socket
    (mode 0600): each gets QEMU's greeting (without oob) and negotiates on
    its own, its requests are sent with ids of the proxy's and its replies
    come back with its own ids, and every event reaches every client.  A
    command a socket's policy refuses gets an error reply and is not sent.
    When QEMU goes away the clients are hung up on and the proxy
    reconnects (--retries, --retry-delay).  -v says on stderr which client
    sent what; -l FILE logs each client's conversation.

    \b
    Exit codes: 2 usage (or a --listen path that exists and is not a stale
    socket, or a -l FILE that cannot be opened), 4 cannot connect, 5
    connection lost and not back after --retries attempts, 129 SIGHUP,
    130 interrupted, 143 SIGTERM.
    """
    from qmpsh.cli.targets import resolve_for_click
    from qmpsh.core.output import say
    from qmpsh.core.settings import build_settings
    from qmpsh.policy.rules import Policy
    from qmpsh.proxy.server import Options, Proxy
    from qmpsh.proxy.spec import SpecError, parse
    from qmpsh.wire.address import AddressError

    opts = merged_options(ctx, opts)
    found = resolve_for_click(
        address or None, "no address: give ADDRESS, or set QMP_SOCKET"
    )
    given = setting_values(opts, only=SETTINGS_TAKEN)
    settings = build_settings(given, target=found.settings)
    base = Policy(settings.read_only, tuple(settings.allow), tuple(settings.deny))
    words = [(text, False) for text in opts.get("listen_specs") or ()]
    words += [(text, True) for text in opts.get("listen_read_only") or ()]
    if not words:
        raise click.UsageError("no --listen PATH: say where to serve clients")
    try:
        specs = [parse(text, base, read_only) for text, read_only in words]
    except SpecError as err:
        raise click.UsageError(str(err)) from None
    paths = [spec.path for spec in specs]
    if len(set(paths)) != len(paths):
        raise click.UsageError("the same --listen path is given twice")
    try:
        found.transport.configure(settings)
    except AddressError as err:
        raise click.UsageError(str(err)) from None
    options = Options(
        connect_timeout=settings.connect_timeout,
        read_limit=settings.read_limit,
        retries=settings.retries,
        retry_delay=settings.retry_delay,
        verbose=settings.verbose,
        redact=settings.redact,
    )
    log = None
    if settings.logfile:
        from qmpsh.core.exitcodes import Exit
        from qmpsh.wire.wirelog import WireLog

        try:
            log = WireLog(
                settings.logfile, settings.redact, lambda text: say(f"warning: {text}")
            )
        except OSError as err:
            say(f"cannot open the log {settings.logfile}: {err.strerror}")
            return int(Exit.USAGE)
    proxy = Proxy(found.transport, specs, options, say, log)
    try:
        return asyncio.run(proxy.run())
    finally:
        if log is not None:
            log.close()
