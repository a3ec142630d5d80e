"""Pure rendering: replies, errors and events to text.

Nothing here looks at the terminal; callers decide colour and paging once,
from the settings, and pass the decision in.  JSON comes out inert
(`qmpsh.core.sanitize.inert_json`: no control character, raw or C1, and no
bidi control, only their ``\\u`` escapes), and so does highlighted text.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qmpsh.core.sanitize import Inert, inert_json, visible

if TYPE_CHECKING:
    from pygments.formatters import Terminal256Formatter


def render_json(value: Any, pretty: bool = False) -> Inert:
    """JSON text: compact on one line (QEMU's spacing), or indented; inert
    on a terminal (see the module's docstring)."""
    try:
        if pretty:
            from qmpsh.core.pretty import pretty as indented

            text = indented(value)
        else:
            text = json.dumps(value, ensure_ascii=False)
    except RecursionError:  # deeper than json can go: compact, without recursion
        from qmpsh.core.deepjson import dumps

        text = dumps(value)
    return Inert(inert_json(text))


def render_reply(
    reply: Mapping[str, Any], *, pretty: bool = False, return_value: bool = False
) -> Inert:
    """A reply as the shell prints it; with *return_value*, only its value."""
    if return_value and "return" in reply:
        return render_json(reply["return"], pretty)
    return render_json(reply, pretty)


def is_error(reply: Mapping[str, Any]) -> bool:
    return "error" in reply


def error_line(reply: Mapping[str, Any]) -> str:
    """``ErrorClass: description`` for an error reply."""
    error = reply.get("error")
    if not isinstance(error, Mapping):
        return f"malformed reply: {render_json(reply)}"
    cls = error.get("class", "Error")
    desc = error.get("desc", "")
    return f"{cls}: {desc}" if desc else str(cls)


def clock(seconds: float) -> str:
    """``HH:MM:SS.mmm`` in local time."""
    # via whole microseconds: 7 s + 67000 us is 7.066999... as a float
    whole, micros = divmod(round(seconds * 1_000_000), 1_000_000)
    millis = micros // 1000
    return time.strftime("%H:%M:%S", time.localtime(whole)) + f".{millis:03d}"


def event_line(message: Mapping[str, Any], when: float) -> str:
    """One event on one line: time of day, name, compact data."""
    name = message.get("event", "?")
    data = message.get("data")
    text = f"{clock(when)} {name}"
    if data is not None:
        text += " " + inert_json(
            json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        )
    return text


def highlight_json(text: str, style: str = "default") -> Inert:
    """*text* (JSON) made visible, then with ANSI colours from a pygments style."""
    from pygments import highlight
    from pygments.lexers import JsonLexer

    text = visible(text)
    out = highlight(text, JsonLexer(), terminal_formatter(style))
    return Inert(out[:-1] if out.endswith("\n") and not text.endswith("\n") else out)


@functools.cache
def terminal_formatter(style: str) -> Terminal256Formatter[str]:
    """The 256-colour formatter for *style*, made once: making one costs
    about a millisecond (it maps the style's colours to the terminal's),
    some thirty times what highlighting a typical reply then takes."""
    from pygments.formatters import Terminal256Formatter

    return Terminal256Formatter(style=style)
