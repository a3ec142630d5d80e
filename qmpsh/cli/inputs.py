"""Where a session's commands come from: `Inputs` (made by qmpsh.cli.invoke,
run by qmpsh.cli.session).  Apart from the session so that reading the
command line does not load the session's modules: a one-shot ssh:// command
starts ssh before they load (`qmpsh.wire.transport.Transport.prestart`)."""

# (no ``from __future__ import annotations``: NamedTuple compiles each field
# type given as text, at every start-up)

from typing import NamedTuple

#: one batch input: ``("-c", TEXT)`` or ``("-f", PATH)`` (``-`` is stdin)
Source = tuple[str, str]


class Inputs(NamedTuple):
    """Where commands come from: ``-c`` texts and ``-f`` files in the order
    given, else stdin."""

    sources: tuple[Source, ...] = ()
    #: run the interactive shell (stdin and stdout are terminals, no -c/-f)
    interactive: bool = False
    #: ``(option, built-in line)`` run first, in every mode (--pass-fd,
    #: --add-fd); in batch mode they print nothing unless they fail
    startup: tuple[tuple[str, str], ...] = ()
