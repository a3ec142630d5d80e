"""Standard output that cannot be written: one rule for every command.

A reader that went away (``| head -1``, a broken pipe) ends the run
quietly, with the exit status so far; anything else (a full disk, an I/O
error) is said in one line, ``qmpsh: cannot write the output: no space left
on device``, and the exit status is 1.  Either way stdout is then pointed at
/dev/null, so that what is still buffered (and Python's flush at exit) goes
nowhere instead of failing again with a traceback.

Batch mode, HMP batch mode, ``qmpsh events``, the ``qom`` subcommands and
the help, version and completion output all follow it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import TextIO

from qmpsh.core.exitcodes import Exit
from qmpsh.core.text import os_text


class OutputError(OSError):
    """Writing a built-in's output to stdout failed (the `OSError` is the
    cause); unlike the built-in's own I/O, it ends the run (see `failure`)."""


def failure(err: OSError) -> str | None:
    """What to say when stdout failed with *err*: None when its reader went
    away (end quietly), else the one line (without the ``qmpsh:``)."""
    if err.errno == errno.EPIPE:
        return None
    return f"cannot write the output: {os_text(err)}"


def discard_output(stream: TextIO) -> None:
    """Point *stream*'s descriptor at /dev/null: what is still buffered, and
    later writes, go nowhere (nor raise again, at exit)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


def output_failed(err: OSError, status: int = Exit.OK) -> int:
    """Stdout failed with *err*: drop it, say so unless the reader went away,
    and return the exit status (*status*, the status so far, for a reader
    that went away; 1 otherwise)."""
    discard_output(sys.stdout)
    text = failure(err)
    if text is None:
        return int(status)
    sys.stderr.write(f"qmpsh: {text}\n")
    sys.stderr.flush()
    return int(Exit.COMMAND_ERROR)


def write(text: str) -> None:
    """Write *text* to stdout; an `OutputError` when it cannot be."""
    try:
        sys.stdout.write(text)
    except OSError as err:
        raise OutputError(err.errno, err.strerror) from err


def flush() -> None:
    """Flush stdout; an `OutputError` when it cannot be written."""
    try:
        sys.stdout.flush()
    except OSError as err:
        raise OutputError(err.errno, err.strerror) from err


def settle() -> None:
    """Flush stdout before a diagnostic on stderr, so that the two come in
    order; when it cannot be written, drop what it holds (the diagnostic is
    what matters then)."""
    try:
        sys.stdout.flush()
    except OSError:
        discard_output(sys.stdout)
