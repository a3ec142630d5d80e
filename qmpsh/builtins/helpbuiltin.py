"""Help text of the built-ins: ``help BUILT-IN`` and ``help keys``.

Pure: lines of text from a built-in's registry entry (its usage, summary
and docstring) or the key table; the ``help`` built-in prints them.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable

from qmpsh.builtins.registry import Builtin


def builtin_help(item: Builtin, width: int = 80) -> list[str]:
    """``help BUILT-IN``: the usage, the summary, then the text re-wrapped to
    *width*, paragraph by paragraph, without its markup (see `plain`)."""
    head = _wrap_usage(f"{item.name} {item.usage}".rstrip() + ": built-in", width)
    lines = [*head, *_paragraph(item.summary, width)]
    for paragraph in re.split(r"\n\s*\n", item.doc.strip()):
        if paragraph.strip():
            lines += ["", *_paragraph(plain(paragraph), width)]
    if not item.batch:
        lines.append("  (interactive only)")
    return lines


#: a docstring's literal: ``word``
_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)


def plain(text: str) -> str:
    """Docstring text as help prints it: a ``literal`` of one word as the
    word itself, one of several words between double quotes (as qmpsh's
    ``--help`` quotes "help CMD")."""

    def unquote(match: re.Match[str]) -> str:
        words = " ".join(match.group(1).split())
        return f'"{words}"' if " " in words else words

    return _LITERAL.sub(unquote, text)


#: the end of a sentence at the end of a docstring's line
_SENTENCE_END = re.compile(r"[.!?][)\"']?$")


def _paragraph(text: str, width: int) -> list[str]:
    """*text* (lines of a docstring) as one paragraph wrapped to *width*,
    two spaces after a sentence as in the docstring (and ``--help``)."""
    joined = ""
    for line in text.splitlines():
        line = line.strip()
        if joined and line:
            end = _SENTENCE_END.search(joined) and not line[:1].islower()
            joined += "  " if end else " "
        joined += line
    return textwrap.wrap(
        joined,
        width,
        initial_indent="  ",
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


#: a space inside an innermost ``[...]`` of a usage: not a place to break
_GROUP_SPACE = re.compile(r"\[[^\[\]]*\]")
_KEEP = "\0"


def _wrap_usage(line: str, width: int) -> list[str]:
    """A usage line wrapped between its words and bracketed groups (never
    inside ``[--top NODE]``), continued under the first argument."""
    name = line.split(" ", 1)[0]
    kept = _GROUP_SPACE.sub(lambda m: m.group(0).replace(" ", _KEEP), line)
    wrapped = textwrap.wrap(
        kept,
        width,
        subsequent_indent=" " * (len(name) + 1),
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [part.replace(_KEEP, " ") for part in wrapped]


def keys_help(rows: Iterable[tuple[str, str]]) -> list[str]:
    rows = list(rows)
    pad = max((len(k) for k, _ in rows), default=0) + 2
    return [f"  {key.ljust(pad)}{what}" for key, what in rows]
