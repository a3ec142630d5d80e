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
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from click.core import ParameterSource

from qmpsh import __version__
from qmpsh.cli import invoke
from qmpsh.cli.addrcomplete import complete_address
from qmpsh.cli.options import ALL, EVENT_FILTER, ORDERED, UsageError, click_options
from qmpsh.cli.problems import interrupted, usage_error
from qmpsh.core.exitcodes import Exit
from qmpsh.core.output import flush, output_failed, say, write

if TYPE_CHECKING:
    from qmpsh.core.eventfilter import EventFilter

F = TypeVar("F", bound=Callable[..., Any])


def event_filter_options(short: bool = False) -> list[Callable[[Any], Any]]:
    """The event filter options (see qmpsh.core.eventfilter); *short* adds -e -x -i -m."""
    return click_options(EVENT_FILTER, short)


def session_options(func: F) -> F:
    for option in reversed(click_options(ALL)):
        func = option(func)
    return func


def _emit(ctx: click.Context, text: str) -> NoReturn:
    """Print *text* (help, the version, a completion script) and exit: 0, or
    as `qmpsh.core.output` says when stdout cannot be written (never a traceback)."""
    try:
        write(text)
        flush()
    except OSError as err:
        ctx.exit(output_failed(err))
    ctx.exit(0)


def _print_completion(ctx: click.Context, param: Any, shell: str | None) -> None:
    if shell is None or ctx.resilient_parsing:
        return
    from qmpsh.cli.shellcomplete import script

    _emit(ctx, script(cli, shell))


def _print_version(ctx: click.Context, param: Any, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        _emit(ctx, f"qmpsh, version {__version__}\n")


def _print_help(ctx: click.Context, param: Any, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        _emit(ctx, ctx.get_help() + "\n")


def _own_help(option: click.Option | None) -> click.Option | None:
    """click's --help option, printing through `_emit`."""
    if option is not None:
        option.callback = _print_help
    return option


class QmpshCommand(click.Command):
    """A subcommand whose --help goes through `_emit`."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _own_help(super().get_help_option(ctx))


class QmpshGroup(click.Group):
    """A group whose --help, and its commands', go through `_emit`."""

    command_class = QmpshCommand

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _own_help(super().get_help_option(ctx))


def input_order(
    command: click.Command, ctx: click.Context, args: list[str]
) -> tuple[str, ...]:
    """The dest of each use of -c and -f in *args*, in turn (see
    `qmpsh.cli.options.ORDERED`): click gathers each option's values apart, and
    only its parser sees how they interleave."""
    try:
        _, _, used = command.make_parser(ctx).parse_args(args=list(args))
    except click.UsageError:
        return ()  # the real reading reports it
    return tuple(str(p.name) for p in used if p.name in ORDERED)


class OrderedCommand(QmpshCommand):
    """A command whose ``input_order`` parameter says how -c and -f interleave."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        order = input_order(self, ctx, args)
        rest = super().parse_args(ctx, args)
        ctx.params["input_order"] = order
        return rest


#: subcommands defined in their own modules, imported only when used:
#: name -> "module:attribute".  Add a row to add a subcommand.
LAZY_SUBCOMMANDS: dict[str, str] = {
    "qom": "qmpsh.cli.qom:qom_group",
    "events": "qmpsh.cli.events:events_command",
    "ls": "qmpsh.cli.ls:ls_command",
    "proxy": "qmpsh.cli.proxy:proxy_command",
}


class AddressGroup(QmpshGroup):
    """A group whose first word, when it is no subcommand, is the address.

    Subcommands listed in `LAZY_SUBCOMMANDS` are imported on first use, so
    ``qmpsh SOCK`` pays for none of them.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_SUBCOMMANDS})

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        order = input_order(self, ctx, args)  # of the options before ADDRESS
        rest = super().parse_args(ctx, args)
        ctx.params["input_order"] = order
        return rest

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

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[Any]:
        """The first word: a subcommand or an address (qmpsh.cli.addrcomplete)."""
        found = super().shell_complete(ctx, incomplete)
        if not incomplete.startswith("-"):
            found += complete_address(ctx, None, incomplete)
        return found

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(
            ctx.command_path, "[OPTIONS] [ADDRESS]...  |  qmpsh COMMAND [ARGS]..."
        )


def merged_options(ctx: click.Context, opts: dict[str, Any]) -> dict[str, Any]:
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


def click_event_filter(opts: dict[str, Any]) -> EventFilter | None:
    """`invoke.event_filter`, its mistakes as click's usage errors (for the
    subcommands, whose hint then names their own --help)."""
    try:
        return invoke.event_filter(opts)
    except UsageError as err:
        raise click.UsageError(str(err)) from None


@click.group(
    cls=AddressGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@session_options
@click.option(
    "-V",
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
@click.option(
    "--completion",
    type=click.Choice(["bash", "zsh", "fish"]),
    expose_value=False,
    is_eager=True,
    callback=_print_completion,
    help="Print the completion script for bash, zsh or fish and exit (the README says where it goes).",
)
@click.pass_context
def cli(ctx: click.Context, /, **opts: Any) -> int:
    """A shell for the QEMU Monitor Protocol.

    ADDRESS is a unix socket path, HOST:PORT, [IPv6]:PORT or the name of
    a target in the config file; without it, $QMP_SOCKET is used.  Several
    ADDRESS words, a glob ('/run/vms/*.sock') or a group of the config
    file run the same commands on every target, --parallel at a time, each
    reply tagged with "target".  qmpsh
    ls lists what can be reached from here.  On a terminal qmpsh opens an interactive shell;
    with -c, -f or piped input it runs the commands and prints one JSON
    reply per line.

    A command is NAME ARG=VALUE... (qom-get path=/machine property=type):
    dotted names nest (file.driver=file), {...} and [...] values are JSON
    or Python literals, a line starting with { is sent as raw JSON, and
    transaction( ... ) groups actions.  In the shell, Tab completes from
    the server's schema and "help CMD" explains a command.

    \b
    Exit codes: 0 ok, 1 error reply, 2 usage, 3 bad input line,
    4 cannot connect, 5 connection lost, 6 timeout, 7 QEMU launch
    failed, 129 hung up (SIGHUP), 130 interrupted, 143 terminated
    (SIGTERM).
    """
    if ctx.invoked_subcommand is None:
        return invoke.open_session(None, opts)
    return 0


@cli.command("open", cls=OrderedCommand, hidden=True)
@click.argument(
    "address",
    nargs=-1,
    required=True,
    metavar="ADDRESS...",
    shell_complete=complete_address,
)
@session_options
@click.pass_context
def open_cmd(ctx: click.Context, /, address: tuple[str, ...], **opts: Any) -> int:
    """Connect to ADDRESS (several: one shell, or the same commands on each).

    On a terminal, several targets open one shell on all of them; in batch
    mode each runs the same commands (qmpsh.cli.fanout).
    """
    return invoke.open_many(address, merged_options(ctx, opts))


@cli.command(
    "wrap",
    cls=OrderedCommand,
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
    qmpsh adds the -qmp option.  Ctrl-D, the end of the input, SIGTERM and
    SIGHUP all stop QEMU with SIGTERM (SIGKILL 5 s later) and remove its
    socket's directory.
    """
    return invoke.wrap_session(qemu_args, merged_options(ctx, opts))


def main(argv: Sequence[str] | None = None) -> None:
    """Run the full command line with click; exit with its status."""
    if "_QMPSH_COMPLETE" in os.environ:  # shell completion: our scripts' way
        from qmpsh.cli.shellcomplete import register

        register()
    try:
        code = cli.main(args=argv, prog_name="qmpsh", standalone_mode=False)
    except click.exceptions.Exit as done:
        code = done.exit_code
    except UsageError as err:
        code = usage_error(str(err))
    except click.UsageError as err:
        hint = ""
        if err.ctx is not None and "--help" not in err.format_message():
            path = err.ctx.command_path.replace(" open", "")
            hint = f" (see {path} --help)"
        say(f"{err.format_message()}{hint}")
        code = Exit.USAGE
    except click.ClickException as err:
        say(err.format_message())
        code = err.exit_code
    except (click.Abort, KeyboardInterrupt):
        # (click has printed a blank line before its Abort: the subcommands
        # that wait catch Ctrl-C themselves, for the same line as batch mode)
        code = interrupted()
    sys.exit(int(code or 0))
