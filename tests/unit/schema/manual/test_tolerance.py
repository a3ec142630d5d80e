"""Whatever the page holds, reading it never raises: unknown requests and
macros are skipped, broken escapes read as text."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from qmpsh.schema.manual.blocks import Paragraph, to_text
from qmpsh.schema.manual.lazy import EntryIndex
from qmpsh.schema.manual.parse import parse_reference
from qmpsh.schema.manual.roff import read_roff
from qmpsh.schema.manual.view import Manual
from tests.unit.schema.manual import synthetic


def test_unknown_constructs_are_skipped() -> None:
    text = synthetic.page().replace(
        ".SS Arguments",
        ".XYZZY 1 2\n.if t .ne 5\n.de1 NEW\n.SS Hidden\n..\n.NEW\n.SS Arguments",
        1,
    )
    ref = parse_reference(text)
    assert set(ref.entries) == set(parse_reference(synthetic.page()).entries)
    assert ref.entries["widget-frob"].members[0].name == "id"
    assert read_roff(".zz what\ntext\n\\[nonesuch]\n").blocks == (Paragraph("text ?"),)


def test_every_prefix_parses() -> None:
    text = synthetic.page()
    full = len(parse_reference(text).entries)
    rng = random.Random(17)
    for cut in sorted(rng.randrange(len(text)) for _ in range(60)):
        assert len(parse_reference(text[:cut]).entries) <= full
        index = EntryIndex(text[:cut])
        manual = Manual.from_index(index)
        while not manual.build_some(0.001):
            pass
        assert list(manual.entries()) is not None


TOKENS = [
    ".TH", ".SH", ".SS", ".TP", ".IP", ".B", ".I", ".BR", ".sp", ".br", ".nf",
    ".fi", ".EX", ".EE", ".RS", ".RE", ".INDENT", ".UNINDENT", ".ce", ".ft C",
    ".in", ".de", ".de1 X", ".ig", "..", ".if", ".ie", ".el", ".TS", ".TE",
    "T{", "T}", "_", ".ds x y", ".\\\"", "'", ".", ".UNKNOWN", "\\(aq", "\\(",
    "\\[", "\\[u00", "\\f", "\\fB", "\\fP", "\\*", "\\*(", "\\s", "\\h'",
    "\\N'", "\\{", "\\}", "\\", "\\e", "\\-", "->", "<-", "{", "}", "\"", "\t",
    " ", "word", "x (Command)", "Arguments", "(optional)", ": ", "The members of",
]  # fmt: skip
roff_lines = st.lists(
    st.lists(st.sampled_from(TOKENS) | st.text(max_size=5), max_size=6).map(" ".join),
    max_size=60,
).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(roff_lines)
def test_roffish_input(text: str) -> None:
    to_text(read_roff(text).blocks)
    parse_reference(text)
    manual = Manual.from_index(EntryIndex(text))
    for name in manual.names():
        manual.get(name)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_text(text: str) -> None:
    parse_reference(text)
    EntryIndex(text)
