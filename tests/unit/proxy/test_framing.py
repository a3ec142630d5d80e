"""Splitting a client's byte stream into JSON texts (qmpsh.proxy.framing)."""

from __future__ import annotations

import pytest

from qmpsh.proxy.framing import UNPARSED, Chunk, Splitter, TooLong


def feed_all(parts: list[bytes], limit: int = 1000) -> list[Chunk]:
    """The chunks, their values dropped (as if none had been parsed)."""
    splitter = Splitter(limit)
    out: list[Chunk] = []
    for part in parts:
        out += [Chunk(c.data, c.garbage) for c in splitter.feed(part)]
    return out


def test_objects_back_to_back_without_newlines_as_qemu_qmp_writes_them() -> None:
    got = feed_all([b'{"execute":"a"}{"execute":"b","id":[1,{}]}'])
    assert got == [Chunk('{"execute":"a"}'), Chunk('{"execute":"b","id":[1,{}]}')]


def test_one_object_a_byte_at_a_time() -> None:
    text = b'{"a": "x}\\"{[", "b": [1, {"c": "\\\\"}]}\r\n'
    got = feed_all([text[i : i + 1] for i in range(len(text))])
    assert got == [Chunk(text.strip().decode())]


def test_braces_and_escapes_inside_strings_do_not_count() -> None:
    assert feed_all([b'{"a":"}}}\\\\"}{"b":"\\"}"}']) == [
        Chunk('{"a":"}}}\\\\"}'),
        Chunk('{"b":"\\"}"}'),
    ]


def test_garbage_is_handed_over_a_line_at_a_time() -> None:
    got = feed_all([b"hello wor", b'ld\r\n  } \n{"a":1}\n'])
    assert got == [
        Chunk("hello world", garbage=True),
        Chunk("} ", garbage=True),
        Chunk('{"a":1}'),
    ]


def test_an_array_is_a_value_the_caller_refuses() -> None:
    assert feed_all([b"[1, 2]\n"]) == [Chunk("[1, 2]")]


def test_what_is_too_long_is_reported() -> None:
    splitter = Splitter(64)
    splitter.feed(b'{"a":"' + b"x" * 40)
    with pytest.raises(TooLong, match="longer than 64 bytes"):
        splitter.feed(b"x" * 40)
    with pytest.raises(TooLong):
        Splitter(64).feed(b"y" * 100)


def test_complete_values_do_not_count_toward_the_limit() -> None:
    splitter = Splitter(64)
    for _ in range(100):
        assert splitter.feed(b'{"execute": "query-status"}\n') == [
            Chunk('{"execute": "query-status"}', value={"execute": "query-status"})
        ]


def test_complete_objects_come_parsed_the_rest_not() -> None:
    chunks = Splitter(100).feed(b'{"a": [1]}{"a": nope}[1]{"b": "\xc3\xa9"}')
    assert [c.value for c in chunks] == [
        {"a": [1]},
        UNPARSED,
        UNPARSED,
        {"b": "\u00e9"},
    ]
    assert chunks[1].data == '{"a": nope}'


def test_utf8_split_across_reads_and_bytes_that_are_not_utf8() -> None:
    splitter = Splitter(100)
    assert splitter.feed(b'{"a": "\xc3') == []
    # incomplete at first: scanned, not parsed on the way
    assert splitter.feed(b'\xa9"}\xff\nx\n') == [
        Chunk('{"a": "\u00e9"}'),
        Chunk("\udcff", garbage=True),
        Chunk("x", garbage=True),
    ]
