"""The blocks a man page is read into, and their plain-text rendering.

``Heading`` (level 1 for ``.SH``, 2 for ``.SS``), ``Paragraph`` (filled text),
``Literal`` (preformatted lines) and ``Item`` (a definition-list or bullet item:
its term and the blocks of its body).  ``depth`` is the indentation level.
``to_text`` renders blocks as plain text.  Pure functions, no I/O.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    depth: int = 0


@dataclass(frozen=True, slots=True)
class Literal:
    text: str
    depth: int = 0


@dataclass(frozen=True, slots=True)
class Item:
    term: str
    body: tuple[Block, ...] = ()
    depth: int = 0


Block = Heading | Paragraph | Literal | Item


@dataclass(frozen=True, slots=True)
class Document:
    """A page: the ``.TH`` arguments and its blocks."""

    header: tuple[str, ...]
    blocks: tuple[Block, ...]


_BULLETISH = re.compile(r"^(?:\W|\d+[.)]|[A-Za-z][.)])$")


def is_bullet(term: str) -> bool:
    """True when an item's term is a list marker (bullet, ``1.``, ``a)``)."""
    return bool(_BULLETISH.match(term))


def to_text(blocks: Iterable[Block]) -> str:
    """Render blocks as plain text: paragraphs apart, literals indented."""
    out: list[str] = []
    previous_bullet = False
    for block in blocks:
        rendered = _render(block)
        if not rendered:
            continue
        bullet = isinstance(block, Item) and is_bullet(block.term)
        if out:
            out.append("\n" if bullet and previous_bullet else "\n\n")
        out.append(rendered)
        previous_bullet = bullet
    return "".join(out)


def _render(block: Block) -> str:
    if isinstance(block, Heading | Paragraph):
        return block.text
    if isinstance(block, Literal):
        return textwrap.indent(block.text, "    ")
    body = to_text(block.body)
    if not block.term:
        return textwrap.indent(body, "  ")
    if is_bullet(block.term):
        pad = " " * (len(block.term) + 1)
        return block.term + " " + textwrap.indent(body, pad).lstrip(" ")
    return block.term + ("\n" + textwrap.indent(body, "  ") if body else "")
