"""Help text from QEMU's QMP reference manual (`qmpsh.schema.manual`).

Pure: lines of text from manual entries, re-wrapped to the width asked.
`qmpsh.builtins.helptext` puts them into the tree it makes from the live
schema (which says what exists); on its own this module renders what the
manual alone knows: a type (``help BlockdevOptions``), an enum value
(``help MirrorSyncMode.top``, ``help top``), and a guest agent's commands
(an agent publishes no schema).  Examples come as qmpsh shorthand that
parses back to the manual's JSON (`qmpsh.schema.manual.shorthand`), or as
the manual wrote them with ``--json``.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence

from qmpsh.schema.manual.model import Entry, Example, Member
from qmpsh.schema.manual.scope import Doc, deprecation_hint, first_sentence
from qmpsh.schema.manual.shorthand import translate
from qmpsh.schema.manual.view import Manual

_BULLET = re.compile(r"^(?:[\u2022*\-]|\d+[.)]|[a-z][.)])\s")
#: an enum with at most this many values lists each with its text
LISTED_VALUES = 8


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text,
        max(width, len(first) + 20),
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )


def paragraphs(text: str, width: int, indent: str) -> list[str]:
    """Manual text wrapped to *width* under *indent*: paragraphs apart,
    bullets hanging, literal (indented) lines kept as they are."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip("\n")):
        if not paragraph.strip():
            continue
        if out:
            out.append("")
        lines = paragraph.split("\n")
        if all(line.startswith("    ") or not line.strip() for line in lines):
            out += [(indent + line).rstrip() for line in lines]
            continue
        items: list[tuple[str, str]] = []  # (leading spaces, text)
        for line in lines:
            lead = line[: len(line) - len(line.lstrip())]
            body = line.strip()
            joins = (
                items
                and not _BULLET.match(body)
                and lead
                and _BULLET.match(items[-1][1])
            )
            if joins:
                items[-1] = (items[-1][0], f"{items[-1][1]} {body}")
            elif body:
                items.append((lead, body))
        for lead, body in items:
            bullet = _BULLET.match(body)
            hang = " " * (bullet.end() if bullet else 0)
            out += _wrap(body, width, indent + lead, indent + lead + hang)
    return out


def member_words(
    doc: Doc, manual: Manual | None, width: int, indent: str, deprecated: bool
) -> list[str]:
    """What the manual says of a member, under its line in the tree; for a
    member the schema marks deprecated, what to use instead."""
    lines = paragraphs(doc.text, width, indent)
    hint = deprecation_hint(manual, doc.owner) if deprecated else ""
    if hint:
        lines += _wrap(f"deprecated: {hint}", width, indent, indent + "  ")
    return lines


def value_lines(
    values: Sequence[str],
    docs: Mapping[str, Doc],
    old: Iterable[str],
    width: int,
    indent: str,
) -> list[str]:
    """An enum's values one per line with their first sentences."""
    old = set(old)
    shown = [v + ("*" if v in old else "") for v in values]
    pad = max(len(v) for v in shown) + 2
    lines = [f"{indent}values:"]
    for value, label in zip(values, shown, strict=True):
        doc = docs.get(value)
        text = first_sentence(doc.text, 400) if doc else "undocumented here"
        first = f"{indent}  {label.ljust(pad)}"
        lines += _wrap(text, width, first, " " * len(first)) or [first.rstrip()]
    return lines


def intro(entry: Entry, width: int, hint: str | None = None) -> list[str]:
    """An entry's description, then since when it exists, under what
    build condition, and (*hint*: the schema marks it deprecated) what to
    use instead."""
    lines = paragraphs(entry.description, width, "  ")
    if lines:
        lines.append("")
    if entry.since:
        lines.append(f"  since: {' '.join(entry.since.split())}")
    if entry.condition:
        lines.append(f"  only if: {' '.join(entry.condition.split())}")
    if hint:
        lines += _wrap(f"deprecated: {hint}", width, "  ", "    ")
    return lines


def returns_text(entry: Entry, width: int) -> list[str]:
    """What the manual says a command returns, under ``returns:``."""
    return paragraphs(entry.returns or "", width, "    ")


def outro(entry: Entry, width: int, as_json: bool = False) -> list[str]:
    """Notes and other sections, then the examples."""
    lines: list[str] = []
    for title, text in entry.sections:
        lines.append(f"  {title.lower()}:")
        lines += paragraphs(text, width, "    ")
    for example in entry.examples:
        lines += example_lines(example, width, as_json)
    return lines


def example_lines(example: Example, width: int, as_json: bool = False) -> list[str]:
    """An example: its requests as shorthand (unless *as_json*), the rest
    (replies, events, notes between them) as the manual has them."""
    title = " ".join(example.title.split()).rstrip(":").lower()
    lines = [f"  {title if title.startswith('example') else 'example: ' + title}:"]
    text = example.text.split("\n")
    starts = {m.line: m for m in example.messages}
    index = 0
    while index < len(text):
        message = starts.get(index)
        if message is not None and message.direction == "->" and not as_json:
            done = translate(message.json_text)
            if done.shorthand:
                lines += [f"    {line}" for line in done.text.split("\n")]
                index += message.lines
                continue
        lines.append(f"    {text[index]}".rstrip())
        index += 1
    return lines


def entry_help(
    manual: Manual, entry: Entry, width: int = 80, as_json: bool = False
) -> list[str]:
    """``help NAME`` of what only the manual knows: a type, or a command of
    a server without a schema (a guest agent)."""
    what = entry.kind_text.lower() or entry.kind
    lines = [f"{entry.name}: {what} (from the manual)"]
    lines += intro(entry, width)
    lines += _members(manual, entry, width)
    if entry.returns:
        lines.append("  returns:")
        lines += returns_text(entry, width)
    lines += [f"  feature {f.name}: {' '.join(f.text.split())}" for f in entry.features]
    return lines + outro(entry, width, as_json)


def _members(manual: Manual, entry: Entry, width: int) -> list[str]:
    if not entry.members:
        return []
    label = {"command": "arguments", "event": "data", "enum": "values"}
    lines = [f"  {label.get(entry.kind, 'members')}:"]
    values = [m.name for m in entry.members if m.role == "value"]
    pad = max(map(len, values), default=0) + 2
    for member in entry.members:
        if member.role == "value":
            first, _, rest = member.text.strip().partition("\n\n")
            start = f"    {member.name.ljust(pad)}"
            lines += _wrap(" ".join(first.split()), width, start, " " * len(start))
            lines += paragraphs(rest, width, " " * len(start)) if rest else []
            if not first:
                lines.append(start.rstrip())
        else:
            lines += _member(manual, member, width)
    return lines


def _member(manual: Manual, member: Member, width: int) -> list[str]:
    if member.role == "include":
        when = f" when {member.when}" if member.when else ""
        where = f"help {member.name}" if member.name in manual else member.name
        return [f"    the members of {member.name}{when} ({where})"]
    head = f"    {member.name}"
    if member.type_text:
        head += f": {member.type_text}" + (" (optional)" if member.optional else "")
    if member.condition:
        head += f" (only if {member.condition})"
    return [head, *paragraphs(member.text, width, "      ")]


def value_help(matches: Sequence[tuple[Entry, Member]], width: int = 80) -> list[str]:
    """``help VALUE`` (or ``help ENUM.VALUE``): each enum that has the value,
    with what the value means there."""
    lines: list[str] = []
    for entry, member in matches:
        if lines:
            lines.append("")
        lines.append(f"{member.name}: a value of {entry.name} (help {entry.name})")
        lines += paragraphs(member.text, width, "  ")
    return lines


def value_matches(manual: Manual, name: str) -> list[tuple[Entry, Member]]:
    """The enum values *name* names: ``ENUM.VALUE``, or a bare value found
    in any enum."""
    enum, dot, value = name.rpartition(".")
    enums = [enum] if dot and manual.kind_of(enum) == "enum" else manual.names("enum")
    wanted = value if dot else name
    found: list[tuple[Entry, Member]] = []
    for enum_name in enums:
        entry = manual.get(enum_name)
        if entry is not None:
            found += [
                (entry, m)
                for m in entry.members
                if m.role == "value" and m.name == wanted
            ]
    return found
