"""qmpsh.wire.failures: ``qemu.qmp``'s errors are told apart by their classes."""

from __future__ import annotations

from qemu.qmp import Message
from qemu.qmp.message import DeserializationError, UnexpectedTypeError
from qemu.qmp.qmp_client import GreetingError, NegotiationError, ServerParseError

from qmpsh.wire.adapter import CutMessage
from qmpsh.wire.failures import Evidence, ended, lost, session_error

EV = Evidence("/q.sock", b'{"hello": 1}\n', b"not json\n", 4096)


def test_greeting_and_negotiation_errors() -> None:
    greeting = GreetingError("bad greeting", ValueError())
    assert session_error(greeting, EV) == (
        "/q.sock did not send a QMP greeting: got '{\"hello\": 1}\\n'"
    )
    negotiation = NegotiationError("CommandNotFound: nope", ValueError())
    assert session_error(negotiation, EV) == (
        "capabilities negotiation with /q.sock failed: CommandNotFound: nope"
    )
    inner = DeserializationError("bad", b"not json")
    assert session_error(NegotiationError("bad reply", inner), EV) == (
        "capabilities negotiation with /q.sock failed: sent data that is not "
        "JSON: 'not json\\n'"
    )
    assert session_error(EOFError(), EV).startswith(
        "/q.sock closed the connection before the QMP greeting"
    )


def test_errors_of_a_running_session() -> None:
    assert lost(DeserializationError("bad", b"x"), EV) == (
        "the server sent data that is not JSON: 'not json\\n'"
    )
    assert lost(UnexpectedTypeError("not an object", [1]), EV) == (
        "the server sent JSON that is not an object: 'not json\\n'"
    )
    parse = ServerParseError("no id", Message({"error": {"class": "GenericError"}}))
    assert lost(parse, EV) == "the server reported that it could not parse our input"
    assert lost(KeyError("x"), EV) == "connection to /q.sock failed: KeyError: 'x'"
    assert ended(CutMessage(5), EV) == (
        "/q.sock closed the connection in the middle of a message "
        "(5 bytes of it arrived)"
    )
    assert ended(None, EV) == "/q.sock closed the connection"
