"""Split the Example sections of an entry into examples and QMP messages.

Each literal block is one `Example`; a paragraph just before it is its title.
`parse_messages` finds the ``->`` (client) and ``<-`` (server) messages in an
example's text, and the lines each one takes.  Pure functions, no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

from qmpsh.schema.manual.blocks import Block, Item, Literal, Paragraph
from qmpsh.schema.manual.model import Direction, Example, Message

_MARKER = re.compile(r"^\s*(->|<-)(?: |$)(.*)$")
_DECODER = json.JSONDecoder()


def parse_examples(title: str, blocks: Iterable[Block]) -> list[Example]:
    """One `Example` per literal block; a paragraph before one is its title."""
    examples: list[Example] = []
    caption: str | None = None
    for block in _flatten(blocks):
        if isinstance(block, Paragraph):
            caption = block.text
        elif isinstance(block, Literal):
            examples.append(
                Example(caption or title, block.text, parse_messages(block.text))
            )
            caption = None
    return examples


def _flatten(blocks: Iterable[Block]) -> Iterator[Block]:
    for block in blocks:
        if isinstance(block, Item):
            if block.term:
                yield Paragraph(block.term, block.depth)
            yield from _flatten(block.body)
        else:
            yield block


def parse_messages(text: str) -> tuple[Message, ...]:
    """Split an example's text into ``->``/``<-`` messages.

    A message is the JSON value after its marker when it decodes; otherwise
    (e.g. ``...`` elisions) the lines up to a blank line or the next marker.
    """
    lines = text.split("\n")
    messages: list[Message] = []
    index = 0
    while index < len(lines):
        found = _MARKER.match(lines[index])
        if not found:
            index += 1
            continue
        direction: Direction = "->" if found.group(1) == "->" else "<-"
        rest = "\n".join([found.group(2), *lines[index + 1 :]])
        skipped = len(rest) - len(rest.lstrip())
        try:
            _, end = _DECODER.raw_decode(rest, skipped)
        except (ValueError, RecursionError):
            start = index
            taken = [found.group(2)]
            index += 1
            while index < len(lines) and lines[index].strip():
                if _MARKER.match(lines[index]):
                    break
                taken.append(lines[index])
                index += 1
            body = "\n".join(taken).strip()
            messages.append(Message(direction, body, start, index - start))
            continue
        spanned = rest.count("\n", 0, end) + 1
        messages.append(Message(direction, rest[skipped:end], index, spanned))
        index += spanned
    return tuple(messages)
