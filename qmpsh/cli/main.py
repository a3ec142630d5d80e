"""The ``qmpsh`` command: the fast path for plain command lines, else click.

Kept free of click: ``qmpsh -c query-status SOCK`` (options and an address,
nothing else) is read by `qmpsh.cli.options.fast_parse` and runs without ever
importing click.  Everything else (help, subcommands, mistakes) goes to the
click command line in `qmpsh.cli.command`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from qmpsh.core.exitcodes import Exit


def usage_error(message: str) -> int:
    sys.stderr.write(f"qmpsh: {message} (see qmpsh --help)\n")
    return int(Exit.USAGE)


def interrupted() -> int:
    """Ctrl-C: ``qmpsh: interrupted`` and 130, the same for every command
    (and no blank line before it: what draws on the terminal, such as
    wait-job's progress bar, clears its line for it)."""
    sys.stderr.write("qmpsh: interrupted\n")
    sys.stderr.flush()
    return int(Exit.INTERRUPTED)


def main(argv: Sequence[str] | None = None) -> None:
    from qmpsh.cli.options import UsageError, fast_parse

    args = list(sys.argv[1:] if argv is None else argv)
    parsed = fast_parse(args)
    if parsed is None:
        from qmpsh.cli.command import main as click_main

        click_main(args)
        return
    from qmpsh.cli import invoke

    try:
        code = invoke.open_session(*parsed)
    except UsageError as err:
        code = usage_error(str(err))
    except KeyboardInterrupt:
        code = interrupted()
    sys.exit(int(code or 0))
