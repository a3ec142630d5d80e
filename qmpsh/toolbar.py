"""The bottom toolbar: connection, target, toggles, the running command.

`make_toolbar(shell, segments)` returns the function prompt_toolkit calls on
each redraw.  *segments* are extra callables (see `qmpsh.hooks.Hooks`);
each non-empty one gets its own field.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence

from prompt_toolkit.formatted_text import StyleAndTextTuples, to_formatted_text

from qmpsh.hooks import Segment
from qmpsh.shell import Shell

_UNICODE = "utf" in (getattr(sys.stdout, "encoding", "") or "").lower()
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏" if _UNICODE else "|/-\\"
SEP = ("class:toolbar.sep", " │ " if _UNICODE else " | ")


def spinner(elapsed: float) -> str:
    return SPINNER[int(elapsed * 10) % len(SPINNER)]


def clip_left(text: str, width: int = 40) -> str:
    """*text*, or its end after an ellipsis when longer than *width*."""
    if len(text) <= width:
        return text
    return ("…" if _UNICODE else "...") + text[-(width - 1) :]


def make_toolbar(
    shell: Shell, segments: Sequence[Segment] = ()
) -> Callable[[], StyleAndTextTuples]:
    def toolbar() -> StyleAndTextTuples:
        state, text = shell.link.state()
        t = shell.toggles
        fields: list[StyleAndTextTuples] = [
            [(f"class:toolbar.state.{state}", f" {text} ")]
        ]
        if shell.busy and shell.question is None:
            elapsed = time.monotonic() - shell.running_since
            fields.append(
                [
                    (
                        "class:toolbar.running",
                        f"{spinner(elapsed)} {shell.running} {elapsed:.1f}s "
                        "(Ctrl-C cancels)",
                    )
                ]
            )
        for segment in segments:
            extra: StyleAndTextTuples
            try:
                extra = to_formatted_text(segment())
            except Exception as err:  # a broken segment must not kill the UI
                extra = [("class:toolbar.error", f"{type(err).__name__}: {err}")]
            if any(piece[1].strip() for piece in extra):
                fields.append(list(extra))
        address = clip_left(str(shell.ctx.conn.address or "-"))
        fields.append([("class:toolbar", address)])
        if shell.link.target.version:
            fields.append([("class:toolbar", f"QEMU {shell.link.target.version}")])
        fields.append(
            [
                ("class:toolbar", "pretty" if t.pretty else "compact"),
                ("class:toolbar", " · "),
                ("class:toolbar", "verbose" if t.verbose else "quiet"),
                ("class:toolbar", " · "),
                ("class:toolbar", f"events:{t.events}"),
                ("class:toolbar", " · "),
                ("class:toolbar", "vi" if t.vi else "emacs"),
            ]
        )
        fields.append([("class:toolbar.hint", "F1 keys")])
        out: StyleAndTextTuples = []
        for i, field in enumerate(fields):
            if i:
                out.append(SEP)
            out.extend(field)
        return out

    return toolbar
