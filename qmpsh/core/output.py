"""Standard output that cannot be written: one rule for every command.

A reader that went away (``| head -1``, a broken pipe) ends the run
quietly, with the exit status so far; anything else (a full disk, an I/O
error) is said in one line, ``qmpsh: cannot write the output: no space left
on device``, and the exit status is 1.  Either way stdout is then pointed at
/dev/null, so that what is still buffered (and Python's flush at exit) goes
nowhere instead of failing again with a traceback.

Batch mode, HMP batch mode, ``qmpsh events``, the ``qom`` subcommands and
the help, version and completion output all follow it.

This module is also where text leaves the process outside the interactive
shell (whose screen is `qmpsh.shell.printer`'s): `write` (stdout), `say`
(one ``qmpsh: ...`` line on stderr) and `emit` (a stream of the caller's)
pass everything through the output gate, `qmpsh.core.sanitize.shown`, so
that nothing a server sent can drive the terminal.  Nothing else in qmpsh
writes to stdout or stderr (a test looks).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import Any, TextIO

from qmpsh.core.exitcodes import Exit
from qmpsh.core.sanitize import PIECE, Inert, shown
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
    say(text)
    return int(Exit.COMMAND_ERROR)


def emit(stream: TextIO, text: str, end: str = "", raw: bool = False) -> None:
    """Write *text*, then *end*, to *stream* through the output gate
    (`qmpsh.core.sanitize.shown`); *raw*: *text* as it is (``--raw-output``,
    for stdout only).  Errors are *stream*'s.

    A text longer than `PIECE` is written a piece at a time, each piece
    through the gate (which looks at one character at a time, so the
    pieces come out as the whole would): neither the gate nor the encoder
    then makes a copy of the whole, which for a reply of hundreds of
    megabytes is what bounds qmpsh's peak memory (bench/bigreply.py)."""
    if len(text) <= PIECE:
        stream.write((text if raw else shown(text)) + end)
        return
    as_is = raw or type(text) is Inert  # a slice of inert text is inert
    for start in range(0, len(text), PIECE):
        piece = text[start : start + PIECE]
        stream.write(piece if as_is else shown(piece))
    if end:
        stream.write(end)


def emit_json(
    stream: TextIO, value: Any, pretty: bool = False, end: str = "\n"
) -> None:
    """Write *value* as `qmpsh.core.render.render_json` would, from the
    inert pieces of `qmpsh.core.render.json_pieces`: for a `Large` message,
    never held whole as text (bench/bigreply.py)."""
    from qmpsh.core.render import json_pieces

    for piece in json_pieces(value, pretty):
        stream.write(piece)
    stream.write(end)


def write(text: str, end: str = "", raw: bool = False) -> None:
    """Write *text*, then *end*, to stdout through the gate (as `emit`);
    an `OutputError` when it cannot be."""
    try:
        emit(sys.stdout, text, end, raw)
    except OSError as err:
        raise OutputError(err.errno, err.strerror) from err


def say(text: str) -> None:
    """Say ``qmpsh: TEXT`` on stderr, through the gate, and flush it (the
    caller settles stdout first when the order matters: `settle`)."""
    emit(sys.stderr, f"qmpsh: {text}", "\n")
    sys.stderr.flush()


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
