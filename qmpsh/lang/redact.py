"""Keep secrets out of files and stderr: hiding them in requests and lines.

Pure.  What counts as a secret is the table in `qmpsh.lang.secrets`; this
module applies it, the same way for every sink:

- `redact(message)`: a copy of a QMP request with every secret value
  replaced by ``"<redacted>"``, or None when it carries none (the common
  case costs one walk and no copy): the wire log, ``-v``, late replies;
- `shown(message, redacting)`: what ``-v`` echoes (`redact` unless
  ``--log-secrets``);
- (a line as the user typed it, for the history file: `redact_line` and
  its hook `redacting`, in `qmpsh.lang.history_redact`);
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
    "redact_reply",
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
    hold it: `qmpsh.lang.history_redact`)."""
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
