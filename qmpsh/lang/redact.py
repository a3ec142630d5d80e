"""Keep secrets out of files: which parts of a request are secret, and hiding them.

Pure.  `redact(message)` returns a copy of a QMP request with every secret
value replaced by ``"<redacted>"``, or None when the request carries none
(the common case costs one walk and no copy).  `redact_line(text)` does the
same for a line as the user typed it, for the history file.  The wire log and
the history call these unless the user asks for ``--log-secrets``.  The
other way round, `placeholder_refusal(message)` finds secrets that are the
placeholder itself (a line recalled from the history), so that the shell and
batch mode refuse to send them.

What counts as a secret, from QEMU's schema (``query-qmp-schema``, 7.2):

- an argument, at any depth, named ``password``, ``passwd``, ``passphrase``,
  ``secret`` or ``cookie`` (a string), or ending in ``-password``: ``set_password``,
  ``change-vnc-password``, ``sev-inject-launch-secret``, the guest agent's
  ``guest-set-user-password``, the curl driver's HTTP ``cookie``;
- ``data`` of ``object-add qom-type=secret`` (the secret itself);
- ``value`` of ``qom-set`` when the property has a secret's name;
- ``arg`` of the old ``change device=vnc target=password``;
- the password words of HMP command lines sent with ``human-monitor-command``
  (``set_password vnc PW``, ``change vnc password PW``, ``block_passwd DEV PW``,
  ``object_add secret,...,data=PW``, any ``password=PW``).

Not secrets, and kept so that logs stay useful: ``expire_password`` (it
carries a time), and the ``*-secret`` arguments such as ``key-secret`` or
``password-secret``, which name a ``secret`` object by its id (the point of
QEMU's secret objects is that the id can be logged while the data cannot).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

REDACTED = "<redacted>"

_SECRET_KEY = re.compile(
    r"(password|passwd|passphrase|secret|cookie)|.*-(password|passwd|passphrase)"
)

#: qom-type values whose ``data`` is secret
_SECRET_OBJECTS = frozenset({"secret"})

# HMP: (pattern, group holding the secret)
_HMP_RULES: tuple[re.Pattern[str], ...] = (
    re.compile(r"^\s*set_password\s+\S+\s+(?P<s>\S+)"),
    re.compile(r"^\s*change\s+vnc\s+passw(?:or)?d\s+(?P<s>\S+)"),
    re.compile(r"^\s*block_passwd\s+\S+\s+(?P<s>\S+)"),
    re.compile(r"(?:^|[\s,])(?:password|passwd|secret)=(?P<s>(?:[^,\s]|,,)+)"),
)
_HMP_OBJECT_DATA = re.compile(r"(?:^|[\s,])data=(?P<s>(?:[^,\s]|,,)+)")
_HMP_SECRET_OBJECT = re.compile(r"^\s*object_add\s+(?:qom-type=)?secret\b")


def is_secret_key(name: str) -> bool:
    """Whether an argument called *name* holds a secret wherever it appears."""
    return _SECRET_KEY.fullmatch(name) is not None


#: where a value sits in a request's arguments: keys and list indexes
Path = tuple[str | int, ...]


def redact(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """A copy of *message* with secrets replaced, or None if it has none."""
    command, args = _command_args(message)
    if args is None:
        return None
    paths = secret_paths(command, args)
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
        words = [line[start:end] for start, end in _hmp_spans(line)]
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
    if command == "object-add" and args.get("qom-type") in _SECRET_OBJECTS:
        if "data" in args:
            found.append(("data",))
        props = args.get("props")  # before QEMU 6.0 the properties were nested
        if isinstance(props, Mapping) and "data" in props:
            found.append(("props", "data"))
    elif command == "qom-set":
        prop = args.get("property")
        if isinstance(prop, str) and is_secret_key(prop) and "value" in args:
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


def _hmp_spans(line: str) -> list[tuple[int, int]]:
    """Where the password words of an HMP command line are."""
    spans: list[tuple[int, int]] = []
    for rule in _HMP_RULES:
        spans += [m.span("s") for m in rule.finditer(line)]
    if _HMP_SECRET_OBJECT.match(line):
        spans += [m.span("s") for m in _HMP_OBJECT_DATA.finditer(line)]
    return sorted(set(spans), reverse=True)


def redact_hmp(line: str) -> str:
    """An HMP command line with its password words replaced."""
    for start, end in _hmp_spans(line):
        line = line[:start] + REDACTED + line[end:]
    return line


def redact_line(text: str) -> str:
    """*text* (a command as typed) as it may be written to the history file.

    A line without secrets comes back unchanged.  One with secrets comes back
    as shorthand with the secret values replaced; a line that does not parse
    has ``name=VALUE`` words with secret names hidden as text.
    """
    from qmpsh.lang.parser import ParseError, Request, parse

    try:
        result = parse(text)
    except ParseError:
        result = None
    if isinstance(result, Request):
        hidden = redact(result.message)
        if hidden is None:
            return text
        if result.raw:
            import json

            return json.dumps(hidden, ensure_ascii=False)
        from qmpsh.lang.unparse import to_shorthand

        return to_shorthand(hidden)
    return _TEXT_SECRET.sub(lambda m: m.group(1) + REDACTED, text)


def redacting(keep: Callable[[str], str | None]) -> Callable[[str], str | None]:
    """A history *keep* hook that stores what *keep* stores, secrets hidden.

    For a history writer that asks a hook what to store for each command
    (the text, or None to store nothing): ``keep=redacting(keep_typed)``.
    """

    def hook(text: str) -> str | None:
        stored = keep(text)
        return None if stored is None else redact_line(stored)

    return hook


_TEXT_SECRET = re.compile(
    r"""((?:^|(?<=[\s.,{'"]))(?:password|passwd|passphrase|secret|data|"""
    r"""[\w-]+-password)['"]?\s*[=:]\s*)(?:"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|[^\s,}\]]+)"""
)
