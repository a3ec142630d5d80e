"""The ``qmpsh`` command: the fast path for plain command lines, else click.

Kept free of click: ``qmpsh -c query-status SOCK`` (options and an address,
nothing else) is read by `qmpsh.cli.options.fast_parse` and runs without ever
importing click.  Everything else (help, subcommands, mistakes) goes to the
click command line in `qmpsh.cli.command`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from qmpsh.cli.problems import interrupted, usage_error


def main(argv: Sequence[str] | None = None) -> None:
    from qmpsh.cli.options import UsageError, fast_parse

    args = list(sys.argv[1:] if argv is None else argv)
    parsed = fast_parse(args)
    if parsed is None:
        from qmpsh.cli.command import main as click_main

        click_main(args)
        return
    from qmpsh.cli import invoke, lifetime

    program = argv is None  # not a caller's process: qmpsh.cli.lifetime
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
