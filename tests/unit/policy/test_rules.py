"""The request policy: what --read-only, --allow and --deny let through."""

from __future__ import annotations

from typing import Any

import pytest

from qmpsh.policy.readonly import changes_nothing
from qmpsh.policy.rules import Policy, units


def msg(command: str, **args: Any) -> dict[str, Any]:
    return {"execute": command, "arguments": args}


def hmp(line: str) -> dict[str, Any]:
    return msg("human-monitor-command", **{"command-line": line})


TX = msg(
    "transaction",
    actions=[
        {"type": "blockdev-snapshot-sync", "data": {}},
        {"type": "abort", "data": {}},
    ],
)

READ_ONLY = Policy(read_only=True)


@pytest.mark.parametrize(
    ("policy", "message", "refused"),
    [
        (Policy(), msg("quit"), None),
        (READ_ONLY, msg("query-status"), None),
        (READ_ONLY, msg("qom-get", path="/machine", property="type"), None),
        (READ_ONLY, msg("x-query-registers"), None),
        (READ_ONLY, msg("guest-get-osinfo"), None),
        (READ_ONLY, {"exec-oob": "query-status"}, None),
        (READ_ONLY, hmp("info block"), None),
        (READ_ONLY, hmp("  help"), None),
        (
            READ_ONLY,
            msg("stop"),
            "stop: refused by --read-only: this command may change something (not sent)",
        ),
        (READ_ONLY, msg("qom-set", path="/m", property="p", value=1), "qom-set: "),
        (READ_ONLY, TX, "transaction: "),
        (READ_ONLY, msg("transaction", actions=[]), "transaction: "),
        # the refusal names an HMP line by its first word: the rest may be a secret
        (
            READ_ONLY,
            hmp("set_password vnc hunter2"),
            "set_password: refused by --read-only: this HMP command may change "
            "something (not sent)",
        ),
        (READ_ONLY, hmp(""), "human-monitor-command: "),
        (Policy(deny=("quit",)), msg("quit"), "quit: refused by --deny quit (not sent)"),
        (Policy(deny=("system_*",)), msg("system_reset"), "system_reset: "),
        (Policy(deny=("system_*",)), msg("query-status"), None),
        (Policy(deny=("query-*",)), msg("query-status"), "query-status: "),
        # a transaction's actions are judged one by one
        (Policy(deny=("blockdev-snapshot-*",)), TX, "blockdev-snapshot-sync: "),
        (Policy(deny=("transaction",)), TX, "transaction: "),
        (Policy(allow=("blockdev-*", "abort")), TX, None),
        (Policy(allow=("blockdev-*",)), TX, "abort: refused: no --allow pattern"),
        # HMP answers to human-monitor-command and to "hmp WORD"
        (Policy(deny=("hmp q*",)), hmp("quit"), "quit: refused by --deny hmp q*"),
        (Policy(deny=("hmp q*",)), hmp("info status"), None),
        (Policy(deny=("human-monitor-command",)), hmp("info status"), "info: "),
        (Policy(allow=("hmp info",)), hmp("info status"), None),
        (Policy(allow=("hmp info",)), hmp("stop"), "stop: refused: no --allow"),
        (Policy(allow=("human-monitor-command",)), hmp("stop"), None),
        (Policy(allow=("query-*",)), msg("query-status"), None),
        (Policy(allow=("query-*",)), msg("stop"), "stop: refused: no --allow"),
        # allowing guest-exec allows following its programs (guest-run's polls)
        (Policy(allow=("guest-exec",)), msg("guest-exec-status", pid=1), None),
        (Policy(allow=("guest-exec*",)), msg("guest-exec-status", pid=1), None),
        (Policy(allow=("guest-exec-status",)), msg("guest-exec", path="/bin/true"), "guest-exec: refused: no --allow"),
        (Policy(allow=("guest-ping",)), msg("guest-exec-status", pid=1), "guest-exec-status: refused: no --allow"),
        (Policy(allow=("guest-exec",), deny=("guest-exec-status",)), msg("guest-exec-status", pid=1), "guest-exec-status: refused by --deny"),
        (Policy(deny=("guest-exec",)), msg("guest-exec-status", pid=1), None),
        (READ_ONLY, msg("guest-exec-status", pid=1), "guest-exec-status: refused by --read-only"),
        # deny wins over allow, and read-only over allow
        (Policy(allow=("query-*",), deny=("query-status",)), msg("query-status"), "query-status: refused by --deny"),
        (Policy(read_only=True, allow=("stop",)), msg("stop"), "stop: refused by --read-only"),
        # case matters, as in QMP
        (Policy(deny=("QUIT",)), msg("quit"), None),
        # what has no command is the server's to refuse
        (READ_ONLY, {"arguments": {}}, None),
    ],
)  # fmt: skip
def test_policy(policy: Policy, message: dict[str, Any], refused: str | None) -> None:
    got = policy.refusal(message)
    if refused is None:
        assert got is None
    else:
        assert got is not None and got.startswith(refused), got


def test_open_policy_checks_nothing() -> None:
    assert Policy().open
    assert not Policy(deny=("x",)).open
    assert not READ_ONLY.open


def test_units() -> None:
    assert [u.label for u in units(TX)] == [
        "transaction",
        "blockdev-snapshot-sync",
        "abort",
    ]
    assert units(hmp("info block"))[0].names == ("human-monitor-command", "hmp info")


@pytest.mark.parametrize(
    ("command", "read_only"),
    [
        ("query-status", True),
        ("qom-list", True),
        ("qmp_capabilities", True),
        ("guest-ping", True),
        ("qom-set", False),
        ("stop", False),
        ("guest-exec-status", False),  # it reaps the process
        ("guest-file-read", False),  # it moves the file position
    ],
)
def test_changes_nothing(command: str, read_only: bool) -> None:
    assert changes_nothing(command) is read_only
