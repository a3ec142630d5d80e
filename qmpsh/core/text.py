"""Small text helpers shared by every layer.

`os_text` words an OS error the way qmpsh's one-line messages quote it;
`visible` makes text from elsewhere (a process's command line) safe to
print on a terminal.
"""

from __future__ import annotations


def os_text(err: BaseException) -> str:
    """*err* as the tail of a one-line message: the OS's own words in lower
    case ("no such file or directory"), else the error's text or class."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.lower() if err.strerror[0].isupper() else err.strerror
    return str(err) or type(err).__name__


def visible(text: str) -> str:
    """*text* with every character that could drive a terminal or hide
    what follows (control characters: ESC, CR, BEL...; DEL and the C1
    set; bidi overrides and other format characters; line separators;
    unpaired surrogates from undecodable bytes) written as a Python-style
    escape: ``\\x1b``, ``\\u202e``.  Printable text is returned as it is."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
            continue
        code = ord(ch)
        if code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)
