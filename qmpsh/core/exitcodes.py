"""Exit codes of the ``qmpsh`` command, one place for all of them.

The README's "Exit codes" table is written from this module; keep them in step.
"""

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
