"""What a guest agent offers: its ``guest-info`` command list.

The agent has no ``query-qmp-schema``, so this list (name, enabled) is what
completion, the input highlighting, ``help`` and the check before sending
know of it (`command_values`, `check_command`).  `explain` words the
agent's "command not found" replies.  Pure but for `guest_commands`, which
asks the agent through the *execute* it is given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, NamedTuple

from qmpsh.schema.validate import Problem, suggest


class AgentCommand(NamedTuple):
    """One entry of guest-info's ``supported_commands``."""

    name: str
    enabled: bool = True
    success_response: bool = True


def parse_guest_info(value: Any) -> tuple[AgentCommand, ...]:
    """The commands of a ``guest-info`` return value, sorted by name."""
    if not isinstance(value, Mapping):
        return ()
    out = []
    for item in value.get("supported_commands", []):
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            out.append(
                AgentCommand(
                    item["name"],
                    bool(item.get("enabled", True)),
                    bool(item.get("success-response", True)),
                )
            )
    return tuple(sorted(out, key=lambda c: c.name))


async def guest_commands(
    execute: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
) -> tuple[AgentCommand, ...]:
    """The agent's commands, from ``guest-info`` (empty on an error reply)."""
    reply = await execute({"execute": "guest-info"})
    return parse_guest_info(reply.get("return"))


def command_values(commands: Iterable[AgentCommand]) -> list[tuple[str, str]]:
    """``(name, meta)`` for completion: a disabled command says so."""
    return [(c.name, "" if c.enabled else "disabled in this agent") for c in commands]


def check_command(
    name: str, commands: Mapping[str, AgentCommand], builtin_names: Iterable[str] = ()
) -> str | None:
    """Why the agent would refuse *name* (one line), or None: a command it
    does not have (with the closest names, *builtin_names* too) or one it
    disabled.  *commands* by name; empty when not known (yet), and then
    nothing is checked."""
    if not commands:
        return None
    command = commands.get(name)
    if command is None:
        names = [*commands, *builtin_names]
        return str(Problem(_unknown(name), suggestions=suggest(name, names)))
    return None if command.enabled else _disabled(name)


def explain(reply: Mapping[str, Any], command: str) -> str | None:
    """One line for an error reply of a guest agent when qmpsh can say more
    than the agent: a command it disabled, or one it does not have."""
    error = reply.get("error")
    if not isinstance(error, Mapping) or error.get("class") != "CommandNotFound":
        return None
    desc = str(error.get("desc", ""))
    if desc.endswith("has been disabled"):
        return _disabled(command)
    return _unknown(command)


def _disabled(command: str) -> str:
    return (
        f"CommandNotFound: {command} is disabled in this guest agent (qemu-ga "
        "--block-rpcs or --allow-rpcs); guest-info lists which commands are "
        "enabled"
    )


def _unknown(command: str) -> str:
    return f"CommandNotFound: this guest agent has no command {command} (guest-info lists them)"
