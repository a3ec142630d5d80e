"""The QMP text the libvirt bridge writes (`qmpsh.wire.libvirt_bridge`):
the greeting, events, replies with the request's id put back, and the
answers QEMU itself gives about capabilities negotiation.  Pure.
"""

from __future__ import annotations

import json
from typing import Any

#: QEMU's answer to a command before ``qmp_capabilities``
BEFORE_NEGOTIATION = (
    b'{"error": {"class": "CommandNotFound", "desc": "Expecting capabilities '
    b"negotiation with 'qmp_capabilities'\"}}"
)
NEGOTIATED_ALREADY = {
    "class": "CommandNotFound",
    "desc": "Capabilities negotiation is already complete, command ignored",
}


def greeting(version: dict[str, Any]) -> bytes:
    """The QMP greeting for a QEMU whose ``query-version`` returned *version*."""
    return qmp_line({"QMP": {"version": version, "capabilities": []}})


def event_line(name: str, seconds: int, micros: int, details: str | None) -> bytes:
    """A QMP event as QEMU writes it, from what libvirt hands over."""
    event: dict[str, Any] = {
        "timestamp": {"seconds": seconds, "microseconds": micros},
        "event": name,
    }
    if details is not None:
        event["data"] = json.loads(details)
    return qmp_line(event)


def qmp_line(obj: Any) -> bytes:
    """*obj* as one line of JSON."""
    return json.dumps(obj).encode() + b"\n"


def reply_line(reply: str, request_id: object, has_id: bool) -> bytes:
    """libvirt's reply (JSON text with its own id) with the request's id."""
    obj = json.loads(reply)
    if not isinstance(obj, dict):
        raise ValueError("the reply is not an object")
    obj.pop("id", None)
    if has_id:
        obj["id"] = request_id
    return qmp_line(obj)


def error_line(klass: str, desc: str, request_id: object, has_id: bool) -> bytes:
    """An error reply, as QEMU words one."""
    obj: dict[str, Any] = {"error": {"class": klass, "desc": desc}}
    if has_id:
        obj["id"] = request_id
    return qmp_line(obj)
