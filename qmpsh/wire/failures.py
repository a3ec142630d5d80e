"""Why a session could not start, or ended: the one line the user reads.

Pure: from the exception and what the connection saw (`Evidence`) to text.
``qemu.qmp``'s errors are told apart by their (public) classes.
"""

from __future__ import annotations

from typing import NamedTuple

from qemu.qmp.error import ProtocolError
from qemu.qmp.message import DeserializationError, UnexpectedTypeError
from qemu.qmp.qmp_client import GreetingError, NegotiationError, ServerParseError

from qmpsh.core.text import os_text
from qmpsh.lang.literal import clip
from qmpsh.wire.adapter import CutMessage
from qmpsh.wire.jsonread import INT_DIGITS, too_long_integer


class Evidence(NamedTuple):
    """What the connection knew when it failed."""

    address: str
    #: the last line read (for a greeting that was not QMP)
    last_input: bytes | None
    #: the last line that was not a JSON object
    last_bad_input: bytes | None
    read_limit: int


def session_error(exc: BaseException, ev: Evidence) -> str:
    """Why the greeting or the negotiation failed."""
    where = ev.address
    if isinstance(exc, EOFError):
        return (
            f"{where} closed the connection before the QMP greeting "
            "(is another client connected, or is it not a QMP server?)"
        )
    if isinstance(exc, GreetingError):
        seen = ev.last_input
        got = f": got {clip(seen.decode('utf-8', 'replace'))}" if seen else ""
        return f"{where} did not send a QMP greeting{got}"
    if isinstance(exc, NegotiationError):
        why = exc.error_message
        if isinstance(exc.exc, ProtocolError):
            why = lost(exc.exc, ev).removeprefix("the server ")
        return f"capabilities negotiation with {where} failed: {why}"
    if isinstance(exc, ValueError | RecursionError):
        return f"{where}: {lost(exc, ev)}"
    if isinstance(exc, OSError):
        return f"connection to {where} failed: {os_text(exc)}"
    return f"session with {where} failed: {exc}"


def no_greeting(address: str, seconds: float) -> str:
    """The socket was open, and nothing came within *seconds*."""
    return (
        f"connected to {address} but no QMP greeting came within "
        f"{seconds:g} s: the monitor is busy, another client "
        "probably holds it (QEMU serves one QMP client at a time), or "
        "it is a guest agent (use -N)"
    )


def ended(failure: BaseException | None, ev: Evidence) -> str:
    """Why a running session ended (*failure*: what the reader or the
    disconnect raised, if anything)."""
    if isinstance(failure, CutMessage):
        return (
            f"{ev.address} closed the connection in the middle of a "
            f"message ({failure.size} bytes of it arrived)"
        )
    if failure is None or isinstance(failure, EOFError):
        return f"{ev.address} closed the connection"
    return lost(failure, ev)


def lost(err: BaseException, ev: Evidence) -> str:
    if isinstance(err, DeserializationError | UnicodeDecodeError):
        bad = _show(ev.last_bad_input)
        return f"the server sent data that is not JSON: {bad}"
    if isinstance(err, UnexpectedTypeError):
        bad = _show(ev.last_bad_input)
        return f"the server sent JSON that is not an object: {bad}"
    if isinstance(err, ServerParseError):
        return "the server reported that it could not parse our input"
    if too_long_integer(err):
        return (
            f"the server sent an integer of more than {INT_DIGITS} digits, "
            f"more than qmpsh reads"
        )
    if isinstance(err, ValueError) and "limit" in str(err):
        return (
            f"a message longer than the read limit ({ev.read_limit} bytes) "
            "arrived (raise it with --read-limit)"
        )
    if isinstance(err, RecursionError) or "recursion" in str(err):
        return "the server sent JSON nested too deeply"
    if isinstance(err, ConnectionResetError | BrokenPipeError):
        # the server went away while we were writing to it
        return f"{ev.address} closed the connection ({os_text(err)})"
    if isinstance(err, OSError):
        return f"connection to {ev.address} failed: {os_text(err)}"
    return f"connection to {ev.address} failed: {type(err).__name__}: {err}"


def _show(data: bytes | None) -> str:
    return clip((data or b"").decode("utf-8", "backslashreplace"))
