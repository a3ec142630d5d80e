"""Help text from the schema: the command list, and one command or event.

Pure: lines of text from a `Schema` and the built-in registry; the ``help``
built-in (`qmpsh.builtins.help`) prints them.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from qmpsh.builtins.registry import Builtin
from qmpsh.schema.agent import AgentCommand
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

    def object(
        self, obj: Object, value: Any, indent: str, path: str, stack: tuple[str, ...]
    ) -> None:
        schema = self.schema
        members = schema.members(obj, value)
        pad = max((len(m.name) for m in members), default=0) + 2
        for member in members:
            sub = value.get(member.name) if isinstance(value, Mapping) else None
            self.member(member, sub, indent, pad, f"{path}{member.name}", stack)
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
    ) -> None:
        schema = self.schema
        typ = schema.type(member.type)
        self.lines.append(
            f"{indent}{member.name.ljust(pad)}{member_line(schema, member)}"
        )
        self.details(typ, value, indent + "  ", path, stack)

    def details(
        self,
        typ: Type | None,
        value: Any,
        indent: str,
        path: str,
        stack: tuple[str, ...],
    ) -> None:
        schema = self.schema
        if isinstance(typ, Enum):
            self.enum(typ, indent)
        elif isinstance(typ, Array):
            element = schema.type(typ.element)
            if isinstance(element, Object | Enum):
                first = value[0] if isinstance(value, list) and value else None
                self.details(element, first, indent, f"{path}[0].", stack)
        elif isinstance(typ, Alternate):
            for name in typ.members:
                member = schema.type(name)
                if isinstance(member, Enum):
                    self.enum(member, indent)
                elif isinstance(member, Object) and isinstance(value, Mapping):
                    self.details(member, value, indent, path, stack)
        elif isinstance(typ, Object):
            given = isinstance(value, Mapping) and bool(value)
            if not given and (len(stack) >= self.depth or typ.name in stack):
                self.lines.append(f"{indent}...")
                return
            dotted = path if path.endswith(".") or not path else f"{path}."
            self.object(typ, value, indent, dotted, (*stack, typ.name))

    def enum(self, typ: Enum, indent: str) -> None:
        values = [v + ("*" if v in typ.deprecated else "") for v in typ.values]
        self.lines += textwrap.wrap(
            " | ".join(values),
            self.width,
            initial_indent=f"{indent}values: ",
            subsequent_indent=f"{indent}        ",
            break_on_hyphens=False,
        )


def _flags_line(features: Sequence[str]) -> list[str]:
    shown = [f for f in features if f in ("deprecated", "unstable")]
    return [f"  {', '.join(shown)}"] if shown else []


def command_help(
    schema: Schema, name: str, values: Mapping[str, Any] | None = None, width: int = 80
) -> list[str]:
    """``help CMD``: arguments as a tree, return type, out-of-band support."""
    command = schema.commands[name]
    lines = [f"{name}: command", *_flags_line(command.features)]
    tree = _Tree(schema, width, name)
    args = schema.type(command.arg_type)
    if isinstance(args, Object) and (args.members or args.tag):
        lines.append("  arguments:")
        tree.object(args, values or {}, "    ", "", (args.name,))
        lines += tree.lines
    else:
        lines.append("  arguments: none")
    lines += _returns(schema, command.ret_type, width)
    lines.append(f"  out-of-band: {'yes' if command.allow_oob else 'no'}")
    return lines


def _returns(schema: Schema, ret: str, width: int) -> list[str]:
    typ = schema.type(ret)
    if isinstance(typ, Object) and not typ.members and typ.tag is None:
        return ["  returns: nothing ({})"]
    lines = [f"  returns: {schema.describe(typ)}"]
    tree = _Tree(schema, width, depth=RETURN_DEPTH)
    tree.details(typ, None, "    ", "", ())
    return lines + tree.lines


def event_help(
    schema: Schema, name: str, values: Mapping[str, Any] | None = None, width: int = 80
) -> list[str]:
    """``help EVENT``: its data as a tree."""
    event = schema.events[name]
    lines = [f"{name}: event", *_flags_line(event.features)]
    data = schema.type(event.arg_type)
    if isinstance(data, Object) and (data.members or data.tag):
        lines.append("  data:")
        tree = _Tree(schema, width)
        tree.object(data, values or {}, "    ", "", (data.name,))
        lines += tree.lines
    else:
        lines.append("  data: none")
    return lines


def builtin_help(item: Builtin, width: int = 80) -> list[str]:
    """``help BUILT-IN``: the usage, the summary, then the text re-wrapped to
    *width*, paragraph by paragraph, without its markup (see `plain`)."""
    head = _wrap_usage(f"{item.name} {item.usage}".rstrip() + ": built-in", width)
    lines = [*head, *_paragraph(item.summary, width)]
    for paragraph in re.split(r"\n\s*\n", item.doc.strip()):
        if paragraph.strip():
            lines += ["", *_paragraph(plain(paragraph), width)]
    if not item.batch:
        lines.append("  (interactive only)")
    return lines


#: a docstring's literal: ``word``
_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)


def plain(text: str) -> str:
    """Docstring text as help prints it: a ``literal`` of one word as the
    word itself, one of several words between double quotes (as qmpsh's
    ``--help`` quotes "help CMD")."""

    def unquote(match: re.Match[str]) -> str:
        words = " ".join(match.group(1).split())
        return f'"{words}"' if " " in words else words

    return _LITERAL.sub(unquote, text)


#: the end of a sentence at the end of a docstring's line
_SENTENCE_END = re.compile(r"[.!?][)\"']?$")


def _paragraph(text: str, width: int) -> list[str]:
    """*text* (lines of a docstring) as one paragraph wrapped to *width*,
    two spaces after a sentence as in the docstring (and ``--help``)."""
    joined = ""
    for line in text.splitlines():
        line = line.strip()
        if joined and line:
            end = _SENTENCE_END.search(joined) and not line[:1].islower()
            joined += "  " if end else " "
        joined += line
    return textwrap.wrap(
        joined,
        width,
        initial_indent="  ",
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


#: a space inside an innermost ``[...]`` of a usage: not a place to break
_GROUP_SPACE = re.compile(r"\[[^\[\]]*\]")
_KEEP = "\0"


def _wrap_usage(line: str, width: int) -> list[str]:
    """A usage line wrapped between its words and bracketed groups (never
    inside ``[--top NODE]``), continued under the first argument."""
    name = line.split(" ", 1)[0]
    kept = _GROUP_SPACE.sub(lambda m: m.group(0).replace(" ", _KEEP), line)
    wrapped = textwrap.wrap(
        kept,
        width,
        subsequent_indent=" " * (len(name) + 1),
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [part.replace(_KEEP, " ") for part in wrapped]


def keys_help(rows: Iterable[tuple[str, str]]) -> list[str]:
    rows = list(rows)
    pad = max((len(k) for k, _ in rows), default=0) + 2
    return [f"  {key.ljust(pad)}{what}" for key, what in rows]
