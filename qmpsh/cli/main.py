"""The ``qmpsh`` command: the fast path for plain command lines, else click.

Kept free of click: ``qmpsh -c query-status SOCK`` (options and an address,
nothing else) is read by `qmpsh.cli.options.fast_parse` and runs without ever
importing click.  Everything else (help, subcommands, mistakes) goes to the
click command line in `qmpsh.cli.command`.

Two ways in: `program` is the ``qmpsh`` program itself (its console script,
``python -m qmpsh``), started and ended as `qmpsh.cli.lifetime` says;
`main` runs the same command line inside a caller's process, and ends it
the ordinary way (`SystemExit`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from qmpsh.cli.problems import interrupted, usage_error


def main(argv: Sequence[str] | None = None) -> None:
    """Run qmpsh's command line on *argv* (by default ``sys.argv[1:]``)
    and exit with its status (`SystemExit`)."""
    _command_line(list(sys.argv[1:] if argv is None else argv), program=False)


def program() -> None:
    """The ``qmpsh`` program: its command line, and the process left
    without Python's teardown once it is done (`qmpsh.cli.lifetime`)."""
    _command_line(sys.argv[1:], program=True)


def _command_line(args: list[str], program: bool) -> None:
    from qmpsh.cli.options import UsageError, fast_parse

    parsed = fast_parse(args)
    if parsed is None:
        from qmpsh.cli.command import main as click_main

        click_main(args)
        return
    from qmpsh.cli import invoke, lifetime

    if program:
        lifetime.start()
    try:
        code = invoke.open_session(*parsed)
    except UsageError as err:
        code = usage_error(str(err))
    except KeyboardInterrupt:
        code = interrupted()
    if program:
        lifetime.end(int(code or 0))
    sys.exit(int(code or 0))
