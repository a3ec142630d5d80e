"""The command-line options, declared once: click builds them, and so does a fast path.

Most options are settings' and come from their declarations
(qmpsh.core.settings: flags, help, limits); the few others (the input,
where to connect, the event filter) are declared here.  ``qmpsh -c
query-status SOCK`` must start no slower than qmp-shell, and importing
click alone costs about as much as all of qmp-shell's own imports.  So the
options live in this click-free table: `click_options` turns it into click
options for the full command line (help, subcommands, errors, shell
completion), and `fast_parse` reads the plain shapes (options and one
address) from the same table without importing click.  Anything the fast
path does not fully understand (help, a subcommand, an unknown option, a
value that does not convert or breaks a limit) makes it step aside, so
every error message still comes from click.  `setting_values` says what the
options given set.  `tests/unit/cli/test_options.py` checks that both
readings agree.
"""

# (no ``from __future__ import annotations``: NamedTuple compiles each field
# type given as text, at every start-up)

import functools
import math
import os
from collections.abc import Callable, Collection, Sequence
from typing import Any, NamedTuple

from qmpsh.core.setting import Setting
from qmpsh.core.settings import SETTINGS


class UsageError(Exception):
    """Options that do not go together; exit code 2 with one line."""


class Opt(NamedTuple):
    dest: str
    flags: tuple[str, ...]
    help: str
    #: "flag", "value", "multi" (repeatable value) or "bool" (--x/--no-x)
    kind: str = "flag"
    metavar: str = ""
    #: for kind "bool": the negative flag
    negative: str = ""
    #: short letters used only where asked for (``qmpsh events``)
    short: str = ""
    #: the setting it sets, whose type and limits its value takes
    setting: Setting | None = None
    #: a file name (not a directory), for an option that is no setting's
    file: bool = False

    def convert(self, text: str) -> Any:
        """The value of *text*; ValueError when it does not do."""
        if self.setting is not None:
            return self.setting.from_text(text)
        if self.file and os.path.isdir(text):
            raise ValueError(text)
        return text


def setting_option(s: Setting) -> Opt:
    """The option of the setting *s* (which has flags).

    Its dest is the setting's name, but for a flag that does not turn the
    setting on: that one's is its own name (``-N``, ``--skip-negotiation``:
    ``skip_negotiation``), so the options read as given.
    """
    if s.negative:
        kind = "bool"
    elif s.takes_value():
        kind = "multi" if s.kind is tuple else "value"
    else:
        kind = "flag"
    dest = s.name
    if kind == "flag" and s.flag_value() is not True:
        dest = s.flags[-1].lstrip("-").replace("-", "_")
    return Opt(dest, s.flags, s.help_text(), kind, s.metavar, s.negative, setting=s)


INPUTS: tuple[Opt, ...] = (
    Opt("commands", ("-c", "--command"), "Run CMD and exit (repeatable; lines of one CMD run in turn; -c and -f run in the order given).", "multi", "CMD"),
    Opt("files", ("-f", "--file"), "Run the commands in FILE (- reads stdin) and exit (repeatable).", "multi", "FILE", file=True),
)  # fmt: skip

TARGET: tuple[Opt, ...] = (
    Opt("listen", ("--listen",), "Accept mode: listen on ADDRESS and wait for QEMU to connect (QEMU started with -qmp unix:PATH, without server=on), instead of connecting.", "value", "ADDRESS"),
    Opt("pass_fds", ("--pass-fd",), "After connecting, open FILE (read-only; fd:N passes descriptor N as it is) and hand it to QEMU with getfd fdname=NAME (repeatable).", "multi", "NAME=FILE"),
    Opt("add_fds", ("--add-fd",), "After connecting, open FILE and hand it to QEMU with add-fd, into fd set ID or a new one (repeatable).", "multi", "[ID=]FILE"),
)  # fmt: skip

EVENT_FILTER: tuple[Opt, ...] = (
    Opt("event_include", ("--event",), "Show only events named PATTERN: a name, or a glob such as 'BLOCK_JOB_*' (repeatable).", "multi", "PATTERN", short="-e"),
    Opt("event_exclude", ("--exclude-event",), "Hide events named PATTERN (repeatable).", "multi", "PATTERN", short="-x"),
    Opt("event_regex", ("--regex",), "Take event name patterns as regular expressions (matching anywhere in the name)."),
    Opt("event_no_case", ("--no-case",), "Match event names ignoring case.", short="-i"),
    Opt("event_match", ("--match",), "Show only events whose data FIELD (a dotted path: device, data.device) is VALUE; FIELD!=VALUE and FIELD~=REGEX work too (repeatable).", "multi", "FIELD=VALUE", short="-m"),
)  # fmt: skip

#: where the options that are no setting's go among the settings' (which
#: come in the order of their declarations): before the option of the
#: setting named
_PLACES: dict[str, tuple[Opt, ...]] = {"timeout": TARGET, "print_events": EVENT_FILTER}


def _all() -> tuple[Opt, ...]:
    out = list(INPUTS)
    placed = set()
    for s in SETTINGS:
        if s.flags:
            out += _PLACES.get(s.name, ())
            placed.add(s.name)
            out.append(setting_option(s))
    for name, group in _PLACES.items():
        if name not in placed:  # at the end, rather than lost
            out += group
    return tuple(out)


#: every option of ``qmpsh [OPTIONS] [ADDRESS]`` and ``qmpsh wrap``
ALL: tuple[Opt, ...] = _all()

#: first words that are subcommands, not addresses (``./wrap`` for a file)
SUBCOMMANDS = ("open", "wrap", "qom", "events", "ls", "proxy")

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


def setting_values(
    opts: dict[str, Any], only: Collection[str] | None = None
) -> dict[str, Any]:
    """The settings the options in *opts* (either reading's) set: for
    `qmpsh.core.settings.build_settings`.  *only* names the settings wanted
    (those of a subcommand's options); all by default."""
    out: dict[str, Any] = {}
    for opt in ALL:
        s = opt.setting
        if s is None or (only is not None and s.name not in only):
            continue
        value = opts.get(opt.dest)
        if value is None or (opt.kind in ("flag", "multi") and not value):
            continue
        out[s.name] = s.flag_value() if opt.kind == "flag" else value
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
        value = opt.convert(text)
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
        if opt.kind == "flag":
            kwargs["is_flag"] = True
        elif opt.kind == "bool":
            flags = (f"{flags[0]}/{opt.negative}",)
            kwargs["default"] = None
        else:
            if opt.kind == "multi":
                kwargs["multiple"] = True
            kind = click_type(opt.setting) if opt.setting else None
            if opt.file:
                kind = click.Path(dir_okay=False)
            if kind is not None:
                kwargs["type"] = kind
        out.append(click.option(*flags, opt.dest, **kwargs))
    return out


def click_type(s: Setting) -> Any:
    """The click type of the setting *s*'s value, with its limits (imports
    click); None for plain text."""
    import click

    if s.choices:
        return click.Choice(list(s.choices))
    if s.file:
        return click.Path(dir_okay=False)
    if s.kind is int:
        lo = None if s.min is None else int(s.min)
        hi = None if s.max is None else int(s.max)
        return click.IntRange(min=lo, max=hi, min_open=s.min_open)
    if s.kind is float:
        return finite_range(s.min, s.max, s.min_open)
    return None


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
            # finite first: inf is no number of seconds, whatever the range
            number = click.FLOAT.convert(value, param, ctx)
            if not math.isfinite(number):
                wanted = f" in the range {self._describe_range()}"
                if self.min is None and self.max is None:
                    wanted = ""
                self.fail(f"{value!r} is not a finite number{wanted}.", param, ctx)
            return super().convert(number, param, ctx)

    return FiniteFloatRange
