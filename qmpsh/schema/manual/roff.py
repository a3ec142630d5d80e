"""A small, tolerant reader of the man(7) roff that Sphinx's man builder emits.

``read_roff(text)`` turns a page into a ``Document`` (see ``blocks``): the
``.TH`` arguments and a sequence of blocks: ``Heading`` (``.SH`` level 1,
``.SS`` level 2), ``Paragraph`` (filled text, lines joined by spaces, ``.br``
kept as a newline), ``Literal`` (``.nf``/``.fi``, ``.EX``/``.EE``, and ``.TS``
tables rendered as text) and ``Item`` (``.TP`` or ``.IP``: its term and the
blocks of its body, nested items included).  ``depth`` counts the enclosing
``.RS``/``.INDENT`` levels.

Fonts are dropped: bold and italic text comes out as plain text (the type
names and member names QEMU sets in bold are recognised by position instead).
Macro definitions (``.de``/``.ig``), conditionals (``.if``/``.ie``/``.el``) and
every request it does not know are skipped; the reader never raises on any
input.  Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qmpsh.schema.manual.blocks import (
    Block,
    Document,
    Heading,
    Item,
    Literal,
    Paragraph,
)
from qmpsh.schema.manual.escapes import split_args, strip_comment, unescape
from qmpsh.schema.manual.tables import table_text


@dataclass(slots=True)
class _OpenItem:
    term: str
    depth: int
    body: list[Block] = field(default_factory=list)


_MAX_DEPTH = 32
"""Deeper ``.RS``/``.INDENT`` nesting is flattened (bounds recursion)."""

# fmt: off
_IGNORED = frozenset({
    "ft", "ce", "in", "ti", "ll", "nr", "ad", "na", "hy", "nh", "ne", "ps", "vs",
    "cs", "ss", "lg", "mk", "rt", "tr", "pc", "ev", "ta", "fam", "so", "UR", "UE",
    "MT", "ME", "SY", "YS", "OP", "PD", "DT", "AT", "UC", "ns", "rs", "it", "itc",
    "hw", "cu", "ul",
})
_FONT_MACROS = frozenset({"B", "I", "SM", "SB"})
_ALT_MACROS = frozenset({"BR", "RB", "BI", "IB", "IR", "RI"})
_BREAKS = frozenset({"sp", "bp"})
_MACRO_DEFINITIONS = frozenset({"de", "de1", "de2", "dei", "am", "am1", "ami", "ig"})
_CONDITIONALS = frozenset({"if", "ie", "el", "while"})
_WITH_ARGS = _FONT_MACROS | _ALT_MACROS | {"TH", "SH", "SS", "IP", "ds"}
_PARAS = frozenset({"PP", "LP", "P", "HP"})
# fmt: on


class _Reader:
    """The state machine behind ``read_roff``."""

    def __init__(self) -> None:
        self.header: tuple[str, ...] = ()
        self.out: list[Block] = []
        self.items: list[_OpenItem] = []
        self.depth = 0
        self.para: list[str | None] = []
        self.literal: list[str] | None = None
        self.table: list[str] | None = None
        self.await_tag = False
        self.await_heading = 0
        self.skip_until: str | None = None
        self.skip_braces = 0
        self.strings: dict[str, str] = {}

    def feed(self, raw: str) -> None:
        if self.skip_until is not None:
            if raw.rstrip() == self.skip_until:
                self.skip_until = None
            return
        if self.skip_braces:
            self.skip_braces += raw.count("\\{") - raw.count("\\}")
            self.skip_braces = max(self.skip_braces, 0)
            return
        if self.table is not None:
            if raw.rstrip() in (".TE", "'TE"):
                self.emit(Literal(table_text(self.table, self.strings), self.depth))
                self.table = None
            else:
                self.table.append(raw)
            return
        if raw[:1] in (".", "'"):
            self.request(raw)
        else:
            self.text(unescape(strip_comment(raw), self.strings), raw)

    def request(self, raw: str) -> None:
        parts = strip_comment(raw[1:]).split(None, 1)
        if not parts or parts[0] in _IGNORED:
            return
        name = parts[0]
        rest = parts[1] if len(parts) > 1 else ""
        if name in _MACRO_DEFINITIONS:
            words = split_args(rest)
            end = words[1] if name != "ig" and len(words) > 1 else None
            if name == "ig" and words:
                end = words[0]
            self.skip_until = "." + (end or ".")
            return
        if name in _CONDITIONALS:
            self.skip_braces = max(raw.count("\\{") - raw.count("\\}"), 0)
            return
        args: list[str] = []
        if rest and name in _WITH_ARGS:
            args = [unescape(a, self.strings) for a in split_args(rest)]
        self.dispatch(name, args, rest)

    def dispatch(self, name: str, args: list[str], rest: str) -> None:
        """Carry out one request; tests run in order of frequency in the pages."""
        if name in _FONT_MACROS or name in _ALT_MACROS:
            if args:
                sep = " " if name in _FONT_MACROS else ""
                self.text(sep.join(args), "")
        elif name == "TP":
            self.open_item("")
            self.await_tag = True
        elif name == "SS" or name == "SH":
            self.close_all()
            level = 1 if name == "SH" else 2
            if args:
                self.out.append(Heading(level, " ".join(args)))
            else:
                self.await_heading = level
        elif name in _BREAKS:
            self.await_tag = False
            if self.literal is not None:
                self.literal.append("")
            else:
                self.flush_para()
        elif name == "INDENT" or name == "RS":
            self.flush()
            self.depth = min(self.depth + 1, _MAX_DEPTH)
        elif name == "UNINDENT" or name == "RE":
            self.flush()
            self.depth = max(self.depth - 1, 0)
            self.close_items(self.depth + 1)
        elif name == "IP":
            self.open_item(args[0] if args else "")
        elif name == "nf" or name == "EX":
            self.flush_para()
            if self.literal is None:
                self.literal = []
        elif name == "fi" or name == "EE":
            self.flush()
        elif name == "TH":
            self.header = tuple(args)
        elif name == "TQ":
            self.await_tag = True
        elif name == "br":
            if self.literal is None and self.para:
                self.para.append(None)
        elif name in _PARAS:
            self.flush()
            self.close_items(self.depth)
        elif name == "TS":
            self.flush()
            self.table = []
        elif name == "ds" and args:
            self.strings[args[0]] = rest.partition(" ")[2].strip().lstrip('"')

    def text(self, text: str, raw: str) -> None:
        if self.await_heading:
            if text.strip():
                self.out.append(Heading(self.await_heading, text.strip()))
                self.await_heading = 0
            return
        if self.literal is not None:
            self.literal.append(text)
            return
        if self.await_tag:
            if self.items:
                term = self.items[-1].term
                self.items[-1].term = (
                    f"{term}, {text.strip()}" if term else text.strip()
                )
            self.await_tag = False
            return
        if not text.strip():
            self.flush_para()
            return
        if raw[:1] in (" ", "\t") and self.para:
            self.para.append(None)
        self.para.append(text.strip())

    def open_item(self, term: str) -> None:
        self.flush()
        self.close_items(self.depth)
        self.items.append(_OpenItem(term, self.depth))

    def flush_para(self) -> None:
        if not self.para:
            return
        text, pending = "", ""
        for part in self.para:
            if part is None:
                pending = "\n" if text else ""
            else:
                text += pending + part
                pending = " "
        self.para = []
        if text:
            self.emit(Paragraph(text, self.depth))

    def flush(self) -> None:
        self.flush_para()
        if self.literal is not None:
            lines, self.literal = self.literal, None
            text = "\n".join(line.rstrip() for line in lines).strip("\n")
            if text:
                self.emit(Literal(text, self.depth))

    def emit(self, block: Block) -> None:
        (self.items[-1].body if self.items else self.out).append(block)

    def close_items(self, min_depth: int) -> None:
        """Close the open items at *min_depth* or deeper."""
        while self.items and self.items[-1].depth >= min_depth:
            done = self.items.pop()
            self.emit(Item(done.term, tuple(done.body), done.depth))

    def close_all(self) -> None:
        self.flush()
        self.close_items(0)
        self.depth = 0
        self.await_tag = False

    def finish(self) -> Document:
        if self.table is not None:
            self.emit(Literal(table_text(self.table, self.strings), self.depth))
            self.table = None
        self.close_all()
        return Document(self.header, tuple(self.out))


def read_roff(text: str) -> Document:
    """Read a man page's roff source into a ``Document``; never raises."""
    reader = _Reader()
    for raw in text.replace("\r\n", "\n").split("\n"):
        reader.feed(raw)
    return reader.finish()
