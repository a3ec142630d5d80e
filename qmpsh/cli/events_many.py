"""``qmpsh events ADDRESS ADDRESS...``: listen to several targets at once.

Each target has its own `qmpsh.cli.events_listener.Listener` (its own named-target
settings, as for one target), tagged with its label: every event printed
gets a ``"target"`` member, every line on stderr the target's name.  The
options apply to each target: ``--count N`` is N events *from each*
target (``--count 1 -e SHUTDOWN`` waits until every VM has quit),
``--timeout`` ends every one at once, ``--fail-on`` counts for each.  The
ready line (or ``--ready-fd``) comes once every target is subscribed or
has failed to connect.  One target's end (QEMU quit, the connection lost,
no connection) is one line and the others go on; the exit code is the
worst of the targets' (`qmpsh.core.exitcodes.worst`).  Stdout that cannot
be written stops them all.  All targets are listened to at once:
``--parallel`` does not apply, a listener only waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from qmpsh.core.exitcodes import worst

if TYPE_CHECKING:
    from qmpsh.cli.events_listener import Listener
    from qmpsh.wire.transport import Transport


#: makes a target's listener: (settings, label, called once subscribed)
MakeListener = Callable[[Any, str | None, Callable[[], None] | None], "Listener"]


def listen_many(
    words: Sequence[str],
    given: dict[str, Any],
    make_listener: MakeListener,
    announce: Callable[[], None],
) -> int:
    """Listen to every target *words* name; *given*: the settings the
    options set (the event filter among them); *announce* says that
    listening has begun."""
    from qmpsh.cli.targets import TargetError, resolve_many
    from qmpsh.core.exitcodes import Exit
    from qmpsh.core.settings import build_settings
    from qmpsh.wire.address import AddressError

    try:
        found = resolve_many(list(words))
    except AddressError as err:
        raise click.UsageError(str(err)) from None
    except TargetError as err:

        class Problem(click.ClickException):
            exit_code = int(Exit.USAGE)

        raise Problem(str(err)) from None
    group = Group(announce)
    make_listener(build_settings(given), None, None)  # the options' mistakes, once
    for many in found:
        settings = build_settings(given, target=many.resolved.settings)
        try:
            many.resolved.transport.configure(settings)
        except AddressError as err:
            group.problems[many.label] = str(err)
            continue
        listener = make_listener(settings, many.label, group.check_ready)
        group.listeners[many.label] = (listener, many.resolved.transport)
    try:
        return asyncio.run(group.run())
    except KeyboardInterrupt:
        from qmpsh.cli.problems import interrupted

        return interrupted()


class Group:
    """The listeners of several targets, and the one ready line."""

    def __init__(self, announce: Callable[[], None]) -> None:
        self.announce = announce
        self.listeners: dict[str, tuple[Listener, Transport]] = {}
        #: targets that cannot be listened to: why
        self.problems: dict[str, str] = {}
        #: targets whose listening has ended (or never began)
        self.done: set[str] = set()
        self.announced = False

    async def run(self) -> int:
        from qmpsh.cli.problems import fail
        from qmpsh.cli.tagged import about
        from qmpsh.core.exitcodes import Exit

        codes: list[int] = []
        for label, problem in self.problems.items():
            codes.append(fail(about(label, problem), Exit.USAGE))
        tasks = {
            asyncio.ensure_future(self._one(label)): listener
            for label, (listener, _) in self.listeners.items()
        }
        waiting = set(tasks)
        try:
            while waiting:
                done, waiting = await asyncio.wait(
                    waiting, return_when=asyncio.FIRST_COMPLETED
                )
                codes += [task.result() for task in done]
                if any(tasks[task].output_error is not None for task in done):
                    break  # stdout is gone: for every target
        finally:
            for task in waiting:
                task.cancel()
            await asyncio.gather(*waiting, return_exceptions=True)
        return worst(codes)

    async def _one(self, label: str) -> int:
        listener, transport = self.listeners[label]
        try:
            return await listener.run(transport)
        finally:
            self.done.add(label)
            self.check_ready()

    def check_ready(self) -> None:
        """Once every listener is subscribed or done, and one at least is
        subscribed, say so (once)."""
        if self.announced:
            return
        subscribed = {
            label
            for label, (listener, _) in self.listeners.items()
            if listener.subscribed
        }
        if not subscribed or len(subscribed | self.done) < len(self.listeners):
            return
        self.announced = True
        self.announce()
