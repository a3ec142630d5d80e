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
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from qmpsh.core.sanitize import PIECE, Inert, inert_json, visible

if TYPE_CHECKING:
    from pygments.formatters import Terminal256Formatter


def render_json(value: Any, pretty: bool = False) -> str:
    """JSON text: compact on one line (QEMU's spacing), or indented; inert
    on a terminal (see the module's docstring).  `Inert` up to `PIECE`
    characters; a longer text is left a plain str, its characters escaped
    all the same, rather than copied into an `Inert` (a reply of hundreds
    of megabytes): the gate then looks at it piece by piece as it writes
    it, and finds nothing to change."""
    try:
        if pretty:
            from qmpsh.core.pretty import pretty as indented

            text = indented(value)
        else:
            text = json.dumps(value, ensure_ascii=False)
    except RecursionError:  # deeper than json can go: compact, without recursion
        from qmpsh.core.deepjson import dumps

        text = dumps(value)
    text = inert_json(text)
    return text if len(text) > PIECE else Inert(text)


class Large(dict[str, Any]):
    """A message read from a line of more than a megabyte (the reader
    makes it one: `qmpsh.wire.adapter`): printed with `json_pieces`, so
    that it is not held as text twice beside itself."""

    __slots__ = ()


def json_pieces(value: Any, pretty: bool = False) -> Iterator[Inert]:
    """`render_json`'s text in inert pieces of about `PIECE` characters,
    for a value too large to hold as one text beside itself: the encoder's
    chunks are gathered, never joined whole, and a long string's chunk is
    cut up; each chunk is let go of once its pieces are made, and a piece
    once its caller has written it.  Slower than `render_json` on small
    values, so kept for `Large` messages."""
    try:
        if pretty:
            from qmpsh.core.pretty import pretty_chunks

            chunks = pretty_chunks(value)
        else:
            chunks = list(_ITER_ENCODER.iterencode(value))
    except RecursionError:  # before anything is yielded
        yield Inert(render_json(value, pretty))
        return
    chunks.reverse()
    gathered: list[str] = []
    size = 0
    while chunks:
        chunk = chunks.pop()
        if len(chunk) > PIECE:
            if gathered:
                yield Inert(inert_json("".join(gathered)))
                gathered, size = [], 0
            for start in range(0, len(chunk), PIECE):
                yield Inert(inert_json(chunk[start : start + PIECE]))
            continue
        gathered.append(chunk)
        size += len(chunk)
        if size >= PIECE:
            yield Inert(inert_json("".join(gathered)))
            gathered, size = [], 0
    if gathered:
        yield Inert(inert_json("".join(gathered)))


#: json.dumps's compact text, a chunk at a time (the pure-Python encoder:
#: the C one makes the whole text at once)
_ITER_ENCODER = json.JSONEncoder(ensure_ascii=False)


def render_reply(
    reply: Mapping[str, Any], *, pretty: bool = False, return_value: bool = False
) -> str:
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
