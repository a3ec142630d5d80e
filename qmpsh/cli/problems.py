"""How the command line ends in trouble: one line on stderr and an exit code.

Every subcommand says a usage mistake, a Ctrl-C and a failure the same way,
through these three functions, so that scripts see one form of message.
"""

from __future__ import annotations

from qmpsh.core.exitcodes import Exit
from qmpsh.core.output import say


def usage_error(message: str) -> int:
    """A mistake on the command line: the message, a pointer to --help, 2."""
    say(f"{message} (see qmpsh --help)")
    return int(Exit.USAGE)


def interrupted() -> int:
    """Ctrl-C: ``qmpsh: interrupted`` and 130, the same for every command
    (and no blank line before it: what draws on the terminal, such as
    wait-job's progress bar, clears its line for it)."""
    say("interrupted")
    return int(Exit.INTERRUPTED)


def fail(message: str, code: int) -> int:
    """Say *message* on stderr (one line, after what stdout holds); *code*."""
    from qmpsh.core.output import settle

    settle()
    say(message)
    return int(code)
