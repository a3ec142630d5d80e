"""What a request uses that the server's schema marks deprecated, and the
one-line warning that says so, with the replacement QEMU's manual names.

The live schema decides (``features: ["deprecated"]`` on a command, an
argument at any depth, or an enum value); the manual only words the hint
("Use base-node and top-node instead.").  Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from qmpsh.schema.manual.scope import deprecation_hint, scope_at
from qmpsh.schema.manual.view import Manual
from qmpsh.schema.model import Alternate, Array, Enum, Object, Schema, Type

#: how deep arguments are looked into
MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class Use:
    """One deprecated thing a request uses."""

    kind: Literal["command", "argument", "value"]
    #: the argument's path (for a value: the argument that has it)
    path: tuple[str | int, ...] = ()
    #: the value, for ``kind == "value"``
    value: str = ""

    def words(self, command: str) -> str:
        dotted = ".".join(str(step) for step in self.path)
        if self.kind == "command":
            return command
        if self.kind == "value":
            return f"{dotted}={self.value}"
        return dotted


def deprecated_uses(message: Mapping[str, Any], schema: Schema) -> list[Use]:
    """The deprecated command, arguments and values *message* uses."""
    command = message.get("execute", message.get("exec-oob"))
    if not isinstance(command, str) or command not in schema.commands:
        return []
    uses = []
    if "deprecated" in schema.commands[command].features:
        uses.append(Use("command"))
    root = schema.arguments(command)
    args = message.get("arguments")
    if root is not None and isinstance(args, Mapping):
        _object(schema, root, args, (), uses)
    return uses


def _object(
    schema: Schema,
    obj: Object,
    value: Mapping[str, Any],
    path: tuple[str | int, ...],
    uses: list[Use],
) -> None:
    if len(path) > MAX_DEPTH:
        return
    for key, sub in value.items():
        member = schema.member(obj, key, value)
        if member is None:
            continue
        here = (*path, key)
        if "deprecated" in member.features:
            uses.append(Use("argument", here))
        _value(schema, schema.type(member.type), sub, here, uses)


def _value(
    schema: Schema,
    typ: Type | None,
    value: Any,
    path: tuple[str | int, ...],
    uses: list[Use],
) -> None:
    if isinstance(typ, Alternate):
        if isinstance(value, Mapping):
            typ = schema.object_of(typ)
        elif isinstance(value, list):
            typ = schema.object_of(typ, index=True)
        else:
            enums = [schema.type(m) for m in typ.members]
            typ = next((t for t in enums if isinstance(t, Enum)), None)
    if isinstance(typ, Enum) and isinstance(value, str) and value in typ.deprecated:
        uses.append(Use("value", path, value))
    elif isinstance(typ, Object) and isinstance(value, Mapping):
        _object(schema, typ, value, path, uses)
    elif isinstance(typ, Array) and isinstance(value, list):
        element = schema.type(typ.element)
        for index, item in enumerate(value[:1000]):
            _value(schema, element, item, (*path, index), uses)


def deprecation_warning(
    message: Mapping[str, Any], uses: Sequence[Use], manual: Manual | None
) -> str:
    """``warning: block-commit: base and top are deprecated (Use base-node and
    top-node instead.)``: one line for *uses*, hints from *manual*."""
    command = str(message.get("execute", message.get("exec-oob", "")))
    args = message.get("arguments")
    groups: dict[str, list[str]] = {}
    for use in uses:
        groups.setdefault(_hint(use, command, args, manual), []).append(
            use.words(command)
        )
    parts = []
    for hint, names in groups.items():
        verb = "is" if len(names) == 1 else "are"
        text = f"{' and '.join(names)} {verb} deprecated"
        parts.append(f"{text} ({hint})" if hint else text)
    head = (
        "" if uses and uses[0].kind == "command" and len(uses) == 1 else f"{command}: "
    )
    return f"warning: {head}{'; '.join(parts)}"


def _hint(use: Use, command: str, args: Any, manual: Manual | None) -> str:
    if manual is None:
        return ""
    if use.kind == "command":
        return deprecation_hint(manual, command)
    name = use.path[-1]
    if not isinstance(name, str):
        return ""
    scope = scope_at(manual, command, use.path[:-1], args)
    if use.kind == "value":
        enum = scope.values(name)[0]
        return deprecation_hint(manual, enum) if enum else ""
    doc = scope.member(name)
    return deprecation_hint(manual, doc.owner) if doc is not None else ""
