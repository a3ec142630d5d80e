"""The guest agent's base64, decoded for reading (`qmpsh.schema.agent_data`)."""

from __future__ import annotations

import base64
import json

import pytest

from qmpsh.core.render import render_reply
from qmpsh.schema.agent_data import as_text, decode, with_text


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"hello\n", "hello\n"),
        (b"", ""),
        ("é✓".encode(), "é✓"),
        (b"\xff\xfeok", "\\xff\\xfeok"),  # not UTF-8: \xNN per byte
        (b"caf\xc3", "caf\\xc3"),  # cut in the middle of a character
        (b"\x1b[2J", "\x1b[2J"),  # kept: JSON escapes it
    ],
)
def test_as_text(data: bytes, text: str) -> None:
    assert as_text(data) == text


@pytest.mark.parametrize("value", ["not base64!", "abc", 42, None, ["aGk="]])
def test_decode_refuses_what_is_not_base64(value: object) -> None:
    assert decode(value) is None


def test_file_read_gets_buf_text_right_after_buf_b64() -> None:
    reply = {"return": {"count": 3, "buf-b64": b64(b"hi\n"), "eof": True}}
    shown = with_text(reply, "guest-file-read")
    assert list(shown["return"]) == ["count", "buf-b64", "buf-text", "eof"]
    assert shown["return"]["buf-text"] == "hi\n"
    assert shown["return"]["buf-b64"] == "aGkK"  # as the agent sent it
    assert reply == {"return": {"count": 3, "buf-b64": "aGkK", "eof": True}}


def test_a_large_reply_stays_large() -> None:
    from qmpsh.core.render import Large

    reply = Large({"return": {"count": 3, "buf-b64": b64(b"hi\n"), "eof": True}})
    shown = with_text(reply, "guest-file-read")
    assert type(shown) is Large  # still written piece by piece
    assert shown["return"]["buf-text"] == "hi\n"
    assert type(with_text({"return": {"x": 1}}, "guest-file-read")) is dict


def test_exec_status_gets_out_text_and_err_text() -> None:
    value = {
        "exited": True,
        "exitcode": 3,
        "out-data": b64(b"x\n"),
        "err-data": b64(b"\xffy"),
        "out-truncated": False,
    }
    shown = with_text({"return": value, "id": 4}, "guest-exec-status")
    assert shown == {
        "return": {
            "exited": True,
            "exitcode": 3,
            "out-data": "eAo=",
            "out-text": "x\n",
            "err-data": "/3k=",
            "err-text": "\\xffy",
            "out-truncated": False,
        },
        "id": 4,
    }


@pytest.mark.parametrize(
    ("reply", "command"),
    [
        ({"return": {"exited": False}}, "guest-exec-status"),  # still running
        ({"return": {"buf-b64": "aGk="}}, "guest-ping"),  # another command
        ({"error": {"class": "GenericError", "desc": "x"}}, "guest-file-read"),
        ({"return": {"buf-b64": "%%%"}}, "guest-file-read"),  # not base64
        ({"return": [1]}, "guest-file-read"),
    ],
)
def test_other_replies_are_left_alone(reply: dict[str, object], command: str) -> None:
    assert with_text(reply, command) == reply


def test_rendered_json_is_valid_and_escapes_control_characters() -> None:
    reply = {"return": {"count": 4, "buf-b64": b64(b"\x1b]0;\x07\x9b"), "eof": True}}
    text = render_reply(dict(with_text(reply, "guest-file-read")))
    assert "\x1b" not in text and "\x07" not in text
    assert json.loads(text)["return"]["buf-text"] == "\x1b]0;\x07\\x9b"
