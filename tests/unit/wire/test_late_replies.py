"""What qmpsh says about a request it stopped waiting for (qmpsh.wire.late_replies)."""

from __future__ import annotations

from typing import Any

from qmpsh.wire.late_replies import late_reply, request_name, stopped_waiting, timed_out

ADD = {"execute": "device_add", "arguments": {"driver": "virtio-net-pci"}}


def hmp(line: str) -> dict[str, Any]:
    return {"execute": "human-monitor-command", "arguments": {"command-line": line}}


def test_requests_are_named_by_command_or_hmp_line() -> None:
    assert request_name(ADD) == "device_add"
    assert request_name({"exec-oob": "migrate-pause"}) == "migrate-pause"
    assert request_name(hmp("  info   status ")) == "HMP info status"
    assert request_name(hmp("")) == "human-monitor-command"
    assert request_name({"execute": "human-monitor-command"}) == (
        "human-monitor-command"
    )
    assert request_name({"execute": 3}) == "the request"
    # passwords stay out of the line (it goes to the wire log too)
    assert request_name(hmp("set_password vnc hunter2")) == (
        "HMP set_password vnc <redacted>"
    )


def test_stopping_to_wait_says_the_command_may_still_run() -> None:
    assert stopped_waiting(ADD) == (
        "device_add: stopped waiting (QEMU may still run it; its reply will be "
        "shown when it comes)"
    )
    assert stopped_waiting({"execute": "guest-fsfreeze-freeze"}, agent=True) == (
        "guest-fsfreeze-freeze: stopped waiting (the guest agent may still run "
        "it; its reply will be shown when it comes)"
    )
    assert timed_out(ADD, 0.5) == (
        "no reply to device_add within 0.5 s (QEMU may still run it)"
    )
    assert timed_out(hmp("info status"), None, agent=True) == (
        "no reply to HMP info status (the guest agent may still run it)"
    )


def test_a_late_reply_says_how_it_went_in_one_line() -> None:
    assert late_reply(ADD, {"return": {}, "id": "x"}) == "late reply to device_add: ok"
    error = {"class": "GenericError", "desc": "Duplicate device ID 'n1'"}
    assert late_reply(ADD, {"error": error}) == (
        "late reply to device_add: GenericError: Duplicate device ID 'n1'"
    )
    # a query's value is not shown: only that it came
    assert late_reply({"execute": "qom-get"}, {"return": "none-machine"}) == (
        "late reply to qom-get: ok"
    )
    # HMP: its failure line, else ok (never its output)
    assert late_reply(
        hmp("nonsense"), {"return": "unknown command: 'nonsense'\r\n"}
    ) == ("late reply to HMP nonsense: unknown command: 'nonsense'")
    assert late_reply(hmp("info status"), {"return": "VM status: running\r\n"}) == (
        "late reply to HMP info status: ok"
    )
