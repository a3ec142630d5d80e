"""The session's variables, as data: what each name is bound to, and why a
name is not.  Its own module, importing nothing, so that every session's
state (`qmpsh.builtins.context.SessionState`) holds one without loading
the reading of references (`qmpsh.lang.variables`).
"""

from __future__ import annotations

from typing import Any

#: the variable that holds the last successful command's return value
LAST = "_"


class Variables:
    """The session's variables: what each name is bound to, and why a name
    is not (its command failed)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        #: name -> why it is unbound (its command failed, where)
        self.failed: dict[str, str] = {}

    def bind(self, name: str, value: Any) -> None:
        self.values[name] = value
        self.failed.pop(name, None)

    def fail(self, name: str, why: str) -> None:
        """*name*'s command failed: it is unbound, and *why* says so later."""
        self.values.pop(name, None)
        self.failed[name] = why

    def returned(self, value: Any) -> None:
        """A command succeeded with *value*: it is ``$_``."""
        self.values[LAST] = value

    def defined(self) -> list[str]:
        return sorted(self.values)
