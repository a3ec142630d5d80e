"""The manual's example requests as shorthand that parses back the same."""

from __future__ import annotations

import json

import pytest

from qmpsh.lang.parser import Request, parse
from qmpsh.schema.manual.shorthand import translate


@pytest.mark.parametrize(
    ("written", "shorthand"),
    [
        ('{ "execute": "query-status" }', "query-status"),
        (
            '{"execute": "block-commit", "arguments": {"device": "d0", "speed": 7}}',
            "block-commit device=d0 speed=7",
        ),
        (
            '{"execute": "x", "arguments": {"file": {"driver": "file", "n": "007"}}}',
            'x file.driver=file file.n="007"',
        ),
        (
            '{"execute": "transaction", "arguments": {"actions": ['
            '{"type": "abort", "data": {}}]}}',
            "transaction(\n  abort\n)",
        ),
    ],
)
def test_round_trips(written: str, shorthand: str) -> None:
    done = translate(written)
    assert (done.text, done.shorthand, done.why) == (shorthand, True, "")
    back = parse(done.text)
    assert isinstance(back, Request) and back.message == json.loads(written)


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ('{ "execute": "x", ... }', "not JSON as written"),
        ('{"execute": "x", "id": 3}', "shorthand has no way to say id"),
        ('{"execute": "x", "arguments": {}}', "an empty arguments object"),
        ('{"execute": "x", "arguments": {"a b": 1}}', "an argument name"),
        ('{"execute": "x", "arguments": [1]}', "its arguments are not an object"),
        ('{"event": "X"}', "not a command request"),
        ("[" * 100000, "not JSON as written"),
    ],
)
def test_kept_as_written_and_why(written: str, why: str) -> None:
    done = translate(written)
    assert not done.shorthand and done.text == written and why in done.why
