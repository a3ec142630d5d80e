"""Keep secrets out of files: which parts of a request are secret, and hiding them.

Pure.  `redact(message)` returns a copy of a QMP request with every secret
value replaced by ``"<redacted>"``, or None when the request carries none
(the common case costs one walk and no copy).  `redact_line(text)` does the
same for a line as the user typed it, for the history file.  The wire log and
the history call these unless the user asks for ``--log-secrets``.

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


def redact(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """A copy of *message* with secrets replaced, or None if it has none."""
    name = message.get("execute", message.get("exec-oob"))
    args = message.get("arguments")
    if not isinstance(args, Mapping):
        return None
    new_args = _redact_args(name if isinstance(name, str) else "", args)
    if new_args is None:
        return None
    out = dict(message)
    out["arguments"] = new_args
    return out


def _redact_args(command: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
    changed = _redact_tree(args)
    top: dict[str, Any] = changed if changed is not None else dict(args)
    special = False
    if command == "object-add":
        special |= _object_data(top)
        props = top.get("props")  # before QEMU 6.0 the properties were nested
        if (
            isinstance(props, Mapping)
            and top.get("qom-type") in _SECRET_OBJECTS
            and "data" in props
        ):
            top["props"] = {**props, "data": REDACTED}
            special = True
    elif command == "qom-set":
        prop = top.get("property")
        if isinstance(prop, str) and is_secret_key(prop) and "value" in top:
            top["value"] = REDACTED
            special = True
    elif command == "change":
        if top.get("target") == "password" and "arg" in top:
            top["arg"] = REDACTED
            special = True
    elif command == "human-monitor-command":
        line = top.get("command-line")
        if isinstance(line, str):
            hidden = redact_hmp(line)
            if hidden != line:
                top["command-line"] = hidden
                special = True
    elif command == "transaction":
        return changed  # actions carry no secrets beyond the generic names
    if changed is None and not special:
        return None
    return top


def _object_data(args: dict[str, Any]) -> bool:
    if args.get("qom-type") in _SECRET_OBJECTS and "data" in args:
        args["data"] = REDACTED
        return True
    return False


def _redact_tree(root: Mapping[str, Any]) -> dict[str, Any] | None:
    """Replace secret-named values at any depth; copy only what changes.

    Iterative, so that a value nested a thousand levels deep costs no
    recursion.
    """
    # find the paths to secret keys first: most requests have none
    found: list[tuple[tuple[Any, ...], str]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), root)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, Mapping):
            for key, value in node.items():
                if (
                    isinstance(key, str)
                    and is_secret_key(key)
                    and _secretish(key, value)
                ):
                    found.append((path, key))
                elif isinstance(value, Mapping | list):
                    stack.append(((*path, key), value))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, Mapping | list):
                    stack.append(((*path, index), value))
    if not found:
        return None
    copy: dict[str, Any] = dict(root)
    copied: set[tuple[Any, ...]] = set()
    for path, key in found:
        here: Any = copy
        for depth, step in enumerate(path, 1):
            child = here[step]
            if path[:depth] not in copied:  # copy each container once
                child = dict(child) if isinstance(child, Mapping) else list(child)
                here[step] = child
                copied.add(path[:depth])
            here = child
        here[key] = REDACTED
    return copy


def _secretish(key: str, value: Any) -> bool:
    if key == "cookie":  # the curl driver's HTTP cookie; other cookies are numbers
        return isinstance(value, str)
    return value is not None


def redact_hmp(line: str) -> str:
    """An HMP command line with its password words replaced."""
    spans: list[tuple[int, int]] = []
    for rule in _HMP_RULES:
        spans += [m.span("s") for m in rule.finditer(line)]
    if _HMP_SECRET_OBJECT.match(line):
        spans += [m.span("s") for m in _HMP_OBJECT_DATA.finditer(line)]
    for start, end in sorted(set(spans), reverse=True):
        line = line[:start] + REDACTED + line[end:]
    return line


def redact_line(text: str) -> str:
    """*text* (a command as typed) as it may be written to the history file.

    A line without secrets comes back unchanged.  One with secrets comes back
    as shorthand with the secret values replaced; a line that does not parse
    has ``name=VALUE`` words with secret names hidden as text.
    """
    from qmpsh.parser import ParseError, Request, parse

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
        from qmpsh.unparse import to_shorthand

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
