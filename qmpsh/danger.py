"""Which requests deserve an "are you sure?" on a terminal (pure).

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
