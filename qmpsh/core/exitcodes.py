"""Exit codes of the ``qmpsh`` command, one place for all of them.

The README's "Exit codes" table is written from this module; keep them in step.
"""

from collections.abc import Iterable
from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    #: QEMU answered a command with an error reply (or the output could not
    #: be written: qmpsh.core.output).
    COMMAND_ERROR = 1
    #: Bad command-line options or arguments (click's own convention: a
    #: name that is no target nor file, a named target with a mistake), or
    #: a file that cannot be opened (-f, -l, --pass-fd/--add-fd, getfd/add-fd).
    USAGE = 2
    #: A line of input could not be parsed (or was refused before sending).
    PARSE_ERROR = 3
    #: Could not connect: bad address, missing socket, refused, no greeting.
    CONNECT_ERROR = 4
    #: The connection was lost in the middle of the session.
    CONNECTION_LOST = 5
    #: A reply or an awaited event did not arrive in time.
    TIMEOUT = 6
    #: ``qmpsh wrap`` could not start QEMU, or QEMU exited early.
    LAUNCH_ERROR = 7
    #: Hung up on (SIGHUP: the terminal closed), as shells report it.
    HANGUP = 129
    #: Interrupted by Ctrl-C (SIGINT), as shells report it.
    INTERRUPTED = 130
    #: Terminated (SIGTERM), as shells report it.
    TERMINATED = 143


#: Several targets at once (fan-out): the exit code is the worst of the
#: targets', in this order, worst first.  Signals end the whole run.  Then
#: what kept a target from being worked on: its session lost midway (a
#: change may have been half made: its state is unknown), no connection
#: (nothing ran there), no reply in time; then what was asked: bad
#: options for a target (a log file that cannot be opened), a line that
#: was refused, an error reply.  A script that sees 5, 4 or 6 knows that
#: some VM needs looking at before the commands' own outcome means much.
SEVERITY: tuple[Exit, ...] = (
    Exit.TERMINATED,
    Exit.HANGUP,
    Exit.INTERRUPTED,
    Exit.CONNECTION_LOST,
    Exit.CONNECT_ERROR,
    Exit.LAUNCH_ERROR,
    Exit.TIMEOUT,
    Exit.USAGE,
    Exit.PARSE_ERROR,
    Exit.COMMAND_ERROR,
    Exit.OK,
)


def worst(codes: Iterable[int]) -> int:
    """The worst of *codes* by `SEVERITY` (0 for none); a code not in it
    counts as an error reply's."""
    rank = {int(code): n for n, code in enumerate(SEVERITY)}
    below = rank[Exit.COMMAND_ERROR]
    return min(codes, key=lambda code: rank.get(code, below), default=0)
