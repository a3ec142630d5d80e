"""Paging output that is taller than the screen."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Mapping

from qmpsh.core.text import os_text

DEFAULT_PAGER = "less -SRXF"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def pager_argv(setting: str, env: Mapping[str, str] | None = None) -> list[str]:
    """The pager command: the setting, else $PAGER, else ``less -SRXF``."""
    env = os.environ if env is None else env
    command = setting or env.get("PAGER", "") or DEFAULT_PAGER
    try:
        argv = shlex.split(command)
    except ValueError:
        argv = []
    return argv or shlex.split(DEFAULT_PAGER)


def fit_pager(argv: list[str], text: str, width: int) -> list[str]:
    """The default ``less -SRXF`` chops long lines, which hides most of a
    long compact reply (one line): for a text with lines wider than the
    screen, the default pager wraps them instead.  A chosen pager is kept."""
    if argv != shlex.split(DEFAULT_PAGER):
        return argv
    if any(len(line) > width for line in _ANSI.sub("", text).split("\n")):
        return ["less", "-RXF"]
    return argv


def rows_needed(text: str, width: int) -> int:
    """Terminal rows *text* takes when lines wrap at *width* columns."""
    from prompt_toolkit.utils import get_cwidth

    width = max(width, 1)
    rows = 0
    for line in _ANSI.sub("", text).split("\n"):
        cells = get_cwidth(line)
        rows += max(1, -(-cells // width))
    return rows


def run_pager(argv: list[str], text: str) -> str | None:
    """Show *text* in the pager (blocking); an error message, or None."""
    env = dict(os.environ)
    env.setdefault("LESSCHARSET", "utf-8")
    try:
        subprocess.run(
            argv, input=text.encode("utf-8", "replace"), env=env, check=False
        )
    except OSError as err:
        return f"cannot run the pager {shlex.join(argv)}: {os_text(err)}"
    return None
