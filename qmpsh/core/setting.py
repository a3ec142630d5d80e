"""What a setting is: `Setting`, the declaration each one gets in the table
(`qmpsh.core.settings.Settings`), and reading values against it.

A `Setting` is given with its field's default (`declare`): the field gives
the name, the type and the default, the `Setting` everything else (help
text and command-line spelling, limits, config-file comment, environment
variable).  `declared` puts the two together.  A value is read
against the declaration here, both ways it comes: as command-line text
(`Setting.from_text`, for the fast path; click gets the same limits from
``qmpsh.cli.options``) and as a config-file value (`Setting.from_config`).

No click, and nothing else of qmpsh: everything imports this.
"""

# (no ``from __future__ import annotations``: NamedTuple compiles each field
# type given as text, at every start-up)

import json
import math
import os
import types
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar, cast

#: what `Setting.kind` is for a type it does not read (an EventFilter)
OTHER = object

T = TypeVar("T")


class Setting(NamedTuple):
    """One setting's declaration, but for its name, type and default (which
    `declared` fills in from its field)."""

    #: its option's --help text (and the man page's); ``{default}`` shows
    #: the default (see `shown`)
    help: str = ""
    #: its option's names, ``("-p", "--pretty")``; none: it has no option
    flags: tuple[str, ...] = ()
    #: the option value's placeholder in the help: ``SECONDS``
    metavar: str = ""
    #: the value a flag that takes none gives a setting that is not a bool
    #: (``--vi``: ``"vi"``); a bool's flag gives the opposite of its default
    sets: Any = None
    #: the other half of a ``--x/--no-x`` pair: the option then gives True,
    #: False or nothing
    negative: str = ""
    #: what ``{default}`` says for a default of None (``wait forever``), or
    #: of "" when given
    unset: str = ""
    #: a number's limits (*min_open*: *min* itself is refused)
    min: float | None = None
    min_open: bool = False
    max: float | None = None
    #: the only values a string may take
    choices: tuple[str, ...] = ()
    #: a file name: a directory is refused
    file: bool = False
    #: the comment above it in the config file; without one it is no
    #: config-file key
    config: str = ""
    #: a further test of a config-file value: what is wrong with it, or ""
    refuse: Callable[[Any], str] | None = None
    #: an environment variable that sets it (over the config file, under
    #: the options), and the man page's words on it
    env: str = ""
    env_help: str = ""
    #: the value the variable gives when set and not empty (NO_COLOR:
    #: ``"never"``); None: its text is the value, even empty
    env_sets: Any = None
    #: a named target's table (``[targets.NAME]`` in the config file) may
    #: set it, over the file's top level (`qmpsh.core.targets`); False for
    #: what is the user's rather than a server's (editing keys, history)
    per_target: bool = True

    # -- from the field (`declared`) ------------------------------------
    name: str = ""
    #: bool, int, float, str, tuple (of strings), dict (a table of strings:
    #: ``[aliases]``) or `OTHER`; None allowed
    #: besides when the field's type says so
    kind: type = OTHER
    default: Any = None

    def flag_value(self) -> Any:
        """What its option gives when it is a flag that takes no value."""
        return not self.default if self.kind is bool else self.sets

    def takes_value(self) -> bool:
        """Whether its option takes a value (``--retries N``)."""
        return not self.negative and self.kind is not bool and self.sets is None

    @property
    def shown(self) -> str:
        """The default as the help shows it: ``2`` for 2.0, *unset* for
        None (or "" when *unset* is given), a byte count in MiB too."""
        value = self.default
        if value is None or (value == "" and self.unset):
            return self.unset
        if isinstance(value, float):
            return f"{value:g}"
        if isinstance(value, tuple):
            return ", ".join(value)
        if self.metavar == "BYTES" and value and value % 2**20 == 0:
            return f"{value}, {value >> 20} MiB"
        return str(value)

    def help_text(self) -> str:
        return self.help.replace("{default}", self.shown)

    def limits(self) -> str:
        """The limits of a number in words: ``0 to 3600``, ``at least 1``."""
        low = "" if self.min is None else _number(self.min)
        high = "" if self.max is None else _number(self.max)
        if low and high and not self.min_open:
            return f"{low} to {high}"
        words = []
        if low:
            words.append(f"more than {low}" if self.min_open else f"at least {low}")
        if high:
            words.append(f"at most {high}")
        return ", ".join(words)

    def _within(self, value: float) -> bool:
        if not math.isfinite(value):  # nan and inf: no number of anything
            return False
        if self.min is not None and (
            value < self.min or (self.min_open and value == self.min)
        ):
            return False
        return self.max is None or value <= self.max

    def from_text(self, text: str) -> Any:
        """A value given on the command line; ValueError when it does not
        convert or breaks a limit (the fast path then leaves it to click)."""
        if self.kind is int or self.kind is float:
            number = self.kind(text)
            if not self._within(number):
                raise ValueError(text)
            return number
        if (self.choices and text not in self.choices) or (
            self.file and os.path.isdir(text)
        ):
            raise ValueError(text)
        return text

    def from_config(self, value: Any) -> Any:
        """A config-file value (as TOML gives it); ValueError saying what was
        expected instead."""
        if self.kind is bool:
            if not isinstance(value, bool):
                raise ValueError(f"expected true or false, not {show(value)}")
            return value
        if self.kind is int or self.kind is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"expected a number, not {show(value)}")
            if self.kind is int and not isinstance(value, int):
                raise ValueError(f"expected a whole number, not {show(value)}")
            if not self._within(value):
                raise ValueError(f"expected {self.limits()}, not {value}")
            return value
        if self.kind is tuple:
            if not isinstance(value, list) or not all(
                isinstance(v, str) for v in value
            ):
                raise ValueError(
                    f'expected a list of names like ["quit"], not {show(value)}'
                )
            return tuple(value)
        if self.kind is dict:
            return self._table(value)
        if self.kind is not str:
            raise ValueError("cannot be set in the config file")
        if not isinstance(value, str):
            raise ValueError(f"expected a string, not {show(value)}")
        if self.choices and value not in self.choices:
            wanted = ", ".join(self.choices)
            raise ValueError(f"expected one of {wanted}, not {show(value)}")
        wrong = self.refuse(value) if self.refuse is not None else ""
        if wrong:
            raise ValueError(wrong)
        return value

    def _table(self, value: Any) -> dict[str, str]:
        """A table of strings (``[aliases]``), each checked by *refuse*."""
        if not isinstance(value, dict):
            raise ValueError(f"expected a table of strings, not {show(value)}")
        for key, item in value.items():
            if not isinstance(item, str):
                raise ValueError(f"{key}: expected a string, not {show(item)}")
        wrong = self.refuse(value) if self.refuse is not None else ""
        if wrong:
            raise ValueError(wrong)
        return dict(value)


def _number(value: float) -> str:
    """10000000 for 1e7, 0.5 for 0.5."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def show(value: Any) -> str:
    """A config-file value as an error message quotes it."""
    return json.dumps(value) if isinstance(value, str | list) else repr(value)


def declare(default: T, setting: Setting | None = None) -> T:
    """A field's default in the settings table, with its declaration::

        retry_delay: float = declare(2.0, Setting("Wait SECONDS...", ...))

    The type checker sees the default; what the class gets is the
    declaration carrying it, which `declared` puts back to the default."""
    return cast(T, (setting or Setting())._replace(default=default))


def declared(fields: Any) -> tuple[Setting, ...]:
    """The declaration of every field of the NamedTuple *fields*, in order,
    with its name, kind and default filled in (a field not declared with
    `declare` gets an empty one: a setting of no option, file or variable).
    Each field's default becomes the value again, in place of `declare`'s
    declaration."""
    out = []
    for name, hint in fields.__annotations__.items():
        value = fields._field_defaults[name]
        if not isinstance(value, Setting):
            value = Setting(default=value)
        elif getattr(hint, "__forward_arg__", None) is not None:
            raise TypeError(
                f"{name}: a declaration needs the field's type evaluated (no "
                "'from __future__ import annotations' where the table is)"
            )
        out.append(value._replace(name=name, kind=_kind(hint)))
    # as collections.namedtuple keeps the defaults
    fields.__new__.__defaults__ = tuple(s.default for s in out)
    fields._field_defaults = {s.name: s.default for s in out}
    return tuple(out)


def _kind(hint: Any) -> type:
    """bool for ``bool | None``, tuple for ``tuple[str, ...]``, `OTHER` for
    what is none of the kinds `Setting` reads."""
    if isinstance(hint, types.UnionType):  # hint: float | None
        args = [a for a in hint.__args__ if a is not type(None)]
        hint = args[0] if len(args) == 1 else OTHER
    hint = getattr(hint, "__origin__", hint)
    if hint in (bool, int, float, str, tuple, dict):
        return hint  # type: ignore[no-any-return]
    return OTHER
