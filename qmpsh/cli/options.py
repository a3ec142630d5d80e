"""The session options, declared once: click builds them, and so does a fast path.

``qmpsh -c query-status SOCK`` must start no slower than qmp-shell, and
importing click alone costs about as much as all of qmp-shell's own imports.
So the options live in this click-free table: `click_options` turns it into
click options for the full command line (help, subcommands, errors, shell
completion), and `fast_parse` reads the plain shapes (options and one
address) from the same table without importing click.  Anything the fast
path does not fully understand (help, a subcommand, an unknown option, a
value that does not convert) makes it step aside, so every error message
still comes from click.  `tests/unit/test_options.py` checks that both
readings agree.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple


class UsageError(Exception):
    """Options that do not go together; exit code 2 with one line."""


class Num(NamedTuple):
    """A number option: int or float, with bounds."""

    cast: type
    min: float | None = None
    min_open: bool = False
    max: float | None = None

    def convert(self, text: str) -> Any:
        value = self.cast(text)
        if not math.isfinite(value):  # nan and inf: no number of anything
            raise ValueError(text)
        if self.min is not None and (
            value < self.min or (self.min_open and value == self.min)
        ):
            raise ValueError(text)
        if self.max is not None and value > self.max:
            raise ValueError(text)
        return value


class Choice(NamedTuple):
    choices: tuple[str, ...]

    def convert(self, text: str) -> str:
        if text not in self.choices:
            raise ValueError(text)
        return text


class Path(NamedTuple):
    """A file name (not a directory)."""

    def convert(self, text: str) -> str:
        if os.path.isdir(text):
            raise ValueError(text)
        return text


class Opt(NamedTuple):
    dest: str
    flags: tuple[str, ...]
    help: str
    #: "flag", "value", "multi" (repeatable value) or "bool" (--x/--no-x)
    kind: str = "flag"
    metavar: str = ""
    type: Num | Choice | Path | None = None
    #: for kind "bool": the negative flag
    negative: str = ""
    #: short letters used only where asked for (``qmpsh events``)
    short: str = ""


FLOAT_POSITIVE = Num(float, 0, min_open=True)

SESSION: tuple[Opt, ...] = (
    Opt("commands", ("-c", "--command"), "Run CMD and exit (repeatable; lines of one CMD run in turn; -c and -f run in the order given).", "multi", "CMD"),
    Opt("files", ("-f", "--file"), "Run the commands in FILE (- reads stdin) and exit (repeatable).", "multi", "FILE", Path()),
    Opt("pretty", ("-p", "--pretty"), "Indent JSON output."),
    Opt("verbose", ("-v", "--verbose"), "Echo each request before its reply."),
    Opt("return_value", ("-r", "--return-value"), 'Print only the "return" value of each reply.'),
    Opt("keep_going", ("-k", "--keep-going"), "In batch mode, go on after an error instead of stopping."),
    Opt("logfile", ("-l", "--logfile"), "Append every QMP message, both ways, to FILE as JSON lines.", "value", "FILE", Path()),
    Opt("skip_negotiation", ("-N", "--skip-negotiation"), "Expect no greeting and negotiate nothing (for qemu-ga)."),
    Opt("hmp", ("-H", "--hmp"), "HMP mode: every line is a human monitor command, sent through human-monitor-command, and its text output is printed as it is."),
    Opt("listen", ("--listen",), "Accept mode: listen on ADDRESS and wait for QEMU to connect (QEMU started with -qmp unix:PATH, without server=on), instead of connecting.", "value", "ADDRESS"),
    Opt("pass_fds", ("--pass-fd",), "After connecting, open FILE (read-only; fd:N passes descriptor N as it is) and hand it to QEMU with getfd fdname=NAME (repeatable).", "multi", "NAME=FILE"),
    Opt("add_fds", ("--add-fd",), "After connecting, open FILE and hand it to QEMU with add-fd, into fd set ID or a new one (repeatable).", "multi", "[ID=]FILE"),
    Opt("timeout", ("--timeout",), "Give up on a reply after SECONDS (default: wait forever).", "value", "SECONDS", FLOAT_POSITIVE),
    Opt("connect_timeout", ("--connect-timeout",), "Give up connecting, or waiting for the greeting, after SECONDS (default: 10).", "value", "SECONDS", FLOAT_POSITIVE),
    Opt("color", ("--color",), "Colour output: auto (on a terminal, unless NO_COLOR is set), always or never.", "value", "", Choice(("auto", "always", "never"))),
    Opt("validate", ("--validate",), "Check each request against the server's schema before sending it (default: in the interactive shell only; in batch mode this fetches the schema first).  A line starting with ! is never checked.", "bool", negative="--no-validate"),
    Opt("read_limit", ("--read-limit",), "Refuse a message from the server longer than BYTES, which ends the session (default: 10485760, 10 MiB).", "value", "BYTES", Num(int, 1024)),
    Opt("log_secrets", ("--log-secrets",), "Write passwords and secret data to the wire log and the history as typed (by default they are replaced with <redacted>)."),
    Opt("event_display", ("--show-events",), "In the shell, show live events in a pane under the input (default), inline above the prompt, or not at all (F4 switches).", "value", "", Choice(("pane", "inline", "off"))),
    Opt("event_pane_height", ("--pane-height",), "Lines of the event pane (default: 5; Alt-Up/Alt-Down resize it).", "value", "LINES", Num(int, 1, max=100)),
    Opt("vi", ("--vi",), "Use vi editing keys instead of emacs (F5 switches)."),
    Opt("no_pager", ("--no-pager",), "Print long output straight to the terminal instead of paging it."),
    Opt("retries", ("--retries",), "After the connection is lost, try N times to reconnect (default: 5).", "value", "N", Num(int, 0)),
    Opt("retry_delay", ("--retry-delay",), "Wait SECONDS before the first reconnection attempt, twice as long before each next one, up to 30 (default: 2).", "value", "SECONDS", Num(float, 0)),
    Opt("max_inflight", ("--max-inflight",), "Send up to N read-only requests ahead of their replies in batch mode (default: 64; 1 turns pipelining off).", "value", "N", Num(int, 1)),
)  # fmt: skip

EVENT_FILTER: tuple[Opt, ...] = (
    Opt("event_include", ("--event",), "Show only events named PATTERN: a name, or a glob such as 'BLOCK_JOB_*' (repeatable).", "multi", "PATTERN", short="-e"),
    Opt("event_exclude", ("--exclude-event",), "Hide events named PATTERN (repeatable).", "multi", "PATTERN", short="-x"),
    Opt("event_regex", ("--regex",), "Take event name patterns as regular expressions (matching anywhere in the name)."),
    Opt("event_no_case", ("--no-case",), "Match event names ignoring case.", short="-i"),
    Opt("event_match", ("--match",), "Show only events whose data FIELD (a dotted path: device, data.device) is VALUE; FIELD!=VALUE and FIELD~=REGEX work too (repeatable).", "multi", "FIELD=VALUE", short="-m"),
)  # fmt: skip

PRINT_EVENTS = Opt(
    "print_events",
    ("--events",),
    "In batch mode, also print each event that passes the filters as a JSON "
    "line, when it arrives.",
)

#: every option of ``qmpsh [OPTIONS] [ADDRESS]`` and ``qmpsh wrap``
ALL: tuple[Opt, ...] = (*SESSION, *EVENT_FILTER, PRINT_EVENTS)

#: first words that are subcommands, not addresses (``./wrap`` for a file)
SUBCOMMANDS = ("open", "wrap", "qom", "events")

#: options whose uses run in command-line order (-c and -f interleave):
#: both readings add ``input_order``, the dest of each use in turn
ORDERED = ("commands", "files")


def defaults(options: Sequence[Opt] = ALL) -> dict[str, Any]:
    """What click gives for options that were not used."""
    out: dict[str, Any] = {}
    for opt in options:
        out[opt.dest] = {"flag": False, "multi": (), "value": None, "bool": None}[
            opt.kind
        ]
    return out


def fast_parse(argv: Sequence[str]) -> tuple[str | None, dict[str, Any]] | None:
    """(address, options) for plain command lines; None to let click decide."""
    if "_QMPSH_COMPLETE" in os.environ:
        return None
    by_flag: dict[str, Opt] = {}
    for each in ALL:
        for flag in each.flags:
            by_flag[flag] = each
        if each.negative:
            by_flag[each.negative] = each
    opts = defaults()
    opts["input_order"] = ()
    address: str | None = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg.startswith("--"):
            name, eq, attached = arg.partition("=")
            opt = by_flag.get(name)
            if opt is None:
                return None
            if opt.kind in ("flag", "bool"):
                if eq:
                    return None
                opts[opt.dest] = name != opt.negative
                continue
            if not eq:
                if i >= len(argv):
                    return None
                attached, i = argv[i], i + 1
            if not _store(opts, opt, attached):
                return None
        elif arg.startswith("-") and arg != "-":
            j = 1
            while j < len(arg):
                opt = by_flag.get("-" + arg[j])
                if opt is None:
                    return None
                j += 1
                if opt.kind == "flag":
                    opts[opt.dest] = True
                    continue
                value = arg[j:]
                if not value:
                    if i >= len(argv):
                        return None
                    value, i = argv[i], i + 1
                if not _store(opts, opt, value):
                    return None
                break
        else:
            if address is not None or arg in SUBCOMMANDS:
                return None
            address = arg
    return address, opts


def _store(opts: dict[str, Any], opt: Opt, text: str) -> bool:
    try:
        value = opt.type.convert(text) if opt.type is not None else text
    except ValueError:
        return False
    if opt.kind == "multi":
        opts[opt.dest] = (*opts[opt.dest], value)
        if opt.dest in ORDERED:
            opts["input_order"] = (*opts["input_order"], opt.dest)
    else:
        opts[opt.dest] = value
    return True


def click_options(
    options: Sequence[Opt], short: bool = False
) -> list[Callable[[Any], Any]]:
    """The table as click option decorators (imports click)."""
    import click

    out: list[Callable[[Any], Any]] = []
    for opt in options:
        flags = (opt.short, *opt.flags) if short and opt.short else opt.flags
        kwargs: dict[str, Any] = {"help": opt.help}
        if opt.metavar:
            kwargs["metavar"] = opt.metavar
        if opt.type is not None:
            kwargs["type"] = _click_type(opt.type)
        if opt.kind == "flag":
            kwargs["is_flag"] = True
        elif opt.kind == "multi":
            kwargs["multiple"] = True
        elif opt.kind == "bool":
            flags = (f"{flags[0]}/{opt.negative}",)
            kwargs["default"] = None
        out.append(click.option(*flags, opt.dest, **kwargs))
    return out


def _click_type(kind: Num | Choice | Path) -> Any:
    import click

    if isinstance(kind, Choice):
        return click.Choice(list(kind.choices))
    if isinstance(kind, Path):
        return click.Path(dir_okay=False)
    if kind.cast is int:
        lo = None if kind.min is None else int(kind.min)
        hi = None if kind.max is None else int(kind.max)
        return click.IntRange(min=lo, max=hi, min_open=kind.min_open)
    return finite_range(kind.min, kind.max, kind.min_open)


def finite_range(
    min: float | None = None, max: float | None = None, min_open: bool = False
) -> Any:
    """click's FloatRange, refusing ``nan`` and ``inf`` (which it lets through:
    a timeout of nan seconds would time out at once)."""
    return _finite_range_type()(min=min, max=max, min_open=min_open)


@functools.cache
def _finite_range_type() -> Any:
    import click

    class FiniteFloatRange(click.FloatRange):
        def convert(
            self, value: Any, param: click.Parameter | None, ctx: click.Context | None
        ) -> Any:
            number = super().convert(value, param, ctx)
            if not math.isfinite(number):
                wanted = f" in the range {self._describe_range()}"
                if self.min is None and self.max is None:
                    wanted = ""
                self.fail(f"{value!r} is not a finite number{wanted}.", param, ctx)
            return number

    return FiniteFloatRange
