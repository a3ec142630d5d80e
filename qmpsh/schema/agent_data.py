"""The bytes a guest agent sends as base64, decoded for reading.

qemu-ga hands back a file's bytes (``buf-b64`` of ``guest-file-read``) and a
program's output (``out-data`` and ``err-data`` of ``guest-exec-status``)
as base64.  For display, `with_text` puts next to each of them a member
holding the same bytes as text: ``buf-text``, ``out-text``, ``err-text``.
The text is the bytes read as UTF-8; a byte that is not part of valid
UTF-8 shows as ``\\xNN`` (Python's ``backslashreplace``), so the text is
for reading: the base64 member, kept as the agent sent it, has the exact
bytes.  Control characters need nothing here: JSON escapes them
(``\\u001b``) and the output gate keeps the rest inert.

Pure; `decode` is also what ``guest-run`` prints its program's output with.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

#: the base64 member -> the text member put after it
TEXT_MEMBERS = {"buf-b64": "buf-text", "out-data": "out-text", "err-data": "err-text"}

#: the commands whose return value has base64 members
COMMANDS = {
    "guest-file-read": ("buf-b64",),
    "guest-exec-status": ("out-data", "err-data"),
}


def decode(value: object) -> bytes | None:
    """The bytes of a base64 string, or None when *value* is not one."""
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def as_text(data: bytes) -> str:
    """*data* as text: UTF-8, with ``\\xNN`` for each byte that is not."""
    return data.decode("utf-8", "backslashreplace")


def text_members(value: Mapping[str, Any], members: tuple[str, ...]) -> dict[str, Any]:
    """*value* (a return value) with a text member right after each of its
    base64 *members*; one that is not valid base64 is left alone."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        out[key] = item
        if key in members:
            data = decode(item)
            if data is not None:
                out[TEXT_MEMBERS[key]] = as_text(data)
    return out


def with_text(reply: dict[str, Any], command: str) -> dict[str, Any]:
    """*reply* to *command* as qmpsh shows it: the return value of
    ``guest-file-read`` and ``guest-exec-status`` with text members (see
    the module's docstring); any other reply, an error too, as it is (the
    same object)."""
    members = COMMANDS.get(command)
    value = reply.get("return")
    if members is None or not isinstance(value, Mapping):
        return reply
    if not any(key in value for key in members):
        return reply
    shown = {
        key: text_members(value, members) if key == "return" else item
        for key, item in reply.items()
    }
    # the same kind of dict: a `qmpsh.core.render.Large` reply stays one,
    # and is still written piece by piece
    return shown if type(reply) is dict else type(reply)(shown)
