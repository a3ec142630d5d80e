"""Variables and aliases: the ``vars``, ``alias`` and ``unalias`` built-ins,
and the session's alias table (`table`).

The rules live in `qmpsh.lang.variables` and `qmpsh.lang.aliases` (pure);
the state in `qmpsh.builtins.context.SessionState` (``variables``,
``aliases``).  The table is the config file's ``[aliases]`` (read on first
use: in batch mode from the file itself, which batch mode otherwise does
not read), then what ``alias`` defined in this session.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from qmpsh.builtins.context import Context
from qmpsh.builtins.registry import MODULES, BuiltinError, builtin
from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import render_json
from qmpsh.lang.anatomy import ALIAS, anatomy

if TYPE_CHECKING:
    from qmpsh.lang.aliases import Alias

#: where an alias of the config file comes from, as messages say it
FROM_CONFIG = "[aliases] in the config file"
FROM_BUILTIN = "the alias built-in"


def table(ctx: Context) -> dict[str, Alias]:
    """The session's aliases (the config file's read on first use; one
    that cannot be used is said once, on stderr, and left out)."""
    found = ctx.session.aliases
    if found is not None:
        return found
    raw = dict(ctx.settings.aliases)
    if not ctx.interactive and not raw:
        raw = _batch_aliases(ctx)
    out: dict[str, Alias] = {}
    if not raw:
        ctx.session.aliases = out
        return out
    from qmpsh.lang.aliases import Alias, problem

    pending = {name: Alias(name, body, FROM_CONFIG) for name, body in raw.items()}
    for name, alias in pending.items():
        wrong = problem(name, alias.body, pending, MODULES)
        if wrong is not None:
            ctx.console.err(f"{FROM_CONFIG}: {wrong}; left out")
            continue
        out[name] = alias
    ctx.session.aliases = out
    return out


def _batch_aliases(ctx: Context) -> dict[str, str]:
    """Batch mode: the config file's ``[aliases]`` (what it reads of the
    file).  The file is looked at without importing the config machinery
    (a one-shot's start-up), and parsed only when it has the word."""
    import os

    from qmpsh.core.paths import config_dir_name

    name = os.path.join(config_dir_name(), "config.toml")
    try:
        with open(name, "rb") as handle:
            data = handle.read()
    except OSError:
        data = b""  # missing: no aliases; unreadable: said when parsed
        if os.path.lexists(name):
            data = b"aliases"
    if b"aliases" not in data:
        return {}
    from pathlib import Path

    from qmpsh.core.config import aliases_table

    path = Path(name)
    raw, warnings = aliases_table(path)
    for warning in warnings:
        ctx.console.err(f"{path}: {warning}")
    return raw


def alias_values(ctx: Context) -> list[tuple[str, str]]:
    """The aliases as completion offers them: name, and what it runs."""
    return [(a.name, f"alias: {a.body}") for a in table(ctx).values()]


async def server_commands(ctx: Context) -> Collection[str]:
    """The server's command names (its schema, or a guest agent's list);
    empty when they cannot be had."""
    service = ctx.schema_service()
    try:
        schema = await service.load()
    except Exception:  # no schema: the names cannot be checked
        return ()
    if schema is not None:
        return schema.commands
    return service.agent_commands


def shown_value(name: str, value: Any, redact: bool) -> Any:
    """*value* with its secrets hidden (as ``-v`` hides a request's)."""
    if not redact:
        return value
    from qmpsh.lang.redact import redact as hide

    hidden = hide({"execute": "", "arguments": {name: value}})
    return value if hidden is None else hidden["arguments"][name]


@builtin(
    "vars", "list the variables (NAME = COMMAND binds one)", "[NAME ...]", offline=True
)
async def vars_cmd(ctx: Context, text: str) -> int:
    """List the variables bound in this session: ``NAME = COMMAND`` binds
    NAME to the command's return value, and ``$_`` is the last command's;
    ``$NAME`` or ``${NAME.member[0]}`` in a later line's values is
    replaced by it.  Secrets in them are shown as ``<redacted>`` (unless
    ``--log-secrets``).  With NAMEs, only those.  In batch mode, one JSON
    object."""
    state = ctx.session.variables
    wanted = text.split()
    for name in wanted:
        if name.lstrip("$") not in state.values:
            from qmpsh.lang.variables import unbound

            raise BuiltinError(
                unbound(name.lstrip("$"), state, literal=False), Exit.PARSE_ERROR
            )
    names = [n.lstrip("$") for n in wanted] or state.defined()
    shown = {n: shown_value(n, state.values[n], ctx.settings.redact) for n in names}
    if not ctx.interactive:
        ctx.console.out(render_json(shown, ctx.pretty()))
        return Exit.OK
    if not shown:
        ctx.console.out("no variables (NAME = COMMAND binds one)")
    for name, value in shown.items():
        ctx.console.out(f"${name} = {render_json(value, ctx.pretty())}")
    for name, why in sorted(state.failed.items()):
        if not wanted:
            ctx.console.out(f"${name}: not bound ({why})")
    return Exit.OK


@builtin(ALIAS, "define or list aliases", "[NAME [= COMMAND $1 $2 ... $@]]")
async def alias_cmd(ctx: Context, text: str) -> int:
    """Define an alias for this session: ``alias mirror = drive-mirror
    device=$1 target=$2 sync=full``, then ``mirror drive0 /tmp/x.qcow2``
    runs it.  ``$1``, ``$2``... are the words after the alias's name as
    typed, ``$@`` (or ``$*``) the words after the highest ``$N`` the body
    uses.  Without ``=``: show the alias NAME, or all of them.  Aliases
    that last go in the config file's ``[aliases]`` table.  An alias may not
    take the name of a built-in or of one of the server's commands, nor
    expand to itself."""
    from qmpsh.lang.aliases import Alias, problem, usage

    aliases = table(ctx)
    name, body = text.strip(), None
    # alias NAME = BODY, NAME one word, as the one reading of a line finds
    # it (`qmpsh.lang.anatomy`: the highlighting, the history's redaction,
    # completion); anything else with an = is no definition
    line = f"{ALIAS} {text}"
    found = anatomy(line, targets=False).alias
    if found is not None:
        name = line[found.name.start : found.name.end]
        body = line[found.equals + 1 :].strip()
    elif "=" in name or len(name.split()) > 1:
        raise BuiltinError(
            "no definition nor a name: alias NAME = COMMAND ... defines one, "
            "alias NAME shows it",
            Exit.PARSE_ERROR,
        )
    if body is None:
        if name and name not in aliases:
            raise BuiltinError(f"no alias {name}", Exit.PARSE_ERROR)
        chosen = [aliases[name]] if name else list(aliases.values())
        if not ctx.interactive:
            ctx.console.out(render_json({a.name: a.body for a in chosen}, ctx.pretty()))
            return Exit.OK
        if not chosen:
            ctx.console.out("no aliases (alias NAME = COMMAND defines one)")
        for alias in chosen:
            ctx.console.out(
                f"{alias.name} = {alias.body}    # {usage(alias)}; {alias.source}"
            )
        return Exit.OK
    reserved = set(MODULES) | set(await server_commands(ctx))
    others = {k: v for k, v in aliases.items() if k != name}
    wrong = problem(name, body, {**others, name: Alias(name, body)}, reserved)
    if wrong is not None:
        raise BuiltinError(wrong, Exit.PARSE_ERROR)
    aliases[name] = Alias(name, body, FROM_BUILTIN)
    return Exit.OK


@builtin("unalias", "forget an alias for this session", "NAME ...", offline=True)
async def unalias_cmd(ctx: Context, text: str) -> int:
    """Forget the aliases NAME... for the rest of this session (the config
    file's come back in the next one)."""
    aliases = table(ctx)
    names = text.split()
    if not names:
        raise BuiltinError("unalias NAME ...: which alias?", Exit.PARSE_ERROR)
    for name in names:
        if aliases.pop(name, None) is None:
            raise BuiltinError(f"no alias {name}", Exit.PARSE_ERROR)
    return Exit.OK
