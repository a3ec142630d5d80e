"""The ``qmpsh`` command: the fast path for plain command lines, else click.

Kept free of click: ``qmpsh -c query-status SOCK`` (options and an address,
nothing else) is read by `qmpsh.options.fast_parse` and runs without ever
importing click.  Everything else (help, subcommands, mistakes) goes to the
click command line in `qmpsh.cli`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from qmpsh.exitcodes import Exit


def usage_error(message: str) -> int:
    sys.stderr.write(f"qmpsh: {message} (see qmpsh --help)\n")
    return int(Exit.USAGE)


def main(argv: Sequence[str] | None = None) -> None:
    from qmpsh.options import UsageError, fast_parse

    args = list(sys.argv[1:] if argv is None else argv)
    parsed = fast_parse(args)
    if parsed is None:
        from qmpsh.cli import main as click_main

        click_main(args)
        return
    from qmpsh import invoke

    try:
        code = invoke.open_session(*parsed)
    except UsageError as err:
        code = usage_error(str(err))
    except KeyboardInterrupt:
        sys.stderr.write("qmpsh: interrupted\n")
        code = Exit.INTERRUPTED
    sys.exit(int(code or 0))
