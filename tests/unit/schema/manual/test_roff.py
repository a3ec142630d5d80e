"""The roff reader on small synthetic inputs (no QEMU text)."""

from __future__ import annotations

from qmpsh.schema.manual.blocks import Heading, Item, Literal, Paragraph, to_text
from qmpsh.schema.manual.escapes import split_args, strip_comment, unescape
from qmpsh.schema.manual.roff import read_roff


def test_escapes() -> None:
    assert (
        unescape(r"a\-b \(em \(aq\(dq \(lq\(rq \e \&x\%y")
        == "a-b \u2014 '\" \u201c\u201d \\ xy"
    )
    assert unescape(r"\fBbold\fP \fIit\fR \f[B]x\f[] \f(CWy") == "bold it x y"
    assert unescape(r"\[em]\[u00E9]\[char65]\(co\(bu") == "\u2014\u00e9A\u00a9\u2022"
    assert (
        unescape(r"\*(lqq\*(rq \*R \n[x]\nx \s-1small\s0")
        == "\u201cq\u201d \u00ae  small"
    )
    assert unescape(r"\h'1m'\v'2p'w\w'abc'\X'ps: x'z") == "wz"
    assert unescape(r"\(zz\[nonesuch]") == "??"
    assert unescape("no escapes") == "no escapes"
    assert unescape("trailing\\") == "trailing"


def test_comments_and_args() -> None:
    assert strip_comment(r"text \" comment") == "text "
    assert strip_comment(r"a\\\" b") == "a\\\\"
    assert split_args(r'"QEMU-X" "7" "May 1, 2000" plain') == [
        "QEMU-X",
        "7",
        "May 1, 2000",
        "plain",
    ]
    assert split_args(r'"say ""hi""" x\ y') == ['say "hi"', r"x\ y"]


def test_header_headings_paragraphs() -> None:
    doc = read_roff(
        '.\\" comment\n.TH "PAGE" "7" "date" "1.2.3" "Suite"\n.SH NAME\n'
        "page \\- what\n.SS Part\nfirst line\nsecond line\n.sp\nnext\n.br\nbroken\n"
    )
    assert doc.header == ("PAGE", "7", "date", "1.2.3", "Suite")
    assert doc.blocks == (
        Heading(1, "NAME"),
        Paragraph("page - what"),
        Heading(2, "Part"),
        Paragraph("first line second line"),
        Paragraph("next\nbroken"),
    )


def test_heading_on_next_line() -> None:
    assert read_roff(".SH\nTitle words\ntext\n").blocks[0] == Heading(1, "Title words")


def test_definition_list_nested_and_bullets() -> None:
    doc = read_roff(
        ".INDENT 0.0\n.TP\n.B \\fBname\\fP: \\fBint\\fP\nbody one\n.sp\nbody two\n"
        ".INDENT 7.0\n.IP \\(bu 2\ninner\n.UNINDENT\n"
        ".TP\n.B other\nx\n.UNINDENT\nafter\n"
    )
    first, second, after = doc.blocks
    assert isinstance(first, Item) and first.term == "name: int"
    assert first.body[:2] == (Paragraph("body one", 1), Paragraph("body two", 1))
    assert first.body[2] == Item("\u2022", (Paragraph("inner", 2),), 2)
    assert isinstance(second, Item) and second.term == "other"
    assert after == Paragraph("after", 0)
    assert to_text([first]).startswith("name: int\n  body one\n\n  body two")


def test_literal_blocks_keep_lines() -> None:
    doc = read_roff(".nf\n.ft C\n\\-> { \\(dqa\\(dq: 1 }\n\n   indented\n.ft P\n.fi\n")
    assert doc.blocks == (Literal('-> { "a": 1 }\n\n   indented'),)
    doc = read_roff(".EX\nx\n.EE\n")
    assert doc.blocks == (Literal("x"),)


def test_unknown_requests_and_macros_are_skipped() -> None:
    doc = read_roff(
        ".de1 MAC\n.SH NOT A HEADING\n..\n.ig\nignored\n..\n.XYZZY a b\n.ce 1\n"
        ".if n \\{\\\n.SH NOR THIS\n.\\}\n.ie t x\n.el y\n.\n'\\\" c\ntext\n.zz\n"
    )
    assert doc.blocks == (Paragraph("text"),)


def test_tables() -> None:
    doc = read_roff(
        ".TS\ncenter;\n|l|l|.\n_\nT{\nhead a\nT}\tT{\nhead b\nT}\n_\nx\ty\n.TE\n"
    )
    assert doc.blocks == (Literal("head a | head b\nx      | y"),)


def test_garbage_does_not_raise() -> None:
    for text in [
        "", "\n\n", ".", "..", ".TP", ".TP\n", ".SH", ".TS\n", "T{", "\\", "\\(",
        "\\[", "\\f", "\\*(", "\\h'", ".de X", ".if \\{", ".RE\n.RE\n.UNINDENT",
        "\x00\x01\x02", ".IP", ".RS\n" * 200 + ".TP\nx\ny\n" * 5,
    ]:  # fmt: skip
        to_text(read_roff(text).blocks)
