"""A guest agent's command list (guest-info): parsing, completion values,
the check before sending and the help listing."""

from __future__ import annotations

from qmpsh.builtins import helptext
from qmpsh.builtins import registry as builtins
from qmpsh.schema.agent import (
    AgentCommand,
    check_command,
    command_values,
    explain,
    parse_guest_info,
)

INFO = {
    "version": "7.2.22",
    "supported_commands": [
        {"name": "guest-ping", "enabled": True, "success-response": True},
        {"name": "guest-exec", "enabled": False, "success-response": True},
        {"name": "guest-shutdown", "enabled": True, "success-response": False},
        {"name": "guest-info", "enabled": True, "success-response": True},
        {"enabled": True},  # no name: skipped
        "garbage",
    ],
}


def by_name() -> dict[str, AgentCommand]:
    return {c.name: c for c in parse_guest_info(INFO)}


def test_parse_guest_info_sorts_and_skips_bad_entries() -> None:
    commands = parse_guest_info(INFO)
    assert [c.name for c in commands] == [
        "guest-exec",
        "guest-info",
        "guest-ping",
        "guest-shutdown",
    ]
    assert not by_name()["guest-exec"].enabled
    assert not by_name()["guest-shutdown"].success_response
    assert parse_guest_info(None) == () and parse_guest_info([1]) == ()


def test_completion_values_mark_disabled_commands() -> None:
    assert command_values(parse_guest_info(INFO)) == [
        ("guest-exec", "disabled in this agent"),
        ("guest-info", ""),
        ("guest-ping", ""),
        ("guest-shutdown", ""),
    ]


def test_check_command() -> None:
    commands = by_name()
    assert check_command("guest-ping", commands) is None
    assert check_command("guest-pnig", commands) == (
        "CommandNotFound: this guest agent has no command guest-pnig "
        "(guest-info lists them); did you mean 'guest-ping'?"
    )
    assert check_command("query-status", commands) == (
        "CommandNotFound: this guest agent has no command query-status "
        "(guest-info lists them)"
    )
    # a misspelt built-in is named as on a QEMU
    assert check_command("jbos", commands, builtins.MODULES) == (
        "CommandNotFound: this guest agent has no command jbos "
        "(guest-info lists them); did you mean 'jobs'?"
    )
    disabled = check_command("guest-exec", commands)
    assert disabled is not None and "guest-exec is disabled" in disabled
    # the agent's own refusal of that command is worded the same way
    refusal = {"error": {"class": "CommandNotFound", "desc": "x has been disabled"}}
    assert explain(refusal, "guest-exec") == disabled
    # nothing known yet (guest-info not answered): nothing to refuse
    assert check_command("anything", {}) is None


def test_help_lists_enabled_then_disabled_then_builtins() -> None:
    lines = helptext.agent_command_list(by_name(), "7.2.22", builtins.load_all(), 80)
    assert lines[0] == "commands of qemu-ga 7.2.22:"
    text = "\n".join(lines)
    enabled, _, rest = text.partition("disabled in this agent")
    assert "guest-ping" in enabled and "guest-shutdown" in enabled
    assert "guest-exec" not in enabled
    disabled, _, tail = rest.partition("built-ins:")
    assert disabled.split() == [
        "(qemu-ga",
        "--block-rpcs",
        "or",
        "--allow-rpcs):",
        "guest-exec",
    ]
    assert "  help" in tail
    assert all(len(line) <= 80 for line in lines)
    everything_on = {n: c._replace(enabled=True) for n, c in by_name().items()}
    lines = helptext.agent_command_list(everything_on, "", builtins.load_all())
    assert lines[0] == "commands of the guest agent:"
    assert not any("disabled" in line for line in lines)


def test_help_of_one_agent_command() -> None:
    text = " ".join(helptext.agent_command_help(by_name()["guest-exec"], 60))
    assert text.startswith(
        "guest-exec: a command of this guest agent (disabled in this agent)."
    )
    text = " ".join(helptext.agent_command_help(by_name()["guest-ping"], 60))
    assert "(enabled)" in text
