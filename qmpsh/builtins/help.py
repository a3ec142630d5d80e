"""The ``help`` built-in: commands, events and built-ins, from the schema, in
the words of QEMU's QMP reference manual when it can be had."""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from typing import Any, NoReturn

from qmpsh.builtins import helpbuiltin, helpdocs, helptext
from qmpsh.builtins.aliases import table as alias_table
from qmpsh.builtins.context import Context
from qmpsh.builtins.keytable import keys_text
from qmpsh.builtins.registry import BuiltinError, builtin, load_all
from qmpsh.core.exitcodes import Exit
from qmpsh.lang.aliases import usage
from qmpsh.lang.parser import ParseError, Request, parse
from qmpsh.schema.agent import AgentCommand
from qmpsh.schema.manual.model import ServerKind
from qmpsh.schema.manual.service import server_kind, server_version, version_note
from qmpsh.schema.manual.view import Manual
from qmpsh.schema.validate import Problem, suggest

USAGE = "[COMMAND|EVENT|TYPE|VALUE|BUILT-IN [KEY=VALUE ...] [--json] | keys]"
_JSON = re.compile(r"(?:^|\s)--json(?=\s|$)")


def _width(ctx: Context) -> int:
    if not ctx.interactive:
        return 80
    return max(40, shutil.get_terminal_size((80, 24)).columns - 1)


@builtin(
    "help",
    "list commands, or describe a command, event, type or built-in",
    USAGE,
    options=("--json",),
    offline=True,
)
async def help_cmd(ctx: Context, text: str) -> int:
    """Without a name: the server's commands by subject, then the built-ins.
    With a command or event name: its arguments (or data) as a tree, with
    types, whether each is optional, enum values, the return type and
    whether it may run out-of-band; and, from QEMU's QMP reference manual
    (qemu-qmp-ref(7), installed with QEMU), its description, what each
    argument means, since when it exists, notes and examples, the examples
    in shorthand (``--json``: as the manual writes them).  KEY=VALUE after
    the name selects a union's variant (``help blockdev-add driver=qcow2``).
    A type's name (``help BlockdevOptions``) or an enum value's
    (``help MirrorSyncMode.top``, or just ``help top``) shows what the
    manual says of it.  ``help keys`` lists the key bindings of the
    interactive shell."""
    as_json = bool(_JSON.search(text))
    text = _JSON.sub(" ", text).strip()
    words = text.split(None, 1)
    builtins = load_all()
    name = words[0] if words else ""
    if name == "keys":
        ctx.console.out(keys_text())
        return Exit.OK
    if name in builtins:
        lines = helpbuiltin.builtin_help(builtins[name], _width(ctx))
        ctx.console.out("\n".join(lines))
        return Exit.OK
    aliases = alias_table(ctx)
    if name in aliases:
        alias = aliases[name]
        ctx.console.out(f"{usage(alias)}\n  alias: {alias.body}\n  ({alias.source})")
        return Exit.OK
    service = ctx.schema_service()
    schema = await service.load()
    width = _width(ctx)
    agent = service.agent_commands
    if schema is None and agent:
        return await _agent_help(ctx, name, agent, service.agent_version, as_json)
    if not name:
        lines = helptext.command_list(schema, builtins, width)
        if aliases:
            pad = max(len(n) for n in aliases) + 2
            lines += ["", "aliases:"]
            lines += [f"  {n.ljust(pad)}{aliases[n].body}" for n in sorted(aliases)]
        if schema is None:
            lines.insert(0, f"(no schema: {service.error})\n")
        ctx.console.out("\n".join(lines))
        return Exit.OK
    if schema is None:
        raise BuiltinError(f"no schema to describe {name!r} ({service.error})")
    name = name.rstrip("(")
    try:
        values = _values(text.rstrip("(") if len(words) == 1 else text)
    except ParseError as err:
        raise BuiltinError(err.message, Exit.PARSE_ERROR) from None
    manual, note = await _manual(ctx, server_kind(schema.commands, False))
    if name in schema.commands:
        lines = helptext.command_help(schema, name, values, width, manual, as_json)
    elif name in schema.events:
        lines = helptext.event_help(schema, name, values, width, manual, as_json)
    else:
        found = _from_manual(manual, name, width, as_json)
        if found is None:
            what = f"no command, event or built-in named {name!r}"
            names = [*schema.names(), *builtins]
            _unknown(what, name, names, manual)
        lines = found
    _say(ctx, lines, note)
    return Exit.OK


async def _manual(
    ctx: Context, kind: ServerKind | None, agent_version: str = ""
) -> tuple[Manual | None, str | None]:
    """The manual of the server, and a note to give with it: that it is of
    another version, or why there is none (what to install)."""
    if kind is None:
        return None, None
    service = ctx.manual_service()
    manual = await service.load(kind)
    if manual is None:
        error = service.error(kind)
        return (
            None,
            f"note: no text from QEMU's manual: {error.message}" if error else None,
        )
    version = server_version(ctx.conn.greeting, agent_version)
    return manual, version_note(manual, version)


def _say(ctx: Context, lines: list[str], note: str | None) -> None:
    """Print *lines*, the *note* under the first one."""
    if note is not None:
        lines.insert(1, f"  {note}")
    ctx.console.out("\n".join(lines))


def _from_manual(
    manual: Manual | None, name: str, width: int, as_json: bool
) -> list[str] | None:
    """``help TYPE`` or ``help VALUE``: what the manual alone knows."""
    if manual is None:
        return None
    entry = manual.find(name)
    if entry is not None and entry.kind not in ("command", "event"):
        return helpdocs.entry_help(manual, entry, width, as_json)
    matches = helpdocs.value_matches(manual, name)
    return helpdocs.value_help(matches, width) if matches else None


async def _agent_help(
    ctx: Context,
    name: str,
    commands: Mapping[str, AgentCommand],
    version: str,
    as_json: bool,
) -> int:
    """``help`` on a guest agent, from its guest-info command list and the
    manual (an agent publishes no schema)."""
    builtins = load_all()
    width = _width(ctx)
    if not name:
        lines = helptext.agent_command_list(commands, version, builtins, width)
        ctx.console.out("\n".join(lines))
        return Exit.OK
    manual, note = await _manual(ctx, "guest-agent", version)
    entry = manual.get(name) if manual is not None and name in commands else None
    if entry is not None and manual is not None:
        state = "enabled" if commands[name].enabled else "disabled in this agent"
        lines = helpdocs.entry_help(manual, entry, width, as_json)
        lines.insert(1, f"  a command of this guest agent ({state})")
    elif name in commands:
        lines = helptext.agent_command_help(commands[name], width)
        if manual is not None:
            lines.append("  undocumented here: the manual has no such command")
    else:
        found = _from_manual(manual, name, width, as_json)
        if found is None:
            what = f"this guest agent has no command {name!r}"
            _unknown(what, name, [*commands, *builtins], manual)
        lines = found
    _say(ctx, lines, note)
    return Exit.OK


def _unknown(what: str, name: str, names: list[str], manual: Manual | None) -> NoReturn:
    """Raise `BuiltinError`: *name* is not known (*what*), with the names probably meant
    (the manual's types too); that the manual describes it when it does
    (this server is of another version, or another kind)."""
    entry = manual.find(name) if manual is not None else None
    if entry is not None:
        what += (
            f" (the manual describes a {entry.kind} {entry.name}: not this server's)"
        )
        raise BuiltinError(what, Exit.PARSE_ERROR)
    types = (
        [n for n in manual.names() if manual.kind_of(n) not in ("command", "event")]
        if manual
        else []
    )
    found = suggest(name, [*names, "keys", *types])
    raise BuiltinError(str(Problem(what, suggestions=found)), Exit.PARSE_ERROR)


def _values(text: str) -> dict[str, Any]:
    """The KEY=VALUE words after the name, as the parser reads them."""
    result = parse(text)
    if isinstance(result, Request):
        args = result.message.get("arguments")
        return args if isinstance(args, dict) else {}
    return {}
