"""What qmpsh says about a request it stopped waiting for (pure).

QMP has no way to take a command back once it is sent: after Ctrl-C or
``--timeout`` the server may still carry it out, and its reply comes later
with an id that qmpsh no longer waits for.  That reply is never taken for a
later command's answer (`qmpsh.wire.adapter`); one line says how it went.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qmpsh.core.render import error_line, is_error
from qmpsh.lang.hmp import failure, output_text
from qmpsh.lang.redact import redact_hmp

HMP = "human-monitor-command"


def request_name(message: Mapping[str, Any]) -> str:
    """How a request is named to the user (and the wire log): its command,
    or for an HMP command its command line, passwords hidden
    (``HMP info status``)."""
    name = message.get("execute", message.get("exec-oob"))
    if name == HMP:
        args = message.get("arguments")
        line = args.get("command-line") if isinstance(args, Mapping) else None
        if isinstance(line, str) and line.strip():
            return f"HMP {redact_hmp(' '.join(line.split()))}"
    return str(name) if isinstance(name, str) else "the request"


def server_name(agent: bool) -> str:
    return "the guest agent" if agent else "QEMU"


def stopped_waiting(message: Mapping[str, Any], agent: bool = False) -> str:
    """The line for Ctrl-C while *message* waited for its reply."""
    return (
        f"{request_name(message)}: stopped waiting ({server_name(agent)} may "
        "still run it; its reply will be shown when it comes)"
    )


def timed_out(
    message: Mapping[str, Any], seconds: float | None, agent: bool = False
) -> str:
    """The line for a reply that did not come within ``--timeout``."""
    within = "" if seconds is None else f" within {seconds:g} s"
    return (
        f"no reply to {request_name(message)}{within} "
        f"({server_name(agent)} may still run it)"
    )


def late_reply(request: Mapping[str, Any], reply: Mapping[str, Any]) -> str:
    """One line for the reply to *request* that came after qmpsh stopped
    waiting: ``late reply to NAME: ok``, or the error it reports."""
    return f"late reply to {request_name(request)}: {outcome(request, reply)}"


def outcome(request: Mapping[str, Any], reply: Mapping[str, Any]) -> str:
    """``ok``, or the error: ``Class: desc``, or the failure line HMP printed."""
    if is_error(reply):
        return error_line(reply)
    if request.get("execute") == HMP:
        failed = failure(output_text(reply.get("return")))
        if failed is not None:
            return failed
    return "ok"
