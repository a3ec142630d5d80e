"""The ``qmpsh`` command line: options in, settings and a runner out.

``qmpsh [OPTIONS] [ADDRESS]`` opens the shell (or runs batch input) and a few
subcommands sit beside it.  A first word that is not a subcommand is the
address, so a socket literally named ``wrap`` is written ``./wrap``.
Options may come before or after the address.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from qmpsh import __version__
from qmpsh.exitcodes import Exit

F = TypeVar("F", bound=Callable[..., Any])

_SESSION_OPTIONS: list[Callable[[Any], Any]] = [
    click.option(
        "-c",
        "--command",
        "commands",
        multiple=True,
        metavar="CMD",
        help="Run CMD and exit (repeatable; lines of one CMD run in turn).",
    ),
    click.option(
        "-f",
        "--file",
        "files",
        multiple=True,
        metavar="FILE",
        type=click.Path(dir_okay=False),
        help="Run the commands in FILE and exit (repeatable).",
    ),
    click.option("-p", "--pretty", is_flag=True, help="Indent JSON output."),
    click.option(
        "-v", "--verbose", is_flag=True, help="Echo each request before its reply."
    ),
    click.option(
        "-r",
        "--return-value",
        is_flag=True,
        help='Print only the "return" value of each reply.',
    ),
    click.option(
        "-k",
        "--keep-going",
        is_flag=True,
        help="In batch mode, go on after an error instead of stopping.",
    ),
    click.option(
        "-l",
        "--logfile",
        metavar="FILE",
        type=click.Path(dir_okay=False),
        help="Append every QMP message, both ways, to FILE as JSON lines.",
    ),
    click.option(
        "-N",
        "--skip-negotiation",
        is_flag=True,
        help="Expect no greeting and negotiate nothing (for qemu-ga).",
    ),
    click.option(
        "-H",
        "--hmp",
        is_flag=True,
        help="HMP mode: every line is a human monitor command, sent through "
        "human-monitor-command, and its text output is printed as it is.",
    ),
    click.option(
        "--listen",
        metavar="ADDRESS",
        help="Accept mode: listen on ADDRESS and wait for QEMU to connect (QEMU "
        "started with -qmp unix:PATH, without server=on), instead of connecting.",
    ),
    click.option(
        "--pass-fd",
        "pass_fds",
        multiple=True,
        metavar="NAME=FILE",
        help="After connecting, open FILE (read-only; fd:N passes descriptor N "
        "as it is) and hand it to QEMU with getfd fdname=NAME (repeatable).",
    ),
    click.option(
        "--add-fd",
        "add_fds",
        multiple=True,
        metavar="[ID=]FILE",
        help="After connecting, open FILE and hand it to QEMU with add-fd, into "
        "fd set ID or a new one (repeatable).",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        metavar="SECONDS",
        help="Give up on a reply after SECONDS (default: wait forever).",
    ),
    click.option(
        "--connect-timeout",
        type=click.FloatRange(min=0, min_open=True),
        metavar="SECONDS",
        help="Give up connecting, or waiting for the greeting, after SECONDS "
        "(default: 10).",
    ),
    click.option(
        "--color",
        type=click.Choice(["auto", "always", "never"]),
        help="Colour output: auto (on a terminal, unless NO_COLOR is set), "
        "always or never.",
    ),
    click.option(
        "--validate/--no-validate",
        default=None,
        help="Check each request against the server's schema before sending "
        "it (default: in the interactive shell only; in batch mode this "
        "fetches the schema first).  A line starting with ! is never checked.",
    ),
    click.option(
        "--read-limit",
        type=click.IntRange(min=1024),
        metavar="BYTES",
        help="Refuse a message from the server longer than BYTES, which ends "
        "the session (default: 10485760, 10 MiB).",
    ),
    click.option(
        "--log-secrets",
        is_flag=True,
        help="Write passwords and secret data to the wire log and the history "
        "as typed (by default they are replaced with <redacted>).",
    ),
    click.option(
        "--show-events",
        "event_display",
        type=click.Choice(["pane", "inline", "off"]),
        help="In the shell, show live events in a pane under the input "
        "(default), inline above the prompt, or not at all (F4 switches).",
    ),
    click.option(
        "--pane-height",
        "event_pane_height",
        type=click.IntRange(min=1, max=100),
        metavar="LINES",
        help="Lines of the event pane (default: 5; Alt-Up/Alt-Down resize it).",
    ),
    click.option(
        "--vi", is_flag=True, help="Use vi editing keys instead of emacs (F5 switches)."
    ),
    click.option(
        "--no-pager",
        is_flag=True,
        help="Print long output straight to the terminal instead of paging it.",
    ),
    click.option(
        "--retries",
        type=click.IntRange(min=0),
        metavar="N",
        help="After the connection is lost, try N times to reconnect (default: 5).",
    ),
    click.option(
        "--retry-delay",
        type=click.FloatRange(min=0),
        metavar="SECONDS",
        help="Wait SECONDS before the first reconnection attempt, twice as long "
        "before each next one, up to 30 (default: 2).",
    ),
    click.option(
        "--max-inflight",
        type=click.IntRange(min=1),
        metavar="N",
        help="Send up to N read-only requests ahead of their replies in batch "
        "mode (default: 64; 1 turns pipelining off).",
    ),
]


def event_filter_options(short: bool = False) -> list[Callable[[Any], Any]]:
    """The event filter options (see qmpsh.eventfilter); *short* adds -e -x -i -m."""

    def names(long: str, letter: str) -> tuple[str, ...]:
        return (letter, long) if short else (long,)

    return [
        click.option(
            *names("--event", "-e"),
            "event_include",
            multiple=True,
            metavar="PATTERN",
            help="Show only events named PATTERN: a name, or a glob such as "
            "'BLOCK_JOB_*' (repeatable).",
        ),
        click.option(
            *names("--exclude-event", "-x"),
            "event_exclude",
            multiple=True,
            metavar="PATTERN",
            help="Hide events named PATTERN (repeatable).",
        ),
        click.option(
            "--regex",
            "event_regex",
            is_flag=True,
            help="Take event name patterns as regular expressions (matching "
            "anywhere in the name).",
        ),
        click.option(
            *names("--no-case", "-i"),
            "event_no_case",
            is_flag=True,
            help="Match event names ignoring case.",
        ),
        click.option(
            *names("--match", "-m"),
            "event_match",
            multiple=True,
            metavar="FIELD=VALUE",
            help="Show only events whose data FIELD (a dotted path: device, "
            "data.device) is VALUE; FIELD!=VALUE and FIELD~=REGEX work too "
            "(repeatable).",
        ),
    ]


_SESSION_OPTIONS += [
    *event_filter_options(),
    click.option(
        "--events",
        "print_events",
        is_flag=True,
        help="In batch mode, also print each event that passes the filters as "
        "a JSON line, when it arrives.",
    ),
]


def session_options(func: F) -> F:
    for option in reversed(_SESSION_OPTIONS):
        func = option(func)
    return func


#: subcommands defined in their own modules, imported only when used:
#: name -> "module:attribute".  Add a row to add a subcommand.
LAZY_SUBCOMMANDS: dict[str, str] = {
    "qom": "qmpsh.qom_cli:qom_group",
    "events": "qmpsh.events_cli:events_command",
}


class AddressGroup(click.Group):
    """A group whose first word, when it is no subcommand, is the address.

    Subcommands listed in `LAZY_SUBCOMMANDS` are imported on first use, so
    ``qmpsh SOCK`` pays for none of them.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_SUBCOMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = LAZY_SUBCOMMANDS.get(cmd_name)
        if target is not None:
            import importlib

            module, _, attr = target.partition(":")
            command = getattr(importlib.import_module(module), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and args[0] not in LAZY_SUBCOMMANDS:
            return "open", self.commands["open"], args
        return super().resolve_command(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(
            ctx.command_path, "[OPTIONS] [ADDRESS]  |  qmpsh COMMAND [ARGS]..."
        )


def _merged(ctx: click.Context, opts: dict[str, Any]) -> dict[str, Any]:
    """This command's options over those given before the address."""
    parent = ctx.parent.params if ctx.parent is not None else {}
    out = dict(parent)
    for name, value in opts.items():
        if isinstance(value, tuple):
            out[name] = tuple(parent.get(name, ())) + value
        elif ctx.get_parameter_source(name) != ParameterSource.DEFAULT:
            out[name] = value
        else:
            out.setdefault(name, value)
    return out


def _event_filter(opts: dict[str, Any]) -> Any:
    from qmpsh.eventfilter import from_options

    try:
        return from_options(opts)
    except ValueError as err:
        raise click.UsageError(str(err)) from None


def _settings(opts: dict[str, Any], interactive: bool = False) -> Any:
    from qmpsh.settings import build_settings

    if opts.get("hmp") and opts.get("skip_negotiation"):
        raise click.UsageError(
            "-H (HMP mode) needs a QEMU monitor, and -N is for the guest agent: "
            "give one of them"
        )
    config = None
    if interactive:  # the config file is the shell's; scripts ignore it
        from qmpsh.config import shell_config

        config = shell_config()
    return build_settings(
        {
            "pretty": opts.get("pretty") or None,
            "verbose": opts.get("verbose") or None,
            "return_value": opts.get("return_value") or None,
            "keep_going": opts.get("keep_going") or None,
            "logfile": opts.get("logfile"),
            "negotiate": False if opts.get("skip_negotiation") else None,
            "hmp": opts.get("hmp") or None,
            "timeout": opts.get("timeout"),
            "connect_timeout": opts.get("connect_timeout"),
            "color": opts.get("color"),
            "max_inflight": opts.get("max_inflight"),
            "validate": opts.get("validate"),
            "event_filter": _event_filter(opts),
            "print_events": opts.get("print_events") or None,
            "read_limit": opts.get("read_limit"),
            "redact": False if opts.get("log_secrets") else None,
            "event_display": opts.get("event_display"),
            "event_pane_height": opts.get("event_pane_height"),
            "key_mode": "vi" if opts.get("vi") else None,
            "paging": False if opts.get("no_pager") else None,
            "retries": opts.get("retries"),
            "retry_delay": opts.get("retry_delay"),
        },
        config,
    )


def _inputs(opts: dict[str, Any]) -> Any:
    from qmpsh.session import Inputs

    commands = tuple(opts.get("commands") or ())
    files = tuple(opts.get("files") or ())
    interactive = (
        not commands and not files and sys.stdin.isatty() and sys.stdout.isatty()
    )
    startup: tuple[str, ...] = ()
    if opts.get("pass_fds") or opts.get("add_fds"):
        from qmpsh.fdpass import FdArgsError, cli_lines

        try:
            startup = tuple(
                cli_lines(
                    tuple(opts.get("pass_fds") or ()), tuple(opts.get("add_fds") or ())
                )
            )
        except FdArgsError as err:
            raise click.UsageError(str(err)) from None
    return Inputs(commands, files, interactive, startup=startup)


def _open(address_text: str | None, opts: dict[str, Any]) -> int:
    from qmpsh.address import AddressError, parse_address
    from qmpsh.session import Dial, run

    listen = opts.get("listen")
    if listen is not None:
        if address_text is not None:
            raise click.UsageError(
                f"give ADDRESS to connect to, or --listen ADDRESS to wait for QEMU, "
                f"not both ({address_text!r} and --listen {listen!r})"
            )
        return _listen(listen, opts)
    if address_text is None:
        address_text = os.environ.get("QMP_SOCKET") or None
    if address_text is None:
        raise click.UsageError("no address: give ADDRESS, or set QMP_SOCKET")
    try:
        address = parse_address(address_text)
    except AddressError as err:
        raise click.UsageError(str(err)) from None
    inputs = _inputs(opts)
    settings = _settings(opts, inputs.interactive)
    return run(settings, inputs, Dial(address, settings.connect_timeout))


def _listen(address_text: str, opts: dict[str, Any]) -> int:
    from qmpsh.address import AddressError, parse_address
    from qmpsh.listen import Listen
    from qmpsh.session import run

    try:
        address = parse_address(address_text)
    except AddressError as err:
        raise click.UsageError(f"--listen: {err}") from None
    inputs = _inputs(opts)
    settings = _settings(opts, inputs.interactive)
    target = Listen(address, opts.get("connect_timeout"), announce=sys.stderr.isatty())
    return run(settings, inputs, target)


@click.group(
    cls=AddressGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@session_options
@click.version_option(__version__, "-V", "--version", prog_name="qmpsh")
@click.pass_context
def cli(ctx: click.Context, /, **opts: Any) -> int:
    """A shell for the QEMU Monitor Protocol.

    ADDRESS is a unix socket path, HOST:PORT or [IPv6]:PORT; without it,
    $QMP_SOCKET is used.  On a terminal qmpsh opens an interactive shell;
    with -c, -f or piped input it runs the commands and prints one JSON
    reply per line.

    \b
    Exit codes: 0 ok, 1 error reply, 2 usage, 3 bad input line,
    4 cannot connect, 5 connection lost, 6 timeout, 7 QEMU launch
    failed, 130 interrupted.
    """
    if ctx.invoked_subcommand is None:
        return _open(None, opts)
    return 0


@cli.command("open", hidden=True)
@click.argument("address")
@session_options
@click.pass_context
def open_cmd(ctx: click.Context, /, address: str, **opts: Any) -> int:
    """Connect to ADDRESS."""
    return _open(address, _merged(ctx, opts))


@cli.command(
    "wrap",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@session_options
@click.argument(
    "qemu_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- QEMU ARGS...]"
)
@click.pass_context
def wrap_cmd(ctx: click.Context, /, qemu_args: Sequence[str], **opts: Any) -> int:
    """Start QEMU, connect to it, and stop it when done.

    Without QEMU ARGS, runs qemu-system-x86_64 -M none -nodefaults -display
    none.  ARGS that start with an option are added to that command line (a
    later -M wins); otherwise they are the whole command, program first.
    qmpsh adds the -qmp option.
    """
    from qmpsh.launch import Qemu, qemu_command
    from qmpsh.session import run

    opts = _merged(ctx, opts)
    if opts.get("listen") is not None:
        raise click.UsageError("wrap makes its own socket: --listen does not apply")
    inputs = _inputs(opts)
    settings = _settings(opts, inputs.interactive)
    target = Qemu(qemu_command(list(qemu_args)), timeout=settings.connect_timeout * 3)
    return run(settings, inputs, target)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the command line, exit with its status."""
    try:
        code = cli.main(args=argv, prog_name="qmpsh", standalone_mode=False)
    except click.exceptions.Exit as done:
        code = done.exit_code
    except click.UsageError as err:
        hint = ""
        if err.ctx is not None and "--help" not in err.format_message():
            path = err.ctx.command_path.replace(" open", "")
            hint = f" (see {path} --help)"
        sys.stderr.write(f"qmpsh: {err.format_message()}{hint}\n")
        code = Exit.USAGE
    except click.ClickException as err:
        sys.stderr.write(f"qmpsh: {err.format_message()}\n")
        code = err.exit_code
    except click.Abort:
        sys.stderr.write("qmpsh: interrupted\n")
        code = Exit.INTERRUPTED
    except KeyboardInterrupt:
        sys.stderr.write("qmpsh: interrupted\n")
        code = Exit.INTERRUPTED
    sys.exit(int(code or 0))
