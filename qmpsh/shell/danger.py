"""Which requests deserve an "are you sure?" on a terminal, and which
ones make the server quit (pure).

Batch mode never asks; the shell asks when ``confirm`` is on.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any


def confirmation(
    message: Mapping[str, Any],
    commands: Collection[str],
    hmp: Collection[str],
) -> str | None:
    """What the request would do, if it needs confirming; else None.

    *commands* are QMP command names; *hmp* are HMP command names, matched
    against the first word of ``human-monitor-command``'s command line.
    """
    name = message.get("execute", message.get("exec-oob"))
    if not isinstance(name, str):
        return None
    if name in commands:
        return name
    if name == "human-monitor-command":
        args = message.get("arguments")
        line = args.get("command-line") if isinstance(args, Mapping) else None
        if isinstance(line, str):
            words = line.split()
            if words and words[0] in hmp:
                return f"HMP {line.strip()}"
    return None


def is_quit(message: Mapping[str, Any]) -> bool:
    """Whether *message* asks the server to quit: QMP ``quit``, or HMP
    ``q``/``quit`` through ``human-monitor-command``."""
    name = message.get("execute")
    if name == "quit":
        return True
    if name != "human-monitor-command":
        return False
    args = message.get("arguments")
    line = args.get("command-line") if isinstance(args, Mapping) else None
    return isinstance(line, str) and line.split()[:1] in (["q"], ["quit"])


def quit_refused(reply: Mapping[str, Any]) -> bool:
    """Whether the reply to a quit says the server will not quit: an error,
    or HMP printing why it did not run the command (``q now``: extraneous
    characters).  A quit that went through returns ``{}`` (QMP) or ``""``
    (HMP)."""
    return "error" in reply or reply.get("return") not in ({}, "")
