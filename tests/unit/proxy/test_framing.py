"""Splitting a client's byte stream into JSON texts (qmpsh.proxy.framing)."""

from __future__ import annotations

import pytest

from qmpsh.proxy.framing import Chunk, Splitter, TooLong


def feed_all(parts: list[bytes], limit: int = 1000) -> list[Chunk]:
    splitter = Splitter(limit)
    out: list[Chunk] = []
    for part in parts:
        out += splitter.feed(part)
    return out


def test_objects_back_to_back_without_newlines_as_qemu_qmp_writes_them() -> None:
    got = feed_all([b'{"execute":"a"}{"execute":"b","id":[1,{}]}'])
    assert got == [Chunk(b'{"execute":"a"}'), Chunk(b'{"execute":"b","id":[1,{}]}')]


def test_one_object_a_byte_at_a_time() -> None:
    text = b'{"a": "x}\\"{[", "b": [1, {"c": "\\\\"}]}\r\n'
    got = feed_all([text[i : i + 1] for i in range(len(text))])
    assert got == [Chunk(text.strip())]


def test_braces_and_escapes_inside_strings_do_not_count() -> None:
    assert feed_all([b'{"a":"}}}\\\\"}{"b":"\\"}"}']) == [
        Chunk(b'{"a":"}}}\\\\"}'),
        Chunk(b'{"b":"\\"}"}'),
    ]


def test_garbage_is_handed_over_a_line_at_a_time() -> None:
    got = feed_all([b"hello wor", b'ld\r\n  } \n{"a":1}\n'])
    assert got == [
        Chunk(b"hello world", garbage=True),
        Chunk(b"} ", garbage=True),
        Chunk(b'{"a":1}'),
    ]


def test_an_array_is_a_value_the_caller_refuses() -> None:
    assert feed_all([b"[1, 2]\n"]) == [Chunk(b"[1, 2]")]


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
            Chunk(b'{"execute": "query-status"}')
        ]
