"""Event filters: which QMP events to show.  Pure: no I/O.

A filter keeps an event when its name matches one of the *include* patterns
(or there are none), matches none of the *exclude* patterns, and every
field condition holds.  Name patterns are exact names, or globs when they
hold ``*``, ``?`` or ``[``; with ``regex`` they are regular expressions that
may match anywhere in the name (as ``virsh qemu-monitor-event --regex``
does).  ``no_case`` makes name matching ignore case.

A field condition is ``PATH=VALUE``, ``PATH!=VALUE`` or ``PATH~=REGEX``.
PATH is a dotted path into the event's ``data`` (``device``, ``a.b``, ``list.0``);
a path spelt from the message root, ``data.device``, means the same.  A
string field is compared as it is, any other value as its compact JSON
(``true``, ``3``, ``null``).  A missing field fails ``=`` and ``~=`` and
passes ``!=``.  Several ``=`` or ``~=`` conditions on one field mean any of
them (``status=completed status=failed``); ``!=`` conditions all hold
(``status!=setup status!=active``); conditions on different fields all hold.

The same words configure a filter everywhere: the command-line options,
the ``filter``, ``wait`` and ``events`` built-ins, and ``qmpsh events``.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_FIELD_RE = re.compile(r"([A-Za-z_][\w.-]*?)(!=|~=|=)(.*)", re.S)
_GLOB_CHARS = frozenset("*?[")


class FilterError(ValueError):
    """A bad pattern or option; the text is one line for the user."""


@dataclass(frozen=True)
class FieldMatch:
    """One condition on a field of the event."""

    path: tuple[str, ...]
    op: str
    value: str
    _regex: re.Pattern[str] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.op not in ("=", "!=", "~="):
            raise FilterError(f"unknown comparison {self.op!r}: use =, != or ~=")
        if not self.path or not all(self.path):
            raise FilterError(f"empty field name in {self.text!r}")
        if self.op == "~=":
            object.__setattr__(self, "_regex", _compile(self.value, 0))

    @classmethod
    def parse(cls, word: str) -> FieldMatch:
        """``device=j1``, ``data.status!=null``, ``device~=^j[0-9]``."""
        found = _FIELD_RE.fullmatch(word)
        if found is None:
            raise FilterError(
                f"{word!r} is not a field condition: write FIELD=VALUE, "
                "FIELD!=VALUE or FIELD~=REGEX (e.g. device=job0)"
            )
        path, op, value = found.groups()
        parts = tuple(path.split("."))
        if parts[0] == "data" and len(parts) > 1:
            parts = parts[1:]
        return cls(parts, op, value)

    @property
    def text(self) -> str:
        return f"{'.'.join(self.path)}{self.op}{self.value}"

    def matches(self, message: Mapping[str, Any]) -> bool:
        found, value = _lookup(message.get("data"), self.path)
        if not found:
            return self.op == "!="
        text = value if isinstance(value, str) else _compact(value)
        if self.op == "=":
            return text == self.value
        if self.op == "!=":
            return text != self.value
        assert self._regex is not None
        return self._regex.search(text) is not None


@dataclass(frozen=True)
class EventFilter:
    """Which events to keep; the empty filter keeps every event."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    regex: bool = False
    no_case: bool = False
    fields: tuple[FieldMatch, ...] = ()
    _inc: tuple[re.Pattern[str], ...] = field(
        default=(), init=False, repr=False, compare=False
    )
    _exc: tuple[re.Pattern[str], ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_inc", tuple(map(self._name_re, self.include)))
        object.__setattr__(self, "_exc", tuple(map(self._name_re, self.exclude)))

    def _name_re(self, pattern: str) -> re.Pattern[str]:
        flags = re.IGNORECASE if self.no_case else 0
        if self.regex:
            return _compile(pattern, flags)
        if _GLOB_CHARS & set(pattern):
            return re.compile(fnmatch.translate(pattern), flags)
        return re.compile(re.escape(pattern) + r"\Z", flags)

    @property
    def empty(self) -> bool:
        return not (self.include or self.exclude or self.fields)

    def name_matches(self, name: str) -> bool:
        if self._inc and not any(_hit(p, name, self.regex) for p in self._inc):
            return False
        return not any(_hit(p, name, self.regex) for p in self._exc)

    def matches(self, message: Mapping[str, Any]) -> bool:
        """True when the event *message* passes the filter."""
        name = message.get("event")
        if not self.name_matches(name if isinstance(name, str) else ""):
            return False
        return fields_match(self.fields, message)

    def words(self) -> list[str]:
        """The filter as the option words that make it (see `parse_words`)."""
        out: list[str] = []
        for pattern in self.include:
            out += ["--event", pattern]
        for pattern in self.exclude:
            out += ["--exclude-event", pattern]
        if self.regex:
            out.append("--regex")
        if self.no_case:
            out.append("--no-case")
        for cond in self.fields:
            out += ["--match", cond.text]
        return out

    def describe(self) -> str:
        """One line for the user."""
        if self.empty:
            return "no event filter: every event is shown"
        import shlex

        return "event filter: " + shlex.join(self.words())

    def merged(self, other: EventFilter) -> EventFilter:
        """Both filters' patterns and conditions; either's regex/no-case flag."""
        return EventFilter(
            self.include + other.include,
            self.exclude + other.exclude,
            self.regex or other.regex,
            self.no_case or other.no_case,
            self.fields + other.fields,
        )


def fields_match(conditions: Sequence[FieldMatch], message: Mapping[str, Any]) -> bool:
    """Whether *message* meets *conditions*: for each field, one of its
    ``=``/``~=`` values (any of them) and every ``!=``."""
    wanted: dict[tuple[str, ...], bool] = {}
    for cond in conditions:
        hit = cond.matches(message)
        if cond.op == "!=":
            if not hit:
                return False
        else:
            wanted[cond.path] = wanted.get(cond.path, False) or hit
    return all(wanted.values())


def build(
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    regex: bool = False,
    no_case: bool = False,
    matches: Sequence[str] = (),
) -> EventFilter:
    """A filter from option values (as the command line gives them).  A
    plain name that is not upper case (``stop``) is a `FilterError`: it
    could match no event (`case_problem`)."""
    if not (regex or no_case):
        for name in (*include, *exclude):
            problem = case_problem(name)
            if problem is not None:
                raise FilterError(problem)
    return EventFilter(
        tuple(include),
        tuple(exclude),
        regex,
        no_case,
        tuple(FieldMatch.parse(word) for word in matches),
    )


#: option word -> (filter attribute, takes a value)
_OPTIONS: dict[str, tuple[str, bool]] = {
    "--event": ("include", True),
    "-e": ("include", True),
    "--exclude-event": ("exclude", True),
    "--exclude": ("exclude", True),
    "-x": ("exclude", True),
    "--regex": ("regex", False),
    "--no-case": ("no_case", False),
    "-i": ("no_case", False),
    "--match": ("fields", True),
    "-m": ("fields", True),
}

FILTER_WORDS = tuple(_OPTIONS)


def parse_words(
    words: Sequence[str],
    extra: Mapping[str, bool] | None = None,
    *,
    positional: bool = True,
) -> tuple[EventFilter, dict[str, str | bool]]:
    """A filter from built-in argument words, and the *extra* options found.

    *extra* maps further option names to whether they take a value.  With
    *positional*, a bare word is a name pattern and ``F=V`` a field
    condition; otherwise a bare word is an error.  ``--opt=value`` works too.
    """
    extra = extra or {}
    include: list[str] = []
    exclude: list[str] = []
    fields: list[str] = []
    flags = {"regex": False, "no_case": False}
    found: dict[str, str | bool] = {}
    lists = {"include": include, "exclude": exclude, "fields": fields}
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        name, eq, inline = (
            word.partition("=") if word.startswith("--") else (word, "", "")
        )
        if name in _OPTIONS or name in extra:
            takes = _OPTIONS[name][1] if name in _OPTIONS else extra[name]
            if takes:
                if eq:
                    value = inline
                elif i < len(words):
                    value = words[i]
                    i += 1
                else:
                    raise FilterError(f"{name} needs a value")
            elif eq:
                raise FilterError(f"{name} takes no value")
            if name in extra:
                found[name] = value if takes else True
                continue
            attr = _OPTIONS[name][0]
            if takes:
                lists[attr].append(value)
            else:
                flags[attr] = True
            continue
        if word.startswith("-") and len(word) > 1:
            known = sorted({*_OPTIONS, *extra} - {"-e", "-x", "-i", "-m", "--exclude"})
            raise FilterError(f"unknown option {word!r} (known: {', '.join(known)})")
        if not positional:
            raise FilterError(f"unexpected {word!r}")
        if _FIELD_RE.fullmatch(word):
            fields.append(word)
        else:
            include.append(word)
    flt = build(include, exclude, flags["regex"], flags["no_case"], fields)
    return flt, found


#: ``__com.redhat_`` in ``__com.redhat_SOME_EVENT`` (a downstream extension)
_DOWNSTREAM = re.compile(r"__[\w.-]+?_")


def case_problem(name: str) -> str | None:
    """Why the plain event name *name* (no glob) can match nothing: QMP's
    event names are upper case (past a downstream ``__vendor_`` prefix);
    None for a glob or an upper-case name."""
    if set("*?[") & set(name):
        return None
    found = _DOWNSTREAM.match(name)
    bare = name[found.end() :] if found else name
    if bare == bare.upper():
        return None
    upper = name[: len(name) - len(bare)] + bare.upper()
    return (
        f"{name!r} is not an event name: QMP event names are upper case "
        f"(did you mean {upper}?)"
    )


def current(chosen: EventFilter | None, default: EventFilter | None) -> EventFilter:
    """The filter in force: *chosen* (set at run time: see
    `qmpsh.builtins.context.SessionState.event_filter`), else *default*
    (None: the settings asked for no filter, so every event passes)."""
    if chosen is not None:
        return chosen
    return default if default is not None else _everything()


@functools.cache
def _everything() -> EventFilter:
    """The filter that keeps every event (made once: it is asked per event)."""
    return EventFilter()


def _compile(pattern: str, flags: int) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as err:
        raise FilterError(f"bad regular expression {pattern!r}: {err}") from None


def _hit(pattern: re.Pattern[str], name: str, search: bool) -> bool:
    return (pattern.search(name) if search else pattern.match(name)) is not None


def _lookup(value: Any, path: Sequence[str]) -> tuple[bool, Any]:
    for part in path:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def from_options(opts: Mapping[str, Any]) -> EventFilter | None:
    """The filter the command-line options ask for, or None for none.

    The options are ``event_include``, ``event_exclude``, ``event_regex``,
    ``event_no_case`` and ``event_match``, as click names them.
    """
    flt = build(
        opts.get("event_include") or (),
        opts.get("event_exclude") or (),
        bool(opts.get("event_regex")),
        bool(opts.get("event_no_case")),
        opts.get("event_match") or (),
    )
    return None if flt == EventFilter() else flt
