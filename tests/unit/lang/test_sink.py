"""Splitting ``CMD | shell-command`` and ``CMD > FILE`` (qmpsh.lang.sink)."""

from __future__ import annotations

import json

import pytest

from qmpsh.lang.sink import Sink, SinkError, split_sink, where
from qmpsh.lang.unparse import to_shorthand
from tests import corpus


@pytest.mark.parametrize(
    ("text", "command", "sink"),
    [
        ("query-block | wc -l", "query-block ", Sink("|", "wc -l", 12)),
        ("query-block |wc -l", "query-block ", Sink("|", "wc -l", 12)),
        (
            "query-block | grep 'a|b' > x",
            "query-block ",
            Sink("|", "grep 'a|b' > x", 12),
        ),
        ("query-block > out.json", "query-block ", Sink(">", "out.json", 12)),
        ("query-block >out.json", "query-block ", Sink(">", "out.json", 12)),
        ("query-block >> 'my file'", "query-block ", Sink(">>", "my file", 12)),
        ("query-block >> ~/b.json\n", "query-block ", Sink(">>", "~/b.json", 12)),
        (
            '{"execute": "query-block"} | wc',
            '{"execute": "query-block"} ',
            Sink("|", "wc", 27),
        ),
        (
            "qom-list path=/machine | grep a",
            "qom-list path=/machine ",
            Sink("|", "grep a", 23),
        ),
        (
            "transaction(\n abort\n) | wc -l",
            "transaction(\n abort\n) ",
            Sink("|", "wc -l", 22),
        ),
        ("hmp info block | head -1", "hmp info block ", Sink("|", "head -1", 15)),
        # after a variable's pick that holds a pipe and a > of its own
        (
            "x a=${j[?n >= `0`] | [0].id} | wc -l",
            "x a=${j[?n >= `0`] | [0].id} ",
            Sink("|", "wc -l", 29),
        ),
    ],
)
def test_split(text: str, command: str, sink: Sink) -> None:
    assert split_sink(text) == (command, sink)


@pytest.mark.parametrize(
    "text",
    [
        "query-block",
        "x filename=a|b",
        "x filename=>b",
        'x "a | b"',
        "x 'a > b'",
        'x name="|"',
        'x value=[">", "|"]',
        'x value={"a": "|"}',
        '{"execute": "x", "arguments": {"a": "| >"}}',
        "x # a comment | with a bar",
        "transaction(\n | x\n",
        "x a=b|",
        "x a=1 b=>",
        # JMESPath's | and > inside a variable's ${...}
        "job-cancel id=${j[?status=='running'] | [0].id}",
        "x a=${n[?depth >= `0`] | [0].node-name}",
        'x {"a": ${j | [0]}}',
    ],
)
def test_left_alone(text: str) -> None:
    assert split_sink(text) == (text, None)


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("query-block |", "1:14", "nothing after |"),
        ("query-block |   ", "1:14", "nothing after |"),
        ("query-block >", "1:14", "nothing after >"),
        ("query-block >>", "1:15", "nothing after >>"),
        ("query-block > a b", "1:15", "one file name after >, not 2 words"),
        ("query-block > 'a", "1:15", "No closing quotation"),
        ("query-block >| x", "1:14", ">| is not understood"),
        ("| wc", "1:1", "no command before |"),
        ("  > f", "1:3", "no command before >"),
        ("query-block | wc\nquery-status", "1:17", "| must end the command"),
        ("query-block > ''", "1:15", "an empty file name"),
    ],
)
def test_mistakes(text: str, position: str, words: str) -> None:
    with pytest.raises(SinkError) as err:
        split_sink(text)
    assert where(text, err.value.offset) == position
    assert words in err.value.message


def test_no_documented_request_is_split() -> None:
    """QEMU's documented requests, as JSON and as shorthand, hold no sink."""
    count = 0
    for request in corpus.requests():
        for text in (json.dumps(request), to_shorthand(request)):
            assert split_sink(text) == (text, None), text
            count += 1
    assert count > 500
