"""The hooks of a shell open on several targets (`qmpsh.shell.modes_api.Hooks`).

Each member has the hooks `qmpsh.shell.modes.hooks_for` made for its
session (its schema's completion, checks and signature line, its event
filter, its block jobs).  `fleet_hooks` gives the shell one set that
follows the current member, or the one an ``@NAME`` prefix names while the
cursor is after it (``@vm2 query-`` completes from vm2's schema; the
prefix as `qmpsh.lang.anatomy` finds it, ``!@vm2 query-`` too):

- the completer: the members' names after ``@``, then the named (or
  current) member's completer on the rest of the line;
- the signature line, the command names, the toolbar's segments: the
  current member's (the named one's for the signature), with the fleet's
  ``3/3 up`` first;
- the event filter: that of the member the event came from.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Collection, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import AnyFormattedText

from qmpsh.lang.anatomy import anatomy
from qmpsh.lang.at_prefix import ALL
from qmpsh.shell.fleet import Fleet, Member
from qmpsh.shell.fleet_lines import FleetLines
from qmpsh.shell.modes_api import Hooks, Segment
from qmpsh.wire.eventlog import Event


def fleet_hooks(fleet: Fleet) -> Hooks:
    """The shell's hooks for *fleet* (see the module's docstring)."""

    def current() -> Member:
        return fleet.current

    def command_names() -> Collection[str] | None:
        hook = current().hooks.command_names
        return hook() if hook is not None else None

    def hint(before: str, width: int) -> AnyFormattedText:
        member, rest = _addressed(fleet, before)
        hook = member.hooks.input_hint
        if hook is None or rest is None:
            return ""
        return hook(rest, width)

    def hint_key() -> object:
        keys = [m.hooks.input_hint_key for m in fleet.members]
        return (fleet.current.name, *(key() if key else None for key in keys))

    def shown(event: Event) -> bool:
        member = fleet.member_of(event)
        keep = member.hooks.event_filter if member is not None else None
        return keep is None or keep(event)

    def filter_key() -> object:
        keys = [m.hooks.event_filter_key for m in fleet.members]
        return tuple(key() if key else None for key in keys)

    def connect(redraw: Callable[[], None]) -> None:
        for m in fleet.members:
            if m.hooks.connect_redraw is not None:
                m.hooks.connect_redraw(redraw)

    segments: list[Segment] = [fleet.summary]
    most = max(len(m.hooks.toolbar_segments) for m in fleet.members)
    segments += [_segment(fleet, i) for i in range(most)]
    first = fleet.members[0].hooks
    return Hooks(
        completer=FleetCompleter(fleet),
        complete_while_typing=first.complete_while_typing,
        command_names=command_names,
        toolbar_segments=segments,
        input_hint=hint,
        input_hint_key=hint_key,
        connect_redraw=connect,
        event_filter=shown,
        event_filter_key=filter_key,
        line_mode=FleetLines(fleet),
    )


def _segment(fleet: Fleet, index: int) -> Segment:
    def segment() -> AnyFormattedText:
        own = fleet.current.hooks.toolbar_segments
        return own[index]() if index < len(own) else ""

    return segment


def _addressed(fleet: Fleet, before: str) -> tuple[Member, str | None]:
    """The member the text before the cursor is typed for, and that text
    without its ``@`` prefix (None while the cursor is in the prefix).  The
    prefix is where `qmpsh.lang.anatomy` finds it, as on Enter: a ``!``
    may come before it (``!@vm2 CMD`` is ``@vm2 !CMD``)."""
    parts = anatomy(before)
    if parts.target is None:
        return fleet.current, before
    if parts.target.end == len(before):
        return fleet.current, None  # still typing the name
    return _named(fleet, parts.word), before[parts.body :]


def _named(fleet: Fleet, word: str) -> Member:
    """The member whose schema completes after ``@WORD``: the one it names,
    the first of a set, else the current one."""
    found = fleet.pick(word)
    if isinstance(found, str) or not found[0]:
        return fleet.current
    return found[0][0]


class FleetCompleter(Completer):
    """Target names after ``@``; then the addressed member's completer."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet

    def _names(self, word: str) -> Iterable[Completion]:
        fleet = self.fleet
        words = [*fleet.names, ALL, *fleet.groups]
        for name in words:
            if name.startswith(word):
                meta = "all targets" if name == ALL else ""
                if name in fleet.groups:
                    meta = "group"
                elif name in fleet.by_name:
                    meta = (
                        "target (current)" if fleet.current.name == name else "target"
                    )
                yield Completion(name, -len(word), display_meta=meta)

    def _split(self, document: Document) -> tuple[Completer | None, Document | None]:
        """The completer for the text, and the document it completes (the
        line after the prefix); (None, None) in the ``@`` word."""
        before = document.text_before_cursor
        member, rest = _addressed(self.fleet, before)
        completer = member.hooks.completer
        if rest is None:
            return None, None
        if rest is before:
            return completer, document
        cut = len(before) - len(rest)
        return completer, Document(document.text[cut:], document.cursor_position - cut)

    def _at_word(self, document: Document) -> str | None:
        """The ``@`` word the cursor ends (None: the cursor is not in one)."""
        before = document.text_before_cursor
        parts = anatomy(before)
        if parts.target is None or parts.target.end != len(before):
            return None
        return parts.word

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        word = self._at_word(document)
        if word is not None:
            yield from self._names(word)
            return
        completer, inner = self._split(document)
        if completer is not None and inner is not None:
            yield from completer.get_completions(inner, complete_event)

    async def get_completions_async(
        self, document: Document, complete_event: CompleteEvent
    ) -> AsyncGenerator[Completion, None]:
        word = self._at_word(document)
        if word is not None:
            for item in self._names(word):
                yield item
            return
        completer, inner = self._split(document)
        if completer is not None and inner is not None:
            async for item in completer.get_completions_async(inner, complete_event):
                yield item
