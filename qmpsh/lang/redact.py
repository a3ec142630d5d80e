"""Keep secrets out of files and stderr: hiding them in requests and lines.

Pure.  What counts as a secret is the table in `qmpsh.lang.secrets`; this
module applies it, the same way for every sink:

- `redact(message)`: a copy of a QMP request with every secret value
  replaced by ``"<redacted>"``, or None when it carries none (the common
  case costs one walk and no copy): the wire log, ``-v``, late replies;
- `shown(message, redacting)`: what ``-v`` echoes (`redact` unless
  ``--log-secrets``);
- `redact_line(text, hmp)`: a line as the user typed it (shorthand, raw
  JSON, the ``hmp`` and ``qom set`` built-ins, or with *hmp* an HMP command
  line), for the history file; `redacting` makes a history hook of it;
- `redact_hmp(line)`: an HMP command line, for the lines qmpsh prints
  about one (an HMP failure, a late reply);
- `secret_reply(message)`, `redact_reply(message, reply)`: the secrets a
  server sends back (a ``secret`` object's ``data`` read with
  ``qom-get``), for the wire log;
- `scrub(message, *texts)` (from `qmpsh.lang.secrets`): an error about a
  typed line, without what it quotes of a secret (a parse error), in any
  of the texts the line has been (typed, alias expanded, variables
  replaced).

The other way round, `placeholder_refusal(message)` finds secrets that are
the placeholder itself (a line recalled from the history), so that the
shell and batch mode refuse to send them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from qmpsh.lang.secrets import (
    REDACTED,
    SECRET_OBJECTS,
    hmp_reads_secret,
    hmp_spans,
    is_secret_key,
    is_secret_property,
    replace_spans,
    scrub,
    text_spans,
)

__all__ = [
    "REDACTED",
    "is_secret_key",
    "line_placeholder_refusal",
    "placeholder_refusal",
    "placeholders",
    "redact",
    "redact_hmp",
    "redact_line",
    "redact_reply",
    "redacting",
    "scrub",
    "secret_paths",
    "secret_reply",
    "shown",
]


#: where a value sits in a request's arguments: keys and list indexes
Path = tuple[str | int, ...]


def redact(
    message: Mapping[str, Any], keep: Callable[[Path, Any], bool] | None = None
) -> dict[str, Any] | None:
    """A copy of *message* with secrets replaced, or None if it has none;
    *keep*: whether a secret (its path in the arguments, its value) is kept
    as it is (the history's references, which name a value rather than
    hold it: `_bare`)."""
    command, args = _command_args(message)
    if args is None:
        return None
    paths = secret_paths(command, args)
    if keep is not None:
        paths = [path for path in paths if not keep(path, _value_at(args, path))]
    new_args = _replaced(args, paths) if paths else None
    line = args.get("command-line")
    if command == "human-monitor-command" and isinstance(line, str):
        hidden = redact_hmp(line)
        if hidden != line:
            new_args = dict(args if new_args is None else new_args)
            new_args["command-line"] = hidden
    if new_args is None:
        return None
    out = dict(message)
    out["arguments"] = new_args
    return out


def secret_reply(message: Mapping[str, Any]) -> bool:
    """Whether the reply to the request *message* may carry a secret the
    server sends: ``qom-get`` of a secret property (a ``secret`` object's
    ``data`` can be read back), ``qom-list-get`` (it lists properties with
    their values), an HMP ``qom-get`` of one (`hmp_reads_secret`)."""
    command, args = _command_args(message)
    if args is None:
        return False
    if command == "qom-get":
        prop = args.get("property")
        return isinstance(prop, str) and is_secret_property(prop)
    if command == "qom-list-get":
        return True
    if command == "human-monitor-command":
        line = args.get("command-line")
        return isinstance(line, str) and hmp_reads_secret(line)
    return False


def redact_reply(
    message: Mapping[str, Any], reply: Mapping[str, Any]
) -> dict[str, Any] | None:
    """A copy of *reply* (to *message*, which `secret_reply` says may get
    a secret back) with the secret replaced, or None if it has none: the
    whole return value, or for ``qom-list-get`` the value of each listed
    property with a secret's name."""
    if "return" not in reply:
        return None
    value = reply["return"]
    command, _ = _command_args(message)
    if command == "qom-list-get":
        hidden = _listed(value)
        if hidden is None:
            return None
        value = hidden
    elif value == REDACTED:
        return None
    else:
        value = REDACTED
    out = dict(reply)
    out["return"] = value
    return out


def _listed(objects: Any) -> list[Any] | None:
    """``qom-list-get``'s return value (``[{"properties": [{"name": N,
    "type": T, "value": V}...]}...]``) with the values of secret
    properties replaced, or None when it has none."""
    if not isinstance(objects, list):
        return None
    out: list[Any] = []
    changed = False
    for obj in objects:
        props = obj.get("properties") if isinstance(obj, Mapping) else None
        if isinstance(props, list):
            new = []
            for prop in props:
                if (
                    isinstance(prop, Mapping)
                    and isinstance(prop.get("name"), str)
                    and is_secret_property(prop["name"])
                    and "value" in prop
                ):
                    prop = {**prop, "value": REDACTED}
                    changed = True
                new.append(prop)
            obj = {**obj, "properties": new}
        out.append(obj)
    return out if changed else None


def placeholders(message: Mapping[str, Any]) -> list[str]:
    """The secret arguments of *message* whose value is `REDACTED` itself, as
    QEMU names them (``data``, ``actions[0].data.password``): a request
    recalled from the history file, where the secret was never written.
    An HMP command line with the placeholder as a password word counts as
    ``command-line``."""
    command, args = _command_args(message)
    if args is None:
        return []
    found = [
        _dotted(path)
        for path in secret_paths(command, args)
        if _value_at(args, path) == REDACTED
    ]
    line = args.get("command-line")
    if command == "human-monitor-command" and isinstance(line, str):
        words = [line[start:end] for start, end in hmp_spans(line)]
        if REDACTED in words:
            found.append("command-line")
    return found


def placeholder_refusal(message: Mapping[str, Any]) -> str | None:
    """One line refusing *message* when a secret of it is the `REDACTED`
    placeholder (see `placeholders`), else None."""
    found = placeholders(message)
    if not found:
        return None
    if len(found) == 1:
        what, again = "this is", "the secret"
    else:
        what, again = "these hold", "the secrets"
    return (
        f"{', '.join(found)}: {what} the {REDACTED} placeholder from the "
        f"history: type {again} again"
    )


def line_placeholder_refusal(text: str, hmp: bool = False) -> str | None:
    """One line refusing the typed line *text* (an HMP command line with
    *hmp*, else a built-in's such as ``qom set``) when a secret word of it
    is the `REDACTED` placeholder, else None."""
    spans = hmp_spans(text) if hmp else text_spans(text)
    if any(text[a:b] == REDACTED for a, b in spans):
        return (
            f"the secret is the {REDACTED} placeholder from the history: "
            "type the secret again"
        )
    return None


def _command_args(message: Mapping[str, Any]) -> tuple[str, Mapping[str, Any] | None]:
    name = message.get("execute", message.get("exec-oob"))
    args = message.get("arguments")
    return (
        name if isinstance(name, str) else "",
        args if isinstance(args, Mapping) else None,
    )


def secret_paths(command: str, args: Mapping[str, Any]) -> list[Path]:
    """Where *args* (of *command*) hold secrets: the secret-named keys at
    any depth, and what QEMU's commands make secret by their place.  (The
    password words of an HMP command line are `redact_hmp`'s.)"""
    found = _secret_keys(args)
    if command == "object-add" and args.get("qom-type") in SECRET_OBJECTS:
        if "data" in args:
            found.append(("data",))
        props = args.get("props")  # before QEMU 6.0 the properties were nested
        if isinstance(props, Mapping) and "data" in props:
            found.append(("props", "data"))
    elif command == "qom-set":
        prop = args.get("property")
        if isinstance(prop, str) and is_secret_property(prop) and "value" in args:
            found.append(("value",))
    elif command == "change" and args.get("target") == "password" and "arg" in args:
        found.append(("arg",))
    return found


def _secret_keys(root: Mapping[str, Any]) -> list[Path]:
    """The paths of secret-named values at any depth.

    Iterative, so that a value nested a thousand levels deep costs no
    recursion.
    """
    found: list[Path] = []
    stack: list[tuple[Path, Any]] = [((), root)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, Mapping):
            for key, value in node.items():
                if (
                    isinstance(key, str)
                    and is_secret_key(key)
                    and _secretish(key, value)
                ):
                    found.append((*path, key))
                elif isinstance(value, Mapping | list):
                    stack.append(((*path, key), value))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, Mapping | list):
                    stack.append(((*path, index), value))
    return found


def _replaced(root: Mapping[str, Any], paths: list[Path]) -> dict[str, Any]:
    """A copy of *root* with the value at each of *paths* replaced by
    `REDACTED`; only the containers on the way are copied (each once)."""
    copy: dict[str, Any] = dict(root)
    copied: set[Path] = set()
    for path in paths:
        here: Any = copy
        for depth, step in enumerate(path[:-1], 1):
            child = here[step]
            if path[:depth] not in copied:
                child = dict(child) if isinstance(child, Mapping) else list(child)
                here[step] = child
                copied.add(path[:depth])
            here = child
        here[path[-1]] = REDACTED
    return copy


def _value_at(root: Mapping[str, Any], path: Path) -> Any:
    node: Any = root
    for step in path:
        node = node[step]
    return node


def _dotted(path: Path) -> str:
    """``actions[0].data.password``, as QEMU names a member in its errors."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else step
    return out


def _secretish(key: str, value: Any) -> bool:
    if key == "cookie":  # the curl driver's HTTP cookie; other cookies are numbers
        return isinstance(value, str)
    return value is not None


def redact_hmp(line: str) -> str:
    """An HMP command line with its password words replaced."""
    return replace_spans(line, hmp_spans(line))


def shown(message: Mapping[str, Any], redacting: bool = True) -> Mapping[str, Any]:
    """*message* as ``-v`` echoes it: secrets hidden when *redacting*
    (``settings.redact``: not ``--log-secrets``)."""
    if not redacting:
        return message
    hidden = redact(message)
    return message if hidden is None else hidden


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
