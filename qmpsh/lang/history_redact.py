"""The history's redaction: a line as the user typed it, secrets hidden.

Pure.  `redact_line` judges a typed line (shorthand, raw JSON, the ``hmp``
and ``qom set`` built-ins, or with *hmp* an HMP command line) by the same
table as every other sink (`qmpsh.lang.redact`, `qmpsh.lang.secrets`),
keeping what surrounds its command as typed (`qmpsh.lang.anatomy`) and a
secret given by reference (``password=$p``: it names the secret without
holding it).  `redacting` makes a history hook of it, which also hides the
arguments of an alias call whose body takes a secret.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from qmpsh.lang.redact import redact, redact_hmp
from qmpsh.lang.secrets import REDACTED, replace_spans, text_spans

__all__ = ["redact_line", "redacting"]


def redact_line(text: str, hmp: bool = False) -> str:
    """*text* (a command as typed) as it may be written to the history file.

    A line without secrets comes back unchanged.  One with secrets comes
    back as shorthand (or raw JSON, as typed) with the secret values
    replaced; the ``hmp`` and ``qom set`` built-ins, and a line that does
    not parse, have their secret words replaced in place.  With *hmp* the
    line is an HMP command line (``-H``).

    What a line may hold around its command is kept as typed and the
    command alone judged: a ``!``, an ``@TARGET`` prefix, a ``NAME =``
    assignment, an ``alias NAME =`` definition's body, a ``| cmd`` or
    ``> FILE`` sink (the parts `qmpsh.lang.anatomy` finds).  (An alias's arguments are not: which of them fill a
    secret depends on its body; see the README.)
    """
    from qmpsh.lang.anatomy import anatomy

    parts = anatomy(text)
    head, core, tail = parts.around()
    if not core.strip():
        return text
    redacted = _redact_command(core, hmp, params=parts.alias is not None)
    return text if redacted == core else head + redacted + tail


def _redact_command(text: str, hmp: bool, params: bool = False) -> str:
    """*text*, a command, with its secrets hidden; *params*: it is an
    alias's body (``$1`` and ``$@`` are its parameters there)."""
    if hmp:
        return redact_hmp(text)
    from qmpsh.lang.parser import ParseError, Request, parse

    first = text.split(None, 1)[:1]
    if first in (["hmp"], ["qom"]):  # built-ins: their words, in place
        return replace_spans(text, text_spans(text))
    try:
        result = parse(text)
    except ParseError:
        result = None
    if isinstance(result, Request):
        hidden = redact(
            result.message,
            keep=lambda path, value: _bare(text, path[-1], value, params),
        )
        if hidden is None:
            return text
        if result.raw:
            import json

            out = json.dumps(hidden, ensure_ascii=False)
        else:
            from qmpsh.lang.unparse import to_shorthand

            out = to_shorthand(hidden)
        return out
    spans = [
        (start, end)
        for start, end in text_spans(text)
        # kept: a reference right after its KEY= or "KEY": (never quoted)
        if not (
            start > 0
            and text[start - 1] in "=: \t"
            and _reference(text[start:end], params)
        )
    ]
    return replace_spans(text, spans)


#: a whole value that names a variable's value instead of holding one
#: (``$p``, ``${p}``, ``${s.data}``)
_VARIABLE = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[^\s{}]*\})")
#: an alias's parameter (``$1``, ``$@``): one only in an alias's body
_PARAMETER = re.compile(r"\$(?:[1-9][0-9]*|@)")


def _reference(value: Any, params: bool) -> bool:
    """Whether *value* is a whole `_VARIABLE` (or, in an alias's body,
    *params*, a `_PARAMETER`)."""
    if not isinstance(value, str):
        return False
    if _VARIABLE.fullmatch(value):
        return True
    return params and _PARAMETER.fullmatch(value) is not None


def _bare(text: str, key: str | int, value: Any, params: bool) -> bool:
    """Whether the secret *key* = *value* of *text* is a `_reference`
    standing bare at that key (``password=$p``, ``"password": $p``): the
    history keeps it, so that the line recalled works (the secret it names
    was never typed there).  Quoted (``password='$p'``) it is the
    characters themselves: hidden, whatever else the line holds."""
    if not isinstance(key, str) or not _reference(value, params):
        return False
    at_key = (
        r"(?<![\w-])\"?"
        + re.escape(key)
        + r"\"?[ \t]*[=:][ \t]*"
        + re.escape(value)
        + r"(?=[\s,}\]]|$)"
    )
    return re.search(at_key, text) is not None


def redacting(
    keep: Callable[[str], str | None],
    hmp: bool = False,
    aliases: Callable[[], Mapping[str, Any]] | None = None,
) -> Callable[[str], str | None]:
    """A history *keep* hook that stores what *keep* stores, secrets hidden.

    For a history writer that asks a hook what to store for each command
    (the text, or None to store nothing): ``keep=redacting(keep_typed)``.
    *hmp*: the lines are HMP command lines (``-H``).  *aliases*: the
    session's alias table (`qmpsh.lang.aliases.Alias` by name), for a line
    that calls one: when its expansion holds a secret, the alias's
    arguments are stored as one ``<redacted>`` (which of them fills the
    secret is the body's business), and so are those of a call that does
    not expand or parse when the body holds a secret.
    """

    def hook(text: str) -> str | None:
        stored = keep(text)
        if stored is None:
            return None
        stored = redact_line(stored, hmp)
        return stored if aliases is None or hmp else _alias_call(stored, aliases())

    return hook


def _alias_call(text: str, table: Mapping[str, Any]) -> str:
    """*text*, or the alias it calls with its arguments as ``<redacted>``
    when the expansion holds a secret."""
    if not table:
        return text
    from qmpsh.lang.aliases import expand
    from qmpsh.lang.anatomy import anatomy
    from qmpsh.lang.words import ParseError

    head, core, tail = anatomy(text).around()
    from qmpsh.lang.parser import parse

    name = core.split(None, 1)[0] if core.strip() else ""
    hidden = f"{head}{name} {REDACTED}{tail}"
    try:
        expanded = expand(core, table)
    except ParseError:
        expanded = None
        broken = name in table
    else:
        if expanded is None:
            return text
        if redact_line(expanded.text) != expanded.text:
            return hidden
        try:
            parse(expanded.text)
            broken = False
        except ParseError:
            broken = True
    # a call that cannot expand (an argument too many, an open quote), or
    # whose expansion does not parse, still reaches the history: erring on
    # the side of hiding, its arguments go when the body holds a secret
    # whatever they are
    if (
        broken
        and len(core.split(None, 1)) > 1  # arguments to hide
        and _body_holds_secret(table[name].body, table)
    ):
        return hidden
    return text


def _body_holds_secret(body: str, table: Mapping[str, Any]) -> bool:
    """Whether an alias's *body*, its parameters given a word each (and
    the alias it calls expanded), holds a secret."""
    from qmpsh.lang.aliases import PARAM_RE, expand
    from qmpsh.lang.words import ParseError

    # a parameter may stand for a word, or for an HMP command line that
    # sets a password (``command-line=$1``, ``hmp $@``)
    for word in ("x", '"set_password vnc x"', "set_password vnc x"):
        filled = PARAM_RE.sub(word, body)  # (no backslash in them)
        try:
            expanded = expand(filled, table)
        except ParseError:
            expanded = None
        if expanded is not None:
            filled = expanded.text
        if redact_line(filled) != filled:
            return True
    return False
