"""Parse one entry of a page on demand, without reading the whole page.

`EntryIndex` scans only the ``.SS`` lines of a page's roff text (as Sphinx
writes them: a line starting ``.SS NAME (Kind)``) to learn where each entry
starts and ends, and what kind it is (a few milliseconds for the largest
page); `EntryIndex.parse` then reads just that slice.  The
entry equals the one `qmpsh.schema.manual.parse.parse_reference` builds,
except that ``chapter`` is None (chapters need the whole page).  Pure, no I/O.
"""

from __future__ import annotations

import re

from qmpsh.schema.manual.escapes import split_args, strip_comment, unescape
from qmpsh.schema.manual.model import Entry, EntryKind, entry_kind, fold
from qmpsh.schema.manual.parse import ENTRY_HEADING, reference_from_document
from qmpsh.schema.manual.roff import read_roff

#: the start of an entry's heading line, as Sphinx writes it
_HEADING = "\n.SS "
#: the whole heading as Sphinx writes it (``\fBblock\-commit\fP (Command)``):
#: read without the general escape reader, which takes ten times as long
_PLAIN_HEADING = re.compile(
    r"\\fB(?P<name>(?:[\w.+]|\\-)+)\\fP \((?P<kind>[A-Z][A-Za-z]*)\)$"
)


def _heading_lines(text: str) -> list[tuple[int, str]]:
    """Where each ``.SS`` line starts, and its arguments (str.find: a few
    milliseconds for the largest page, a regular expression takes ten times
    as long)."""
    found = [(0, text[4 : text.find("\n")])] if text.startswith(".SS ") else []
    at = text.find(_HEADING)
    while at != -1:
        end = text.find("\n", at + 1)
        found.append((at + 1, text[at + 5 : end if end != -1 else len(text)]))
        at = text.find(_HEADING, at + 1)
    return found


class EntryIndex:
    """Offsets and kinds of every entry of a page's roff text, by name."""

    def __init__(self, text: str, page_name: str | None = None) -> None:
        self.text = text
        self.page_name = page_name
        self.spans: dict[str, tuple[int, int]] = {}
        #: each entry's kind, in page order
        self.kinds: dict[str, EntryKind] = {}
        starts: list[tuple[str, str, int]] = []
        for start, rest in _heading_lines(text):
            if "(" not in rest:
                continue  # a section or chapter heading: no entry
            plain = _PLAIN_HEADING.match(rest)
            if plain is not None:
                name = plain.group("name").replace("\\-", "-")
                starts.append((name, plain.group("kind"), start))
                continue
            rest = strip_comment(rest)
            heading = " ".join(unescape(arg) for arg in split_args(rest))
            entry = ENTRY_HEADING.match(heading)
            if entry:
                starts.append((entry.group("name"), entry.group("kind"), start))
        for position, (name, kind, start) in enumerate(starts):
            # up to the next entry's heading line, included: a chapter
            # heading just before it is then told from a section of this
            # entry as in the whole page (a heading follows it at once)
            end = len(text)
            if position + 1 < len(starts):
                end = text.find("\n", starts[position + 1][2]) + 1 or len(text)
            if name not in self.spans:
                self.spans[name] = (start, end)
                self.kinds[name] = entry_kind(kind)
        self._folded = {fold(name): name for name in reversed(self.spans)}

    def names(self) -> list[str]:
        """Entry names in page order."""
        return list(self.spans)

    def resolve(self, name: str) -> str | None:
        """The exact entry name for *name*, ignoring case and ``_``/``-``."""
        if name in self.spans:
            return name
        return self._folded.get(fold(name))

    def parse(self, name: str) -> Entry | None:
        """Parse the entry called *name* (forgiving lookup), or None."""
        exact = self.resolve(name)
        if exact is None:
            return None
        start, end = self.spans[exact]
        document = read_roff(self.text[start:end])
        reference = reference_from_document(document, self.page_name)
        return reference.entries.get(exact)
