from __future__ import annotations

import json
import time
from typing import Any

from qmpsh.core.render import (
    clock,
    error_line,
    event_line,
    highlight_json,
    render_reply,
)
from qmpsh.wire.eventlog import EventLog
from tests import corpus


def test_compact_is_qemus_spacing() -> None:
    assert (
        render_reply({"return": {"a": 1, "b": [1, 2]}})
        == '{"return": {"a": 1, "b": [1, 2]}}'
    )


def test_pretty_and_return_value() -> None:
    reply = {"return": {"status": "running"}}
    assert (
        render_reply(reply, pretty=True)
        == '{\n  "return": {\n    "status": "running"\n  }\n}'
    )
    assert render_reply(reply, return_value=True) == '{"status": "running"}'
    assert (
        render_reply({"return": "none-machine"}, return_value=True) == '"none-machine"'
    )
    error = {"error": {"class": "GenericError", "desc": "x"}}
    assert render_reply(error, return_value=True) == json.dumps(error)


def test_error_line() -> None:
    assert (
        error_line({"error": {"class": "CommandNotFound", "desc": "No x"}})
        == "CommandNotFound: No x"
    )
    assert error_line({"error": "weird"}).startswith("malformed reply")


def test_every_corpus_reply_renders_as_json() -> None:
    for reply in corpus.replies():
        for pretty in (False, True):
            assert json.loads(render_reply(reply, pretty=pretty)) == reply


def test_event_line_uses_local_time_with_millis() -> None:
    stamp = time.mktime((2024, 1, 2, 3, 4, 5, 0, 0, -1)) + 0.0678
    line = event_line({"event": "STOP", "data": {"a": 1}}, stamp)
    assert line == '03:04:05.067 STOP {"a":1}'
    assert clock(stamp) == "03:04:05.067"
    assert event_line({"event": "RESUME"}, stamp) == "03:04:05.067 RESUME"


def test_corpus_events_render_one_line_each() -> None:
    log = EventLog()
    for message in corpus.events():
        event = log.append(message)
        line = event_line(message, event.time)
        assert "\n" not in line and message["event"] in line


def test_highlight_adds_colour_and_keeps_text() -> None:
    text = '{"return": {"a": 1}}'
    out = highlight_json(text)
    assert "\x1b[" in out
    import re

    assert re.sub(r"\x1b\[[0-9;]*m", "", out) == text


def test_json_pieces_make_render_jsons_text() -> None:
    from qmpsh.core.render import json_pieces, render_json
    from qmpsh.core.sanitize import PIECE, Inert

    long = ("\x1b[2J\u202e" + "y" * (PIECE - 3)) * 2 + "z"
    values: list[Any] = [
        {"return": {"a": [1, 2.5, None, True], "s": long, "b": {}}},
        {"return": [{"k": "v" * 1000} for _ in range(3000)]},
        [],
        "plain",
    ]
    for value in values:
        for pretty in (False, True):
            pieces = list(json_pieces(value, pretty))
            assert all(type(piece) is Inert for piece in pieces)
            assert all(len(piece) <= PIECE + 64 * 1024 for piece in pieces)
            assert "".join(pieces) == render_json(value, pretty)


def test_a_long_text_is_written_in_pieces_through_the_gate() -> None:
    import io

    from qmpsh.core.output import emit
    from qmpsh.core.sanitize import PIECE

    text = ("a\x1bb" * PIECE)[: 3 * PIECE + 5]
    whole, pieces = io.StringIO(), io.StringIO()
    emit(whole, text[:PIECE], "\n")
    emit(pieces, text, "\n")
    assert pieces.getvalue().startswith(whole.getvalue()[:-1])
    assert pieces.getvalue() == text.replace("\x1b", "^[") + "\n"
    raw = io.StringIO()
    emit(raw, text, "\n", raw=True)
    assert raw.getvalue() == text + "\n"
