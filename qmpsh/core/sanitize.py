"""The output gate: nothing a server or a guest sends can drive the terminal.

Pure.  Text from QEMU or a guest agent (an error's description, HMP output,
a QOM string, a VM's name, an event's data) may hold control characters; a
terminal obeys them (``ESC ] 0 ;`` sets the window title, ``ESC ] 52 ;``
writes the clipboard, ``ESC [ 2J`` clears the screen, a bidi override
reverses what follows).  Every byte qmpsh writes to stdout, stderr or the
shell's screen passes `shown` first, which makes them visible instead:

=====================================  ==========================
what                                   shown as
=====================================  ==========================
C0 controls U+0000-U+001F              ``^@`` ... ``^_`` (``ESC`` is ``^[``, CR ``^M``)
DEL U+007F                             ``^?``
C1 controls U+0080-U+009F              ``<80>`` ... ``<9f>`` (CSI is ``<9b>``)
bidi controls U+061C, U+200E, U+200F,  ``<U+202E>`` and so on
U+202A-U+202E, U+2066-U+2069
lone surrogates U+D800-U+DFFF          ``<U+D800>`` and so on
=====================================  ==========================

Line feeds stay, and tabs (they lay out HMP's tables).  The caret and
``<80>`` forms are what the shell's event pane, toolbar and input line
(prompt_toolkit) have always shown, as ``cat -v`` and Vim do.

Text that qmpsh has already made inert and then coloured itself (the
shell's error colour, the JSON highlighting) is an `Inert` string: the
gate passes it as it is.  Anything else is made visible, so an output
path that forgets to say what it writes is safe, not raw.

JSON is kept valid rather than made visible: `inert_json` writes those
characters as ``\\u`` escapes (JSON already escapes C0), which parse back
to the same string.
"""

from __future__ import annotations

import functools
import re

#: the bidi formatting characters (explicit embeddings, overrides, isolates
#: and the marks): they reorder what is shown after them
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


#: the longest text the sinks write in one piece (`qmpsh.core.output.emit`);
#: `qmpsh.core.render.render_json` leaves a longer JSON text a plain str
PIECE = 1 << 20


@functools.cache
def _unsafe() -> re.Pattern[str]:
    """What the gate makes visible (line feed and tab are kept).  Compiled
    on first use: it takes milliseconds, which one-shot runs that print
    only JSON (inert already) need not pay."""
    return re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI}\ud800-\udfff]")


@functools.cache
def _unsafe_json() -> re.Pattern[str]:
    """What `inert_json` escapes: JSON text already has no raw C0 control."""
    return re.compile(f"[\x7f-\x9f{BIDI}\ud800-\udfff]")


#: the UTF-8 lead bytes of the non-ASCII characters above: U+0080-U+009F,
#: U+061C, and U+200E-U+206F (a text without them needs no regex scan)
_LEADS = (b"\xc2", b"\xd8\x9c", b"\xe2\x80", b"\xe2\x81")


class Inert(str):
    """Text that `visible` has made safe, maybe with qmpsh's own colour
    codes added since: the gate writes it as it is.  Any str operation on
    it (``+``, ``join``, slicing) gives a plain str again, which the gate
    then makes visible (colour codes included): unsafe text cannot pass
    for inert by accident."""

    __slots__ = ()


def show(char: str) -> str:
    """How the gate shows the one character *char* (see the table above);
    *char* itself when it is safe."""
    code = ord(char)
    if code < 0x20:
        return "^" + chr(code + 0x40)
    if code == 0x7F:
        return "^?"
    if 0x80 <= code <= 0x9F:
        return f"<{code:02x}>"
    if char in BIDI or 0xD800 <= code <= 0xDFFF:
        return f"<U+{code:04X}>"
    return char


def _shown(match: re.Match[str]) -> str:
    return show(match.group())


def visible(text: str) -> str:
    """*text* with every control character shown (line feeds and tabs kept)."""
    unsafe = _unsafe()
    if unsafe.search(text) is None:
        return text
    return unsafe.sub(_shown, text)


def shown(text: str) -> Inert:
    """The gate: *text* as it may reach a terminal.  `Inert` text as it is,
    anything else through `visible`."""
    if type(text) is Inert:
        return text
    return Inert(visible(text))


def painted(text: str, before: str, after: str) -> Inert:
    """*text* made visible between qmpsh's own codes *before* and *after*
    (colours, cursor movement)."""
    return Inert(before + shown(text) + after)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def inert_json(text: str) -> str:
    """JSON *text* (from ``json.dumps(..., ensure_ascii=False)``) with DEL,
    the C1 controls, the bidi controls and lone surrogates written as
    ``\\u`` escapes: still the same JSON value, and inert on a terminal.

    Fast for what QMP sends: ASCII text costs one scan for DEL; other text
    a UTF-8 encoding looked at for the lead bytes before any regex."""
    if "\x7f" in text:
        pass
    elif text.isascii():
        return text
    else:
        try:
            data = text.encode()
        except UnicodeEncodeError:  # a lone surrogate
            data = b"\xc2"
        if not any(lead in data for lead in _LEADS):
            return text
    return _unsafe_json().sub(_json_escape, text)
