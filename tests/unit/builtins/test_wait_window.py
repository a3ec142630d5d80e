"""Where ``wait`` looks back to (`Context.sent`, `Context.wait_window`)."""

from __future__ import annotations

from qmpsh.builtins.context import Context
from qmpsh.core.settings import Settings
from qmpsh.wire.connection import Connection


class Quiet:
    def out(self, text: str) -> None:
        pass

    def err(self, text: str) -> None:
        pass


def context(interactive: bool) -> Context:
    return Context(Connection(), Settings(), Quiet(), interactive=interactive)


def test_batch_mode_looks_back_to_the_first_command_after_the_previous_wait() -> None:
    ctx = context(interactive=False)
    log = ctx.events
    assert ctx.wait_window() == 0  # before any command: the whole session
    log.append({"event": "A"})  # seq 1, before the first command
    ctx.sent()  # blockdev-backup
    log.append({"event": "B"})  # seq 2, caused by it
    ctx.sent()  # a diagnostic query-block-jobs
    assert ctx.wait_window() == 1  # B still counts
    ctx.waited(2)
    assert ctx.wait_window() == 1  # no command since: the same window
    assert 2 in ctx.session.waited  # but B is not returned again
    log.append({"event": "C"})
    ctx.sent()  # the next command opens a new window
    assert ctx.wait_window() == 3
    assert ctx.wait_window(history=True) == 0


def test_the_shell_looks_back_to_the_previous_command() -> None:
    ctx = context(interactive=True)
    ctx.events.append({"event": "A"})
    ctx.sent()
    ctx.events.append({"event": "B"})
    ctx.sent()
    assert ctx.wait_window() == 2
    ctx.waited(2)
    assert not ctx.session.waited  # the shell returns an event again
