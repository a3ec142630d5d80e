"""Batch mode's side of variables and aliases (`qmpsh.lang.bound` does the
reading, as for the shell): a command's first line prepared (``NAME =``
split off, its alias expanded, an alias named like a server's command
refused) and a reply's return value recorded (``$_``, and the variable its
line binds).

The runner (`qmpsh.batch.runner`) makes a line that holds a ``$`` wait for
the replies before it, so that what is recorded here is what the lines
above bound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qmpsh.batch.checks import BatchChecks
from qmpsh.builtins.aliases import table as alias_table
from qmpsh.builtins.context import Context
from qmpsh.lang.bound import Prepared, prepare
from qmpsh.lang.parser import ParseError

if TYPE_CHECKING:
    from qmpsh.lang.anatomy import Anatomy


async def prepared(
    ctx: Context, checks: BatchChecks | None, where: str, parts: Anatomy
) -> Prepared | str:
    """A command's first line (its *parts*, at *where*) prepared; or why
    it is refused (one line, with the column when there is one)."""
    try:
        found = prepare(parts, alias_table(ctx))
    except ParseError as err:
        from qmpsh.lang.redact import scrub  # on the error path only

        return f"{where}:{err.column}: {scrub(err.message, parts.text)}"
    if found.aliases and checks is not None:
        await checks.load()
        if checks.knows(found.aliases[0]):
            return (
                f"{where}: {found.aliases[0]} is an alias and a command of the "
                "server: rename the alias"
            )
    return found


def record(ctx: Context, bind: str | None, where: str, reply: dict[str, Any]) -> None:
    """What a reply to the line at *where* binds: its return value is
    ``$_`` and *bind*'s; an error leaves *bind* unbound."""
    variables = ctx.session.variables
    if "return" in reply and "error" not in reply:
        variables.returned(reply["return"])
        if bind is not None:
            variables.bind(bind, reply["return"])
    elif bind is not None:
        variables.fail(bind, f"its command failed ({where})")
