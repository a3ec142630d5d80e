"""Help text from the schema: the command list, and one command or event.

Pure: lines of text from a `Schema` and the built-in registry; the ``help``
built-in (`qmpsh.builtins.help`) prints them.  Given a `Scope` of QEMU's
manual, each member of the tree also gets the manual's text
(`qmpsh.builtins.helpdocs` renders it), and one the manual lacks is marked
"undocumented here".
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from qmpsh.builtins import helpdocs
from qmpsh.builtins.registry import Builtin
from qmpsh.schema.agent import AgentCommand
from qmpsh.schema.manual.model import Entry
from qmpsh.schema.manual.scope import (
    NOWHERE,
    Doc,
    Scope,
    deprecation_hint,
    entry_scope,
    returns_scope,
)
from qmpsh.schema.manual.view import Manual
from qmpsh.schema.model import Alternate, Array, Enum, Member, Object, Schema, Type

#: (group title, words that put a command in it): the first match wins
_GROUP_WORDS = (
    (
        "QMP and the monitor",
        "qmp_capabilities query-commands query-qmp-schema human-monitor fd "
        "add_client yank trace- query-version query-name query-uuid stats",
    ),
    (
        "block devices, images and jobs",
        "block drive nbd eject bitmap backing job medium tray export snapshot- "
        "throttle pr-manager",
    ),
    ("migration", "migrat dirty colo xen- replay announce replication"),
    (
        "devices, objects and QOM",
        "device qom- object netdev chardev ringbuf input send-key set_link "
        "rx-filter rocker pci memory memdev hotpluggable acpi balloon tpm "
        "iothread virtio",
    ),
    (
        "machine, CPUs and display",
        "system_ stop cont quit status machine cpu kvm numa memsave screendump "
        "dump nmi rtc sev sgx vnc spice display password preconfig target irq "
        "gic skeys lost-tick hv- watchdog audio ui",
    ),
)
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (title, tuple(words.split())) for title, words in _GROUP_WORDS
)
OTHER = "other"
LEGEND = "* deprecated   ~ unstable"
#: how deep nested objects are shown (below that: "...")
MAX_DEPTH = 4
RETURN_DEPTH = 3


def group_of(name: str) -> str:
    for title, words in GROUPS:
        if any(word in name for word in words):
            return title
    return OTHER


def _mark(features: Sequence[str]) -> str:
    if "deprecated" in features:
        return "*"
    return "~" if "unstable" in features else ""


def columns(words: Sequence[str], width: int, indent: str = "  ") -> list[str]:
    """*words* in as many columns as fit *width*, top to bottom (as ls does)."""
    if not words:
        return []
    for ncols in range(min(len(words), max(1, width // 3)), 0, -1):
        rows = -(-len(words) // ncols)
        table = [words[c * rows : (c + 1) * rows] for c in range(ncols)]
        table = [col for col in table if col]
        widths = [max(len(w) for w in col) + 2 for col in table]
        if len(indent) + sum(widths) - 2 <= width or len(table) == 1:
            break
    lines = []
    for r in range(rows):
        cells = [
            col[r].ljust(w)
            for col, w in zip(table, widths, strict=True)
            if r < len(col)
        ]
        lines.append((indent + "".join(cells)).rstrip())
    return lines


def command_list(
    schema: Schema | None, builtins: Mapping[str, Builtin], width: int = 80
) -> list[str]:
    """``help`` without arguments: commands grouped, then the built-ins."""
    lines: list[str] = []
    if schema is not None:
        groups: dict[str, list[str]] = {}
        for name in sorted(schema.commands):
            mark = _mark(schema.commands[name].features)
            groups.setdefault(group_of(name), []).append(name + mark)
        for title in [g for g, _ in GROUPS] + [OTHER]:
            if title in groups:
                lines.append(f"{title}:")
                lines += columns(groups[title], width)
        lines.append(LEGEND)
        lines.append("")
    return lines + _builtins_part(builtins, width)


def agent_command_list(
    commands: Mapping[str, AgentCommand],
    version: str,
    builtins: Mapping[str, Builtin],
    width: int = 80,
) -> list[str]:
    """``help`` without arguments on a guest agent: its commands (from
    guest-info), the disabled ones apart, then the built-ins."""
    agent = f"qemu-ga {version}" if version else "the guest agent"
    enabled = sorted(n for n, c in commands.items() if c.enabled)
    disabled = sorted(n for n, c in commands.items() if not c.enabled)
    lines = [f"commands of {agent}:", *columns(enabled, width), ""]
    if disabled:
        lines.append("disabled in this agent (qemu-ga --block-rpcs or --allow-rpcs):")
        lines += [*columns(disabled, width), ""]
    return lines + _builtins_part(builtins, width)


def agent_command_help(command: AgentCommand, width: int = 80) -> list[str]:
    """``help NAME`` of a guest agent's command: the agent has no schema."""
    state = "enabled" if command.enabled else "disabled in this agent"
    text = (
        f"{command.name}: a command of this guest agent ({state}). A guest agent "
        "publishes no schema, so its arguments are not known here; QEMU's "
        "guest agent protocol reference (qemu-ga-ref) describes them."
    )
    return textwrap.wrap(text, width)


def _builtins_part(builtins: Mapping[str, Builtin], width: int) -> list[str]:
    lines = ["built-ins:"]
    pad = max((len(n) for n in builtins), default=0) + 2
    for name in sorted(builtins):
        lines.append(f"  {name.ljust(pad)}{builtins[name].summary}")
    lines.append("")
    lines += textwrap.wrap(
        "help NAME describes a command, an event or a built-in; "
        "help NAME KEY=VALUE picks a union's variant; help keys lists key bindings.",
        width,
    )
    return lines


def member_line(schema: Schema, member: Member, tag: bool = False) -> str:
    """``str, required`` / ``enum, optional, deprecated`` for a member
    (with *tag*: it is the discriminator that selects a union's variant)."""
    parts = [schema.describe(member.type)]
    parts.append("optional" if member.optional else "required")
    if tag:
        parts.append("selects the variant")
    parts += [f for f in ("deprecated", "unstable") if f in member.features]
    return ", ".join(parts)


class _Tree:
    def __init__(
        self, schema: Schema, width: int, command: str = "", depth: int = MAX_DEPTH
    ) -> None:
        self.schema = schema
        self.width = width
        #: the command whose arguments these are ("" for replies and events)
        self.command = command
        self.depth = depth
        self.lines: list[str] = []
        #: the manual's texts of the values of the enum about to be shown,
        #: and its name there
        self.values: Mapping[str, Doc] = {}
        self.enum_name: str | None = None

    def object(
        self,
        obj: Object,
        value: Any,
        indent: str,
        path: str,
        stack: tuple[str, ...],
        scope: Scope = NOWHERE,
    ) -> None:
        schema = self.schema
        members = schema.members(obj, value)
        pad = max((len(m.name) for m in members), default=0) + 2
        scope = scope.at(value)
        for member in members:
            sub = value.get(member.name) if isinstance(value, Mapping) else None
            where = f"{path}{member.name}"
            self.member(member, sub, indent, pad, where, stack, scope)
        if obj.tag is not None and schema.variant(obj, value) is None:
            if self.command and "[" not in path:
                how = f": help {self.command} {path}{obj.tag}=VALUE"
            else:
                how = ""
            self.lines.append(f"{indent}(each {obj.tag} adds its own members{how})")

    def member(
        self,
        member: Member,
        value: Any,
        indent: str,
        pad: int,
        path: str,
        stack: tuple[str, ...],
        scope: Scope = NOWHERE,
    ) -> None:
        schema = self.schema
        typ = schema.type(member.type)
        doc = scope.member(member.name)
        line = member_line(schema, member)
        if doc is None and scope.documented:
            line += ", undocumented here"
        self.lines.append(f"{indent}{member.name.ljust(pad)}{line}")
        if doc is not None:
            deprecated = "deprecated" in member.features
            self.lines += helpdocs.member_words(
                doc, scope.manual, self.width, indent + "  ", deprecated
            )
        below = scope.child(member.name, value)
        self.enum_name, self.values = scope.values(member.name)
        self.details(typ, value, indent + "  ", path, stack, below)

    def details(
        self,
        typ: Type | None,
        value: Any,
        indent: str,
        path: str,
        stack: tuple[str, ...],
        scope: Scope = NOWHERE,
    ) -> None:
        schema = self.schema
        if isinstance(typ, Enum):
            self.enum(typ, indent)
        elif isinstance(typ, Array):
            element = schema.type(typ.element)
            if isinstance(element, Object | Enum):
                first = value[0] if isinstance(value, list) and value else None
                where = f"{path}[0]."
                self.details(element, first, indent, where, stack, scope.at(first))
        elif isinstance(typ, Alternate):
            for name in typ.members:
                member = schema.type(name)
                if isinstance(member, Enum):
                    self.enum(member, indent)
                elif isinstance(member, Object) and isinstance(value, Mapping):
                    self.details(member, value, indent, path, stack, scope)
        elif isinstance(typ, Object):
            given = isinstance(value, Mapping) and bool(value)
            if not given and (len(stack) >= self.depth or typ.name in stack):
                self.lines.append(f"{indent}...")
                return
            dotted = path if path.endswith(".") or not path else f"{path}."
            self.object(typ, value, indent, dotted, (*stack, typ.name), scope)

    def enum(self, typ: Enum, indent: str) -> None:
        """The values, each with its text when the manual has them (and the
        enum is small), else on wrapped lines."""
        docs, self.values = self.values, {}
        if docs and len(typ.values) <= helpdocs.LISTED_VALUES:
            self.lines += helpdocs.value_lines(
                typ.values, docs, typ.deprecated, self.width, indent
            )
            return
        values = [v + ("*" if v in typ.deprecated else "") for v in typ.values]
        self.lines += textwrap.wrap(
            " | ".join(values),
            self.width,
            initial_indent=f"{indent}values: ",
            subsequent_indent=f"{indent}        ",
            break_on_hyphens=False,
        )
        if docs and self.enum_name:
            self.lines.append(f"{indent}(help {self.enum_name} says what each means)")


def _flags_line(features: Sequence[str], hint: str = "", width: int = 80) -> list[str]:
    """``deprecated``, ``unstable``; with *hint*, what the manual says to use
    instead of what is deprecated."""
    shown = [f for f in features if f in ("deprecated", "unstable")]
    if hint and "deprecated" in shown:
        text = ", ".join(shown) + f": {hint}"
        return textwrap.wrap(text, width, initial_indent="  ", subsequent_indent="    ")
    return [f"  {', '.join(shown)}"] if shown else []


def _head(
    name: str, what: str, features: Sequence[str], manual: Manual | None, width: int
) -> tuple[list[str], Entry | None]:
    """The first lines of ``help CMD`` or ``help EVENT``: the name, its
    flags, then the manual's description (or that it has none)."""
    entry = manual.get(name) if manual is not None else None
    hint = deprecation_hint(manual, name) if entry is not None else ""
    lines = [f"{name}: {what}", *_flags_line(features, hint, width)]
    if entry is not None:
        lines += helpdocs.intro(entry, width)
    elif manual is not None:
        lines.append(f"  undocumented here: the manual has no {what} {name}")
    return lines, entry


def command_help(
    schema: Schema,
    name: str,
    values: Mapping[str, Any] | None = None,
    width: int = 80,
    manual: Manual | None = None,
    as_json: bool = False,
) -> list[str]:
    """``help CMD``: arguments as a tree, return type, out-of-band support;
    with *manual*, its description, texts, notes and examples."""
    command = schema.commands[name]
    lines, entry = _head(name, "command", command.features, manual, width)
    tree = _Tree(schema, width, name)
    args = schema.type(command.arg_type)
    if isinstance(args, Object) and (args.members or args.tag):
        lines.append("  arguments:")
        scope = entry_scope(manual, name) if entry is not None else NOWHERE
        tree.object(args, values or {}, "    ", "", (args.name,), scope)
        lines += tree.lines
    else:
        lines.append("  arguments: none")
    lines += _returns(schema, command.ret_type, width, entry, manual)
    lines.append(f"  out-of-band: {'yes' if command.allow_oob else 'no'}")
    if entry is not None:
        lines += helpdocs.outro(entry, width, as_json)
    return lines


def _returns(
    schema: Schema,
    ret: str,
    width: int,
    entry: Entry | None = None,
    manual: Manual | None = None,
) -> list[str]:
    typ = schema.type(ret)
    said = helpdocs.returns_text(entry, width) if entry is not None else []
    if isinstance(typ, Object) and not typ.members and typ.tag is None:
        return ["  returns: nothing ({})", *said]
    lines = [f"  returns: {schema.describe(typ)}", *said]
    tree = _Tree(schema, width, depth=RETURN_DEPTH)
    scope = returns_scope(manual, entry) if entry is not None else NOWHERE
    tree.details(typ, None, "    ", "", (), scope)
    return lines + tree.lines


def event_help(
    schema: Schema,
    name: str,
    values: Mapping[str, Any] | None = None,
    width: int = 80,
    manual: Manual | None = None,
    as_json: bool = False,
) -> list[str]:
    """``help EVENT``: its data as a tree (with *manual*: and its texts)."""
    event = schema.events[name]
    lines, entry = _head(name, "event", event.features, manual, width)
    data = schema.type(event.arg_type)
    if isinstance(data, Object) and (data.members or data.tag):
        lines.append("  data:")
        tree = _Tree(schema, width)
        scope = entry_scope(manual, name) if entry is not None else NOWHERE
        tree.object(data, values or {}, "    ", "", (data.name,), scope)
        lines += tree.lines
    else:
        lines.append("  data: none")
    if entry is not None:
        lines += helpdocs.outro(entry, width, as_json)
    return lines
