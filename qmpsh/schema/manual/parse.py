"""Build a `Reference` from the blocks of a Sphinx-generated QAPI man page.

Each entry starts at a ``.SS NAME (Kind)`` heading; the ``.SS`` headings after
it (Arguments, Members, Values, Returns, Since, If, Features, Note(s),
Example(s), TODO and any other) are its sections, up to the next entry or
chapter heading.  A ``.SS`` that is not an entry is a chapter heading when the
page's Contents lists it or when a heading follows it at once; otherwise it is
one more section of the current entry (e.g. a table's title).
Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from qmpsh.schema.manual.blocks import (
    Block,
    Document,
    Heading,
    Item,
    Paragraph,
    is_bullet,
    to_text,
)
from qmpsh.schema.manual.examples import parse_examples
from qmpsh.schema.manual.model import (
    Entry,
    Example,
    Feature,
    Member,
    MemberRole,
    Reference,
    ServerKind,
    entry_kind,
)
from qmpsh.schema.manual.roff import read_roff

ENTRY_HEADING = re.compile(r"^(?P<name>\S+) \((?P<kind>[A-Z][A-Za-z]*)\)$")
_INCLUDE = re.compile(
    r"^The members of (?P<name>\S+?)(?: when (?P<when>.+?))?"
    r"(?: \(If: (?P<cond>.+)\))?$"
)
_MEMBER = re.compile(
    r"^(?P<name>[^\s:]+)(?:: (?P<type>.+?))?(?P<opt> \(optional\))?"
    r"(?: \(If: (?P<cond>.+)\))?$"
)
_VERSION = re.compile(r"\b(\d+\.\d+(?:\.\d+)*)\b")
_MEMBER_SECTIONS = {"Arguments": "member", "Members": "member", "Values": "value"}
_KNOWN_SECTIONS = frozenset({
    "Arguments", "Members", "Values", "Returns", "Since", "If", "Features",
    "Note", "Notes", "Example", "Examples", "TODO",
})  # fmt: skip

Sections = list[tuple[str | None, list[Block]]]


def parse_reference(text: str, page_name: str | None = None) -> Reference:
    """Parse a QAPI reference man page's roff source; never raises."""
    return reference_from_document(read_roff(text), page_name)


def detect_kind(*names: str | None) -> ServerKind:
    """The server a page documents, from its ``.TH`` title, NAME or file name
    (the first that tells)."""
    for raw in names:
        name = (raw or "").lower()
        if "storage-daemon" in name or "storage daemon" in name:
            return "storage-daemon"
        if "ga-ref" in name or "guest agent" in name:
            return "guest-agent"
        if "qmp-ref" in name or "qmp reference" in name:
            return "qemu"
    return "unknown"


def find_version(document: Document) -> str | None:
    """The QEMU version from the ``.TH`` line, else from early prose."""
    for value in document.header[3:5]:
        found = _VERSION.search(value)
        if found:
            return found.group(1)
    for block in document.blocks[:40]:
        if isinstance(block, Paragraph) and "version" in block.text.lower():
            found = _VERSION.search(block.text)
            if found:
                return found.group(1)
    return None


def page_info(
    document: Document, page_name: str | None = None
) -> tuple[ServerKind, str | None, str | None]:
    """The server a page documents, its version and title, from the page's
    start (the ``.TH`` line and the NAME section) or all of it."""
    title = _name_line(document.blocks)
    header_title = document.header[0] if document.header else None
    kind = detect_kind(header_title, title, page_name)
    return kind, find_version(document), title or header_title


def reference_from_document(
    document: Document, page_name: str | None = None
) -> Reference:
    """Group the blocks into entries and build the `Reference`."""
    blocks = document.blocks
    kind, version, title = page_info(document, page_name)
    toc = _contents_titles(blocks)
    entries: dict[str, Entry] = {}
    chapter: str | None = None
    section_chapter: str | None = None
    current: tuple[str, str, str | None] | None = None
    sections: Sections = []

    def close() -> None:
        if current is not None:
            entry = build_entry(current[0], current[1], sections, current[2])
            key = (
                entry.name
                if entry.name not in entries
                else f"{entry.name} ({entry.kind_text})"
            )
            entries.setdefault(key, entry)

    for index, block in enumerate(blocks):
        if isinstance(block, Heading):
            found = ENTRY_HEADING.match(block.text) if block.level == 2 else None
            if found:
                close()
                current = (found.group("name"), found.group("kind"), section_chapter)
                sections = [(None, [])]
                continue
            if (
                block.level == 2
                and current is not None
                and _is_section(block.text, toc, blocks, index)
            ):
                sections.append((block.text, []))
                continue
            close()
            current = None
            if block.level == 1:
                chapter = section_chapter = block.text
            else:
                section_chapter = f"{chapter} / {block.text}" if chapter else block.text
        elif current is not None:
            sections[-1][1].append(block)
    close()
    return Reference(version, kind, title, entries)


def _is_section(
    text: str, toc: set[str], blocks: tuple[Block, ...], index: int
) -> bool:
    if text in _KNOWN_SECTIONS:
        return True
    if text in toc:
        return False
    following = blocks[index + 1] if index + 1 < len(blocks) else None
    return not isinstance(following, Heading)


def _name_line(blocks: tuple[Block, ...]) -> str | None:
    for index, block in enumerate(blocks[:-1]):
        if isinstance(block, Heading) and block.level == 1 and block.text == "NAME":
            following = blocks[index + 1]
            return following.text if isinstance(following, Paragraph) else None
    return None


def _contents_titles(blocks: tuple[Block, ...]) -> set[str]:
    titles: set[str] = set()
    inside = False
    for block in blocks:
        if isinstance(block, Heading):
            if inside:
                break
            inside = block.text == "Contents"
        elif inside:
            titles.update(_texts([block]))
    return titles


def _texts(blocks: Iterable[Block]) -> Iterator[str]:
    for block in blocks:
        if isinstance(block, Item):
            yield from _texts(block.body)
        elif isinstance(block, Paragraph):
            yield " ".join(block.text.split())


def build_entry(
    name: str, kind_text: str, sections: Sections, chapter: str | None
) -> Entry:
    """Build one entry from its heading and its (title, blocks) sections."""
    kind = entry_kind(kind_text)
    description = ""
    members: list[Member] = []
    features: list[Feature] = []
    examples: list[Example] = []
    others: list[tuple[str, str]] = []
    fields: dict[str, str] = {}
    for title, blocks in sections:
        if title is None:
            description = to_text(blocks)
        elif title in _MEMBER_SECTIONS:
            role: MemberRole = (
                "value" if _MEMBER_SECTIONS[title] == "value" else "member"
            )
            rest: list[Block] = []
            for block in blocks:
                if isinstance(block, Item) and block.term:
                    members.append(
                        parse_member(block.term, member_text(block.body), role)
                    )
                else:
                    rest.append(block)
            if rest:
                others.append((title, to_text(rest)))
        elif title == "Features":
            features.extend(
                Feature(block.term, to_text(block.body))
                for block in blocks
                if isinstance(block, Item)
            )
        elif title in ("Example", "Examples"):
            examples.extend(parse_examples(title, blocks))
        elif title in ("Returns", "Since", "If") and title not in fields:
            fields[title] = to_text(blocks).strip()
        else:
            others.append((title, to_text(blocks)))
    deprecated = next((f.text for f in features if f.name == "deprecated"), None)
    return Entry(
        name=name,
        kind=kind,
        kind_text=kind_text,
        description=description,
        members=tuple(members),
        returns=fields.get("Returns"),
        since=fields.get("Since"),
        condition=fields.get("If"),
        features=tuple(features),
        deprecated=deprecated,
        sections=tuple(others),
        examples=tuple(examples),
        chapter=chapter,
    )


def member_text(body: tuple[Block, ...]) -> str:
    """A member's text; a lone nested item whose term is prose is rejoined.

    Sphinx turns a description whose continuation lines are indented deeper
    into a nested definition list; its "term" is the first line of prose.
    """
    if len(body) == 1 and isinstance(body[0], Item):
        inner = body[0]
        if " " in inner.term and not is_bullet(inner.term):
            return f"{inner.term} {to_text(inner.body)}".strip()
    return to_text(body)


def parse_member(term: str, text: str, role: MemberRole = "member") -> Member:
    """Parse a definition term: ``name: type (optional) (If: COND)`` or include."""
    term = " ".join(term.split())
    found = _INCLUDE.match(term)
    if found:
        return Member(
            found.group("name"),
            None,
            text,
            False,
            "include",
            found.group("cond"),
            found.group("when"),
        )
    found = _MEMBER.match(term)
    if not found:
        return Member(term, None, text, False, role)
    return Member(
        found.group("name"),
        found.group("type"),
        text,
        found.group("opt") is not None,
        role,
        found.group("cond"),
    )
