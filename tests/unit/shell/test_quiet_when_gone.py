"""The loop's exception handler while the shell owns a terminal."""

from __future__ import annotations

import asyncio
import errno
from typing import Any

from qmpsh.shell.app import quiet_when_gone


def test_only_a_vanished_terminal_is_kept_quiet() -> None:
    seen: list[dict[str, Any]] = []
    handler = quiet_when_gone(lambda _loop, context: seen.append(context))
    loop = asyncio.new_event_loop()
    try:
        gone = {"message": "Task exception was never retrieved",
                "exception": OSError(errno.EIO, "Input/output error")}  # fmt: skip
        handler(loop, gone)
        handler(loop, {"message": "x", "exception": OSError(errno.ENXIO, "gone")})
        assert seen == []
        other = {"message": "y", "exception": ValueError("a bug")}
        handler(loop, other)
        refused = {"message": "z", "exception": OSError(errno.ECONNREFUSED, "no")}
        handler(loop, refused)
        assert seen == [other, refused]
        # once the shell knows its terminal is gone, nothing is reported
        handler.gone = True
        handler(loop, {"message": "Task was destroyed but it is pending!"})
        handler(loop, other)
        assert seen == [other, refused]
    finally:
        loop.close()
