"""What the proxy answers a client itself (qmpsh.proxy.answers)."""

from __future__ import annotations

import json

from qmpsh.policy.rules import Policy
from qmpsh.proxy.answers import FORWARD, Local, encode, greeting, judge

QEMU = {
    "QMP": {
        "version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""},
        "capabilities": ["oob"],
    }
}


def test_the_greeting_is_qemus_without_oob() -> None:
    got = greeting(QEMU)
    assert got["QMP"]["capabilities"] == []
    assert got["QMP"]["version"] == QEMU["QMP"]["version"]
    assert QEMU["QMP"]["capabilities"] == ["oob"]  # not changed


def test_negotiation_is_answered_here() -> None:
    verdict = judge({"execute": "qmp_capabilities", "id": {"a": 1}}, False, Policy())
    assert verdict == Local({"return": {}, "id": {"a": 1}}, negotiated=True)
    again = judge({"execute": "qmp_capabilities"}, True, Policy())
    assert isinstance(again, Local)
    assert again.reply["error"]["class"] == "CommandNotFound"
    assert "already complete" in again.reply["error"]["desc"]


def test_oob_cannot_be_enabled() -> None:
    verdict = judge(
        {"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}, "id": 3},
        False,
        Policy(),
    )
    assert isinstance(verdict, Local)
    assert not verdict.negotiated
    assert verdict.reply["id"] == 3
    assert "Capability 'oob' not available" in verdict.reply["error"]["desc"]


def test_a_command_before_negotiation_is_command_not_found() -> None:
    verdict = judge({"execute": "query-status", "id": None}, False, Policy())
    assert isinstance(verdict, Local)
    assert verdict.reply == {
        "error": {
            "class": "CommandNotFound",
            "desc": "Expecting capabilities negotiation with 'qmp_capabilities'",
        },
        "id": None,
    }


def test_the_policy_refuses_with_a_generic_error_naming_it() -> None:
    verdict = judge({"execute": "stop"}, True, Policy(read_only=True))
    assert isinstance(verdict, Local)
    assert "id" not in verdict.reply
    assert verdict.reply["error"]["class"] == "GenericError"
    assert verdict.reply["error"]["desc"] == (
        "qmpsh proxy: stop: refused by --read-only: this command may change "
        "something (not sent)"
    )
    assert verdict.refused
    assert judge({"execute": "query-status"}, True, Policy(read_only=True)) is FORWARD
    assert judge({"execute": "stop"}, True, Policy()) is FORWARD


def test_replies_are_one_line() -> None:
    data = encode({"return": {}, "id": "a\nb"})
    assert data.endswith(b"\r\n") and data.count(b"\n") == 1
    assert json.loads(data) == {"return": {}, "id": "a\nb"}
