"""How the ``qmpsh`` process starts and ends, when it is the program itself.

What a one-shot ``qmpsh -c query-status SOCK`` spends outside its own work
is mostly the interpreter's: importing modules, and at the end freeing
every module and object one by one.  Two steps keep that out of the way
(bench/README.md, "The process's start and end"):

- `start`: no cyclic garbage collection while the session's modules load.
  Start-up makes objects that live as long as the process (modules,
  classes, the settings, the connection); the collector would walk them
  several dozen times to free nothing.  `settle` brings it back once the
  session is connected and about to run its lines, after moving everything
  made so far out of its reach for good (`gc.freeze`), so that a long shell
  or batch session also never walks the start-up's objects again.  (What
  start-up made and dropped in a cycle, little, stays frozen with it.)
- `end`: once the session has returned its exit status it has closed all
  it opened (the connection, the transport and its ssh or QEMU child, the
  wire log, the shell's history and sinks).  `end` does what the teardown
  would have done that can matter (flush stdout and stderr, run the
  ``atexit`` handlers, such as logging's) and leaves with `os._exit`.

Both are for the program only (``qmpsh``, ``python -m qmpsh``:
`qmpsh.cli.main.program`), never for a caller that runs
`qmpsh.cli.main.main` inside its own process; and when a
thread the interpreter would wait for is still running, `end` leaves the
ordinary way, so that nothing is cut short.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from typing import NoReturn

from qmpsh.core.output import output_failed

#: `start` turned the collector off, and `settle` has not yet turned it on
_started = False


def start() -> None:
    """Load the session without the cyclic collector (until `settle`)."""
    global _started
    if gc.isenabled():
        gc.disable()
        _started = True


def settle() -> None:
    """The session is loaded: what exists now lives on, out of the
    collector's reach (`gc.freeze`); collect from here on as usual.  Only
    after `start` (a caller that turned the collector off itself keeps it
    so); harmless to call again."""
    global _started
    if _started:
        _started = False
        gc.freeze()
        gc.enable()


def end(code: int) -> NoReturn:
    """Flush stdout (a reader that went away, or a failure, as
    `qmpsh.core.output.output_failed` says) and stderr; then, unless a
    thread the interpreter would wait for still runs (then: the ordinary
    exit, which waits for it before the ``atexit`` handlers, as always),
    run the ``atexit`` handlers and exit with *code* without the teardown."""
    try:
        sys.stdout.flush()
    except OSError as err:
        code = output_failed(err, code)
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    if _waited_for():
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):  # what the handlers wrote
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def _waited_for() -> bool:
    """Whether a thread the interpreter waits for at exit (not a daemon,
    not the main thread) is still running."""
    threading = sys.modules.get("threading")
    if threading is None:
        return False
    main = threading.main_thread()
    return any(
        t is not main and not t.daemon and t.is_alive() for t in threading.enumerate()
    )
