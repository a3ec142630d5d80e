"""The ``!`` prefix: send a line without checking it against the schema.

Its own tiny module so that batch mode can honour it without importing the
schema machinery.
"""

from __future__ import annotations

#: what starts a line that is sent without validation
FORCE = "!"


def split_force(line: str) -> tuple[bool, str]:
    """Whether *line* starts with ``!`` (send without checking), and the line
    with the ``!`` blanked out (so that error columns stay right)."""
    stripped = line.lstrip()
    if stripped.startswith(FORCE):
        at = len(line) - len(stripped)
        return True, line[:at] + " " * len(FORCE) + stripped[len(FORCE) :]
    return False, line
