"""What the proxy answers a client itself, as QEMU would (pure).

Each client gets QEMU's greeting with the capabilities the proxy can
honour (none: it negotiates none with QEMU, so ``oob`` is withheld), and
its own negotiation: `judge` tells, for one message from a client, whether
the proxy answers it (negotiation, a command before it, a refusal by the
socket's policy, input that is no JSON object) or sends it on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qmpsh.policy.rules import Policy

#: the capabilities the proxy can pass on to its clients
HONOURED: frozenset[str] = frozenset()


def greeting(upstream: Mapping[str, Any]) -> dict[str, Any]:
    """The greeting a client gets: *upstream*'s (QEMU's), its capabilities
    reduced to those the proxy honours."""
    qmp = upstream.get("QMP")
    qmp = dict(qmp) if isinstance(qmp, Mapping) else {}
    caps = qmp.get("capabilities")
    caps = caps if isinstance(caps, list) else []
    qmp["capabilities"] = [c for c in caps if c in HONOURED]
    return {**upstream, "QMP": qmp}


def error(kind: str, desc: str, message: Mapping[str, Any] | None) -> dict[str, Any]:
    """An error reply carrying *message*'s id (when it has one)."""
    reply: dict[str, Any] = {"error": {"class": kind, "desc": desc}}
    if message is not None and "id" in message:
        reply["id"] = message["id"]
    return reply


def ok(message: Mapping[str, Any]) -> dict[str, Any]:
    reply: dict[str, Any] = {"return": {}}
    if "id" in message:
        reply["id"] = message["id"]
    return reply


def encode(reply: Mapping[str, Any]) -> bytes:
    """One line of JSON, as QEMU writes its messages."""
    return json.dumps(reply).encode() + b"\r\n"


def parse_error(garbage: bool) -> dict[str, Any]:
    """The reply to input that is no JSON (QEMU's reply has no id):
    *garbage*, what opens no object or array, or a value that does not
    parse."""
    what = "invalid token" if garbage else "invalid JSON"
    return error("GenericError", f"JSON parse error, {what}", None)


NOT_OBJECT = error("GenericError", "QMP input must be a JSON object", None)
#: QEMU's JSON parser refuses nesting deeper than 1024 too
TOO_DEEP = error("GenericError", "JSON parse error, nesting too deep", None)


@dataclass(frozen=True)
class Forward:
    """Send the message on to QEMU."""


FORWARD = Forward()


@dataclass(frozen=True)
class Local:
    """Answer the message here with *reply*; *negotiated*: the client has
    now negotiated; *refused*: the policy said no (one line, for -v)."""

    reply: dict[str, Any]
    negotiated: bool = False
    refused: str = ""


def judge(
    message: Mapping[str, Any], negotiated: bool, policy: Policy
) -> Forward | Local:
    """What to do with *message*, a JSON object from a client that has
    *negotiated* (or not), under its socket's *policy*."""
    name = message.get("execute")
    if name == "qmp_capabilities":
        if negotiated:
            return Local(
                error(
                    "CommandNotFound",
                    "Capabilities negotiation is already complete, command ignored",
                    message,
                )
            )
        refusal = _capabilities_refusal(message)
        if refusal is not None:
            return Local(error("GenericError", refusal, message))
        return Local(ok(message), negotiated=True)
    if not negotiated:
        return Local(
            error(
                "CommandNotFound",
                "Expecting capabilities negotiation with 'qmp_capabilities'",
                message,
            )
        )
    refusal = policy.refusal(message)
    if refusal is not None:
        return Local(
            error("GenericError", f"qmpsh proxy: {refusal}", message), refused=refusal
        )
    return FORWARD


def _capabilities_refusal(message: Mapping[str, Any]) -> str | None:
    """Why ``qmp_capabilities`` with these arguments cannot be honoured."""
    args = message.get("arguments", {})
    if not isinstance(args, Mapping):
        return "QMP input member 'arguments' must be an object"
    extra = [key for key in args if key != "enable"]
    if extra:
        return f"Parameter '{extra[0]}' is unexpected"
    enable = args.get("enable", [])
    if not isinstance(enable, list):
        return "Invalid parameter type for 'enable', expected: array"
    for cap in enable:
        if cap not in HONOURED:
            return (
                f"Capability '{cap}' not available (the proxy offers none: "
                "it shares one QMP connection without them)"
            )
    return None
