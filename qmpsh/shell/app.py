"""The interactive shell: a prompt_toolkit application on the session's loop.

`run_repl` builds the pieces and runs them until Ctrl-D: the `Shell` (state
and behaviour), the layout, the key bindings and the toolbar (factories in
their own modules), the history file and the printer.  Other features plug
in through `qmpsh.shell.modes_api.Hooks`; how a line is understood is the
hooks' line mode (`qmpsh.builtins.linemode.LineMode`).  `run_fleet_repl`
runs the same shell on several targets (`qmpsh.shell.fleet`).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prompt_toolkit.application import Application
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.filters import Condition
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import ConditionalKeyBindings, merge_key_bindings
from prompt_toolkit.key_binding.bindings.auto_suggest import load_auto_suggest_bindings
from prompt_toolkit.output import ColorDepth, Output, create_output
from prompt_toolkit.patch_stdout import patch_stdout
from prompt_toolkit.styles import (
    BaseStyle,
    Style,
    merge_styles,
    style_from_pygments_cls,
)

from qmpsh.builtins.context import Context
from qmpsh.core.exitcodes import Exit
from qmpsh.core.output import say
from qmpsh.lang.history_redact import redacting
from qmpsh.shell.bindings import make_key_bindings
from qmpsh.shell.fleet import Fleet, Member
from qmpsh.shell.history import HistoryFile, ShellHistory, history_path, keep_typed
from qmpsh.shell.layout import UI_STYLE, build_layout
from qmpsh.shell.modes_api import Hooks
from qmpsh.shell.pager import pager_argv
from qmpsh.shell.printer import Printer
from qmpsh.shell.qmp_mode import QmpLines
from qmpsh.shell.sinks import Sinking
from qmpsh.shell.state import Shell
from qmpsh.shell.toolbar import make_toolbar
from qmpsh.wire.reconnect import Reopen

if TYPE_CHECKING:
    from qmpsh.builtins.hmp import HmpShell


async def run_repl(
    ctx: Context,
    hmp: HmpShell | None = None,
    *,
    hooks: Hooks | None = None,
    reopen: Reopen | None = None,
    input: Input | None = None,
    output: Output | None = None,
) -> int:
    """Run the shell on *ctx* until the user quits; the exit code.

    Lines are HMP commands for *hmp* when given (HMP mode), else QMP
    shorthand.  *hooks* replace what `qmpsh.shell.modes.hooks_for` plugs in for
    that mode.  *reopen* reconnects a lost connection (None: no
    reconnecting).  *input* and *output* default to the terminal (tests
    pass pipes).
    """
    if hooks is None:
        from qmpsh.shell.modes import hooks_for

        hooks = hooks_for(ctx, hmp)
    repl = build_repl(ctx, hooks, reopen=reopen, input=input, output=output)
    return await repl.run()


async def run_fleet_repl(
    targets: Sequence[tuple[str, str, Context, Reopen | None]],
    groups: Mapping[str, Sequence[str]] | None = None,
    *,
    input: Input | None = None,
    output: Output | None = None,
) -> int:
    """Run one shell on several targets until the user quits; the exit
    code.  *targets*: (name, label, session, how it reconnects) each, the
    first one current; *groups*: the config file's, for ``@GROUP``."""
    repl = build_fleet_repl(targets, groups, input=input, output=output)
    return await repl.run()


def build_fleet_repl(
    targets: Sequence[tuple[str, str, Context, Reopen | None]],
    groups: Mapping[str, Sequence[str]] | None = None,
    *,
    input: Input | None = None,
    output: Output | None = None,
) -> Repl:
    """The shell on several targets, ready to `Repl.run` (see
    `run_fleet_repl`).  Each target gets the hooks
    `qmpsh.shell.modes.hooks_for` makes for it (HMP mode for a session with
    ``hmp`` set); see `qmpsh.shell.fleet`."""
    from qmpsh.shell.fleet_hooks import fleet_hooks
    from qmpsh.shell.modes import hooks_for

    members = []
    for name, label, ctx, reopen in targets:
        hmp = None
        if ctx.settings.hmp:
            from qmpsh.builtins.hmp import shell_for

            hmp = shell_for(ctx)
        hooks = hooks_for(ctx, hmp)
        line_mode = hooks.line_mode or QmpLines(ctx, hooks)
        members.append(Member(name, label, ctx, hooks, line_mode, reopen))
    fleet = Fleet(members, groups)
    first = members[0].ctx
    repl = build_repl(first, fleet_hooks(fleet), input=input, output=output)
    fleet.attach(repl.shell)
    repl.fleet = fleet
    return repl


@dataclass
class Repl:
    shell: Shell
    app: Application[int]
    printer: Printer
    imported: int
    on_terminal: bool
    #: the targets, in a shell open on several (None: one)
    fleet: Fleet | None = None
    #: the loop's exception handler while it runs on a terminal
    quiet: QuietWhenGone | None = None

    async def run(self) -> int:
        shell, app, printer = self.shell, self.app, self.printer
        fleet = self.fleet
        if fleet is None:
            await shell.link.probe()
            printer.block(_banner(shell, self.imported))
        else:
            await fleet.probe()
            printer.block(fleet.banner() + _imported(shell, self.imported))
            fleet.retry_down()

        def pre_run() -> None:
            app.create_background_task(printer.run(app))  # type: ignore[arg-type]
            # Everything built so far (modules, the UI, the schema) lives as
            # long as the shell: keep it out of the collector's full passes,
            # which otherwise pause typing for tens of ms under event floods.
            gc.freeze()

        # while it runs, the shell is the session's front end: built-ins
        # print above its prompt, ask their questions on its prompt line,
        # and the requests they send for the user are vetted as typed ones
        gone = False
        try:
            with self._attached():
                try:
                    code = await self._run_app(pre_run)
                except (EOFError, OSError) as err:
                    if not (self.on_terminal and terminal_gone(err)):
                        raise
                    gone, code = True, Exit.HANGUP
                    if self.quiet is not None:
                        self.quiet.gone = True
        finally:
            shell.app = None
            shell.close()
            if fleet is not None:
                fleet.close()
            with contextlib.suppress(OSError) if gone else contextlib.nullcontext():
                printer.finish()
        if gone:  # as a hang-up (SIGHUP) ends it; the line goes where it can
            with contextlib.suppress(OSError):
                say(GONE)
        return int(code if code is not None else Exit.OK)

    @contextlib.contextmanager
    def _attached(self) -> Iterator[None]:
        """Within the block: the connection's events and state reach the
        shell, and the shell is the session's front end (every target's,
        in a shell open on several)."""
        shell = self.shell
        if self.fleet is not None:
            with self.fleet.listening():
                yield
            return
        ctx = shell.ctx
        unsubscribe = ctx.events.subscribe(shell.display.on_event)
        forget_state = ctx.conn.on_state(shell.link.on_state)
        try:
            with ctx.fronted(shell.frontend()):
                yield
        finally:
            unsubscribe()
            forget_state()

    async def _run_app(self, pre_run: Callable[[], None]) -> int | None:
        if not self.on_terminal:
            return await self.app.run_async(pre_run=pre_run)
        # installed for the rest of the session: a task that failed on the
        # vanished terminal may be collected (and reported) after the run
        loop = asyncio.get_running_loop()
        self.quiet = quiet_when_gone(loop.get_exception_handler())
        loop.set_exception_handler(self.quiet)
        with patch_stdout(raw=True):
            return await self.app.run_async(pre_run=pre_run)


#: what the shell says when its terminal went away without a SIGHUP
GONE = "hung up (the terminal went away)"


Handler = Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object]


class QuietWhenGone:
    """The event loop's exception handler while the shell owns a terminal
    (`quiet_when_gone`): a task that failed because the terminal went away
    (EIO, ENXIO: `terminal_gone`) is not reported, and once the shell knows
    it is gone (`gone`) nothing is: what prompt_toolkit left behind then
    (its "press ENTER" task, pending; an async generator closed twice) would
    otherwise end the session with tracebacks on stderr, after the one line
    that says it hung up.  Anything else goes to *previous* (or the loop's
    default)."""

    def __init__(self, previous: Handler | None) -> None:
        self.previous = previous
        self.gone = False

    def __call__(
        self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        err = context.get("exception")
        if self.gone or (isinstance(err, OSError) and terminal_gone(err)):
            return
        if self.previous is not None:
            self.previous(loop, context)
        else:
            loop.default_exception_handler(context)


def quiet_when_gone(previous: Handler | None) -> QuietWhenGone:
    """A `QuietWhenGone` passing other reports on to *previous*."""
    return QuietWhenGone(previous)


def terminal_gone(err: BaseException) -> bool:
    """Whether *err*, out of the application, means that its terminal went
    away without a hang-up signal (a window closed under a process that is
    not its session's, a pty whose master was closed): reading it ended
    (prompt_toolkit's EOFError: Ctrl-D is a key, not an end of input, in
    raw mode) or using it failed with EIO."""
    if isinstance(err, EOFError):
        return True
    return isinstance(err, OSError) and err.errno in (errno.EIO, errno.ENXIO)


def build_repl(
    ctx: Context,
    hooks: Hooks | None = None,
    *,
    reopen: Reopen | None = None,
    input: Input | None = None,
    output: Output | None = None,
) -> Repl:
    """The shell and its application, ready to `Repl.run`."""
    hooks = hooks or Hooks()
    settings = ctx.settings
    _show_controls()
    on_terminal = output is None
    output = output or create_output()
    color = settings.use_color(sys.stdout.isatty() if on_terminal else False)
    printer = Printer(
        output, color, pager_argv(settings.pager) if settings.paging else None
    )

    def warn(text: str) -> None:
        printer.error(f"warning: {text}")

    def aliases() -> Mapping[str, Any]:
        from qmpsh.builtins.aliases import table

        return table(ctx)

    keep = (
        redacting(keep_typed, settings.hmp, aliases) if settings.redact else keep_typed
    )
    history = HistoryFile(history_path(), settings.history_size, keep, warn)
    history.tighten()
    imported = _import_history(history, settings.history_import)
    buffer = Buffer(
        multiline=True,
        history=ShellHistory(history, warn),
        auto_suggest=AutoSuggestFromHistory(),
        completer=hooks.completer,
        complete_while_typing=hooks.complete_while_typing,
    )
    line_mode = hooks.line_mode or QmpLines(ctx, hooks)
    shell = Shell(ctx, hooks, line_mode, printer, buffer, color, reopen)
    shell.line_mode = Sinking(line_mode, shell)  # CMD | sh-command, > FILE
    asking = Condition(lambda: shell.question is not None)
    app: Application[int] = Application(
        layout=build_layout(shell, make_toolbar(shell, hooks.toolbar_segments)),
        # prompt_toolkit's editing keys come with the Application (active while
        # the input has the focus: a question takes it, see shell/question.py)
        key_bindings=merge_key_bindings(
            [
                ConditionalKeyBindings(load_auto_suggest_bindings(), ~asking),
                make_key_bindings(shell),
            ]
        ),
        style=_style(settings.style) if color else None,
        include_default_pygments_style=False,
        color_depth=None if color else ColorDepth.DEPTH_1_BIT,
        editing_mode=EditingMode.VI if shell.toggles.vi else EditingMode.EMACS,
        erase_when_done=True,
        # background changes already redraw at most every 50 ms (Display.
        # redraw_soon); a keystroke should not wait for a busy loop to idle
        max_render_postpone_time=0,
        input=input,
        output=output,
    )
    shell.app = app
    if hooks.connect_redraw is not None:
        hooks.connect_redraw(shell.display.redraw_soon)

    # qemu.qmp logs dropped late replies as warnings; never print them over the UI
    logging.getLogger("qemu.qmp").addHandler(logging.NullHandler())
    return Repl(shell, app, printer, imported, on_terminal)


def _show_controls() -> None:
    """What prompt_toolkit draws (the input line, the prompt, the event pane,
    the toolbar, the live area) shows C0 and C1 controls as ``^[`` and
    ``<9b>`` already, as the output gate does (`qmpsh.core.sanitize`); teach
    it the rest of the gate's table, the bidi controls and lone surrogates,
    so that nothing on the screen obeys them either."""
    from prompt_toolkit.layout.screen import Char

    from qmpsh.core.sanitize import BIDI, show

    extra = [*BIDI, *map(chr, range(0xD800, 0xE000))]
    Char.display_mappings.update({char: show(char) for char in extra})


def _import_history(history: HistoryFile, source: str) -> int:
    if not source:
        return 0
    try:
        return history.import_file(Path(source).expanduser())
    except OSError:
        return 0


def _banner(shell: Shell, imported: int) -> str:
    conn = shell.ctx.conn
    if conn.version:
        what = f"QEMU {conn.version}"
    elif conn.guest_agent:
        what = "a guest agent"
    else:
        what = "a QMP server without a greeting"
    if shell.link.target.machine:
        what += f" ({shell.link.target.machine})"
    line = f"qmpsh: connected to {what} at {conn.address}. F1 lists the keys; Ctrl-D quits."
    return line + _imported(shell, imported)


def _imported(shell: Shell, imported: int) -> str:
    """The banner's line about the history imported (with its newline)."""
    if not imported:
        return ""
    return f"\nqmpsh: imported {imported} commands from {shell.settings.history_import}"


def _style(name: str) -> BaseStyle:
    from pygments.styles import get_style_by_name
    from pygments.util import ClassNotFound

    try:
        pygments_style = style_from_pygments_cls(get_style_by_name(name))
    except ClassNotFound:
        pygments_style = style_from_pygments_cls(get_style_by_name("default"))
    return merge_styles([pygments_style, Style.from_dict(UI_STYLE)])
