"""Several targets in one shell: who they are and which one is current.

A `Member` is one open target: its session's `Context` (connection,
settings, event history, schema service: each target has its own), the
hooks and line mode `qmpsh.shell.modes.hooks_for` made for it, and, once
the shell is built, its `Link` (its state for the toolbar, and its own
reconnecting: a target that drops comes back without disturbing the
others).

`Fleet` holds them, in the order the command line gave, and the current
one: the shell's ``ctx``, ``settings`` and ``link`` are the current
member's (`switch` changes them), or the visited one's while a line runs
elsewhere (`visiting`).  What the screen shows (the prompt, the
completion, the signature line) follows `Fleet.current`.  Every member's
events are copied into one merged history, marked with their target
(`qmpsh.shell.eventpane.TARGET`), which the event pane shows.

The line mode that routes ``@`` prefixes is `qmpsh.shell.fleet_lines`;
the hooks that follow the current member, `qmpsh.shell.fleet_hooks`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prompt_toolkit.formatted_text import StyleAndTextTuples

from qmpsh.builtins.context import Context
from qmpsh.builtins.linemode import LineMode
from qmpsh.lang.at_prefix import Picked, pick
from qmpsh.shell.eventpane import TARGET
from qmpsh.shell.modes_api import Hooks
from qmpsh.shell.status import Link
from qmpsh.wire.eventlog import Event, EventLog
from qmpsh.wire.reconnect import Reopen

if TYPE_CHECKING:
    from qmpsh.shell.state import Shell


@dataclass
class Member:
    """One open target of the shell (see the module's docstring)."""

    #: what the prompt, ``@`` and the event marks call it
    name: str
    #: the target as the command line gave it (a path, a target's name)
    label: str
    ctx: Context
    hooks: Hooks
    line_mode: LineMode
    #: how its connection comes back (None: it cannot be reopened)
    reopen: Reopen | None = None
    #: its state and reconnecting, made by `Fleet.attach`
    link: Link | None = None

    @property
    def up(self) -> bool:
        return self.ctx.conn.connected

    def state(self) -> str:
        """Connected, reconnecting, lost... (the toolbar's word for it)."""
        if self.link is None:
            return "connected" if self.up else "lost"
        return self.link.state()[0]


class Fleet:
    """The shell's open targets and the current one."""

    def __init__(
        self,
        members: Sequence[Member],
        groups: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        if not members:
            raise ValueError("a fleet needs a target")
        self.members = list(members)
        self.by_name = {m.name: m for m in self.members}
        #: the full labels (paths) that name a member besides its name
        self.aliases = {m.label: m.name for m in self.members if m.label != m.name}
        #: the ``[groups]`` of the config file: name -> its targets
        self.groups: Mapping[str, Sequence[str]] = groups or {}
        self.current = self.members[0]
        self.events = EventLog(self.current.ctx.settings.event_history)
        self.shell: Shell | None = None

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.members]

    def pick(self, word: str) -> tuple[list[Member], bool] | str:
        """The members ``@WORD`` names, and whether it names a set (``*``,
        a group); or one line saying why none."""
        found = pick(word, self.names, self.aliases, self.groups)
        if not isinstance(found, Picked):
            return found
        return [self.by_name[name] for name in found.names], found.several

    # -- with the shell ----------------------------------------------------

    def attach(self, shell: Shell) -> None:
        """Become *shell*'s targets: each member gets its `Link` (printing
        through the shell, its lines starting with its name), the pane
        shows the merged events, and the shell acts on the current one."""
        self.shell = shell
        for m in self.members:
            s = m.ctx.settings
            m.link = Link(
                m.ctx.conn,
                shell.printer,
                s.retries,
                s.retry_delay,
                m.reopen,
                shell.invalidate,
                self._back_for(m),
                label=m.name,
            )
        shell.display.events = self.events
        shell.at_prefixes = True
        self._act(self.current)

    def _back_for(self, member: Member) -> Callable[[], None]:
        def back() -> None:
            if self.shell is not None and member is self.current:
                self.shell.message = None  # e.g. "not connected"

        return back

    def _act(self, member: Member) -> None:
        shell = self.shell
        assert shell is not None and member.link is not None
        shell.ctx = member.ctx
        shell.settings = member.ctx.settings
        shell.link = member.link

    def switch(self, member: Member) -> None:
        """Make *member* the current target."""
        self.current = member
        self._act(member)
        if self.shell is not None:
            self.shell.message = None
            self.shell.invalidate()

    @contextlib.contextmanager
    def visiting(self, member: Member) -> Iterator[None]:
        """Within the block the shell acts on *member* (its connection,
        settings and checks), then on the current one again."""
        self._act(member)
        try:
            yield
        finally:
            self._act(self.current)

    @contextlib.contextmanager
    def listening(self) -> Iterator[None]:
        """Within the block: every member's events reach the shell (marked,
        through the merged history), and its connection's state its link;
        the shell is every member's front end."""
        shell = self.shell
        assert shell is not None
        with contextlib.ExitStack() as stack:
            for m in self.members:
                assert m.link is not None
                stack.callback(m.ctx.events.subscribe(self._on_event(m)))
                stack.callback(m.ctx.conn.on_state(m.link.on_state))
                stack.enter_context(m.ctx.fronted(shell.frontend()))
            yield

    def _on_event(self, member: Member) -> Callable[[Event], None]:
        def arrived(event: Event) -> None:
            merged = self.events.append({**event.message, TARGET: member.name})
            if self.shell is not None:
                self.shell.display.on_event(merged)

        return arrived

    def member_of(self, event: Event) -> Member | None:
        """The member a merged event came from."""
        name = event.message.get(TARGET)
        return self.by_name.get(name) if isinstance(name, str) else None

    async def probe(self) -> None:
        """Every member's `Link.probe`, at once."""
        await asyncio.gather(
            *(m.link.probe() for m in self.members if m.link is not None)
        )

    def retry_down(self) -> None:
        """Start reconnecting the members that could not be reached at the
        start (the others reconnect when they drop)."""
        for m in self.members:
            if not m.up and m.link is not None:
                m.link.reconnect_now()

    def close(self) -> None:
        for m in self.members:
            if m.link is not None:
                m.link.close()

    # -- for the toolbar and the banner -------------------------------------

    def summary(self) -> StyleAndTextTuples:
        """``3/3 up``, or ``2/3 up: vm3 reconnecting``."""
        down = [m for m in self.members if not m.up]
        total = len(self.members)
        if not down:
            return [("class:toolbar", f"{total}/{total} up")]
        what = ", ".join(f"{m.name} {m.state()}" for m in down)
        return [
            ("class:toolbar.state.reconnecting", f"{total - len(down)}/{total} up: "),
            ("class:toolbar.state.reconnecting", what),
        ]

    def banner(self) -> str:
        """The first line the shell prints: what it is connected to."""
        parts = []
        for m in self.members:
            conn = m.ctx.conn
            if not m.up:
                what = "not connected"
            elif conn.version:
                what = f"QEMU {conn.version}"
            elif conn.guest_agent:
                what = "a guest agent"
            else:
                what = "a QMP server"
            parts.append(f"{m.name} ({what})")
        return (
            f"qmpsh: {len(self.members)} targets: {', '.join(parts)}.  "
            f"@NAME switches, @NAME CMD runs CMD there, @* CMD on all; "
            "F1 lists the keys; Ctrl-D quits."
        )
