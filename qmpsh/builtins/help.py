"""The ``help`` built-in: commands, events and built-ins, from the schema."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from typing import Any

from qmpsh.builtins import helptext
from qmpsh.builtins.context import Context
from qmpsh.builtins.keytable import keys_text
from qmpsh.builtins.registry import builtin, load_all
from qmpsh.core.exitcodes import Exit
from qmpsh.lang.parser import ParseError, Request, parse
from qmpsh.schema.agent import AgentCommand
from qmpsh.schema.validate import Problem, suggest

USAGE = "[COMMAND|EVENT|BUILT-IN [KEY=VALUE ...] | keys]"


def _width(ctx: Context) -> int:
    if not ctx.interactive:
        return 80
    return max(40, shutil.get_terminal_size((80, 24)).columns - 1)


@builtin(
    "help",
    "list commands, or describe a command, event or built-in",
    USAGE,
    offline=True,
)
async def help_cmd(ctx: Context, text: str) -> int:
    """Without a name: the server's commands by subject, then the built-ins.
    With a command or event name: its arguments (or data) as a tree, with
    types, whether each is optional, enum values, the return type and
    whether it may run out-of-band.  KEY=VALUE after the name selects a
    union's variant (``help blockdev-add driver=qcow2``).  ``help keys``
    lists the key bindings of the interactive shell."""
    words = text.split(None, 1)
    builtins = load_all()
    name = words[0] if words else ""
    if name == "keys":
        ctx.console.out(keys_text())
        return Exit.OK
    if name in builtins:
        lines = helptext.builtin_help(builtins[name], _width(ctx))
        ctx.console.out("\n".join(lines))
        return Exit.OK
    service = ctx.schema_service()
    schema = await service.load()
    width = _width(ctx)
    agent = service.agent_commands
    if schema is None and agent:
        return _agent_help(ctx, name, agent, service.agent_version, width)
    if not name:
        lines = helptext.command_list(schema, builtins, width)
        if schema is None:
            lines.insert(0, f"(no schema: {service.error})\n")
        ctx.console.out("\n".join(lines))
        return Exit.OK
    if schema is None:
        ctx.console.err(f"help: no schema to describe {name!r} ({service.error})")
        return Exit.COMMAND_ERROR
    name = name.rstrip("(")
    try:
        values = _values(text.rstrip("(") if len(words) == 1 else text)
    except ParseError as err:
        ctx.console.err(f"help: {err.message}")
        return Exit.PARSE_ERROR
    if name in schema.commands:
        lines = helptext.command_help(schema, name, values, width)
    elif name in schema.events:
        lines = helptext.event_help(schema, name, values, width)
    else:
        what = f"help: no command, event or built-in named {name!r}"
        return _unknown(ctx, what, name, [*schema.names(), *builtins])
    ctx.console.out("\n".join(lines))
    return Exit.OK


def _agent_help(
    ctx: Context,
    name: str,
    commands: Mapping[str, AgentCommand],
    version: str,
    width: int,
) -> int:
    """``help`` on a guest agent, from its guest-info command list."""
    builtins = load_all()
    if not name:
        lines = helptext.agent_command_list(commands, version, builtins, width)
    elif name in commands:
        lines = helptext.agent_command_help(commands[name], width)
    else:
        what = f"help: this guest agent has no command {name!r}"
        return _unknown(ctx, what, name, [*commands, *builtins])
    ctx.console.out("\n".join(lines))
    return Exit.OK


def _unknown(ctx: Context, what: str, name: str, names: list[str]) -> int:
    """Say that *name* is not known (*what*), with the names probably meant."""
    ctx.console.err(str(Problem(what, suggestions=suggest(name, [*names, "keys"]))))
    return Exit.PARSE_ERROR


def _values(text: str) -> dict[str, Any]:
    """The KEY=VALUE words after the name, as the parser reads them."""
    result = parse(text)
    if isinstance(result, Request):
        args = result.message.get("arguments")
        return args if isinstance(args, dict) else {}
    return {}
