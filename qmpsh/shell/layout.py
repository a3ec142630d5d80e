"""The screen: the input line(s), messages, the event pane and the toolbar.

::

    (qemu 7.2 none-machine) query-status        <- prompt and input
    error or hint under the input               <- only when there is one
    queued (1): query-name (Ctrl-C drops them)  <- lines waiting for a command
    ── events (2) · F4 moves them inline · Alt-Up/Down resizes ──
    10:41:07.512 STOP                            <- newest events
    10:41:09.020 RESUME
     connected │ /tmp/qmp.sock │ QEMU 7.2.0 │ compact · quiet · ...

While a question is asked, it takes the input's place (and the keyboard
focus: see `qmpsh.shell.question.Question`).  Replies are not part of the
layout: they are printed above it (see `qmpsh.shell.printer`).  On a short screen
the event pane gives way first, down to nothing
(`qmpsh.shell.eventpane.pane_room`): the input, a message and the toolbar stay.

`build_layout` stacks them; each element comes from a small factory of its
own (`live_area`, `question_bar`, `input_line`, `signature_line`,
`message_line`, `queued_line`, `event_pane`, `bottom_toolbar`,
`completion_menu`), most of them a ``ConditionalContainer`` shown when it has
something to show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from prompt_toolkit.data_structures import Size
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition, has_focus
from prompt_toolkit.formatted_text import (
    StyleAndTextTuples,
    to_formatted_text,
)
from prompt_toolkit.formatted_text.utils import split_lines
from prompt_toolkit.layout import (
    ConditionalContainer,
    Float,
    FloatContainer,
    FormattedTextControl,
    HSplit,
    Layout,
    VSplit,
    Window,
)
from prompt_toolkit.layout.containers import AnyContainer, Container, to_container
from prompt_toolkit.layout.controls import BufferControl
from prompt_toolkit.layout.dimension import Dimension
from prompt_toolkit.layout.menus import CompletionsMenu
from prompt_toolkit.layout.processors import (
    AppendAutoSuggestion,
    ConditionalProcessor,
    HighlightIncrementalSearchProcessor,
    HighlightSelectionProcessor,
)
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.widgets import SearchToolbar

from qmpsh.core.sanitize import visible
from qmpsh.lang.lexer import ShorthandLexer
from qmpsh.shell.eventpane import newest, pane_lines, pane_room, pane_title
from qmpsh.shell.state import Shell, continuation
from qmpsh.shell.typeahead import queued_note

UI_STYLE = {
    "prompt": "bold",
    "prompt.question": "bold ansiyellow",
    "continuation": "ansibrightblack",
    "message.error": "ansired",
    "message.warning": "ansiyellow",
    "message.note": "ansibrightblack",
    "events.title": "ansibrightblack",
    "events.empty": "ansibrightblack italic",
    "events.time": "ansibrightblack",
    "events.name": "bold ansicyan",
    "events.target": "ansimagenta",
    "events.data": "",
    "bottom-toolbar": "noreverse bg:#303030 #d0d0d0",
    "toolbar.sep": "#808080",
    "toolbar.state.connected": "bold ansigreen",
    "toolbar.state.reconnecting": "bold ansiyellow",
    "toolbar.state.lost": "bold ansiwhite bg:ansired",
    "toolbar.running": "ansiyellow",
    "toolbar.note": "ansiyellow",
    "toolbar.hint": "#808080",
    "toolbar.error": "ansired",
    "pygments.generic.error": "ansired underline",
    "signature.command": "bold",
    "signature.argument": "",
    "signature.optional": "ansibrightblack",
    "signature.given": "ansibrightblack strike",
    "signature.current": "reverse",
    "signature.doc": "ansibrightblack",
}


class InputLexer(Lexer):
    """The shorthand lexer for the input buffer, knowing the command names."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self._names: object = None
        self._aliases: tuple[str, ...] = ()
        self._lexer = ShorthandLexer()

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        if self.shell.line_mode.mode != "qmp":
            lines = document.lines
            return lambda i: [("", lines[i])] if i < len(lines) else []
        names = self.shell.command_names()
        from qmpsh.builtins.aliases import table

        aliases = tuple(table(self.shell.ctx))
        if names is not self._names or aliases != self._aliases:
            from qmpsh.builtins.registry import MODULES

            self._names, self._aliases = names, aliases
            # an alias is highlighted as a built-in is
            self._lexer = ShorthandLexer(commands=names, builtins=(*MODULES, *aliases))
        head, text = self.shell.at_prefix(document.text)
        fragments: StyleAndTextTuples = [("class:prompt", head)] if head else []
        fragments += [
            ("class:pygments." + ".".join(token).lower(), text)
            for _, token, text in self._lexer.get_tokens_unprocessed(text)
        ]
        split = list(split_lines(fragments))
        return lambda i: split[i] if i < len(split) else []


def build_layout(shell: Shell, toolbar: Callable[[], StyleAndTextTuples]) -> Layout:
    """The screen, top to bottom (see the module's docstring), with the
    completion menu floating at the cursor."""
    search = SearchToolbar()
    typing = input_window(shell, search)
    above_pane: list[AnyContainer] = [
        live_area(shell),
        question_bar(shell),
        input_line(shell, typing),
        search,
        signature_line(shell),
        message_line(shell),
        queued_line(shell),
    ]
    bar = bottom_toolbar(toolbar)
    pane = event_pane(shell, [to_container(c) for c in (*above_pane, bar)])
    body = HSplit([*above_pane, pane, bar])
    return Layout(
        FloatContainer(body, floats=[completion_menu()]), focused_element=typing
    )


def _asking(shell: Shell) -> Condition:
    return Condition(lambda: shell.question is not None)


def live_fragments(text: str | None) -> StyleAndTextTuples:
    """The live area's text as shown: plain, made visible.  A watched
    reply or a guest program's output is the server's, so it is never read
    as ANSI (prompt_toolkit's ANSI() writes what sits between \\x01 and
    \\x02 to the terminal as it is)."""
    return [("", visible(text or ""))]


def live_area(shell: Shell) -> ConditionalContainer:
    """The running job's live area (`Shell.live`): a progress bar, a
    ``watch`` result."""
    return ConditionalContainer(
        Window(
            FormattedTextControl(lambda: live_fragments(shell.live_text)),
            dont_extend_height=True,
            wrap_lines=False,
        ),
        filter=Condition(lambda: shell.live_text is not None),
    )


def question_bar(shell: Shell) -> ConditionalContainer:
    """The question being asked, in the input's place.  Its window takes
    the keyboard focus meanwhile (see `qmpsh.shell.question.Question`)."""
    window = Window(
        FormattedTextControl(
            lambda: [
                ("class:prompt.question", shell.question or ""),
                ("[SetCursorPosition]", ""),
            ],
            focusable=True,
        ),
        dont_extend_height=True,
        wrap_lines=True,
    )
    shell.asking.window = window
    return ConditionalContainer(window, filter=_asking(shell))


def input_window(shell: Shell, search: SearchToolbar) -> Window:
    """The input buffer: the prompt, then continuation marks on its later
    lines; room for the completion menu while it is open."""
    buffer = shell.buffer

    def prefix(line: int, wrap: int) -> StyleAndTextTuples:
        prompt = shell.shown_prompt()  # shorter on a narrow screen
        width = len(prompt)
        if wrap:
            return [("", " " * width)]
        if line == 0:
            return [("class:prompt", prompt)]
        return [("class:continuation", continuation(width))]

    control = BufferControl(
        buffer=buffer,
        lexer=InputLexer(shell),
        input_processors=[
            HighlightIncrementalSearchProcessor(),
            HighlightSelectionProcessor(),
            ConditionalProcessor(AppendAutoSuggestion(), has_focus(buffer)),
        ],
        include_default_input_processors=False,
        search_buffer_control=search.control,
        preview_search=True,
    )

    def height() -> Dimension:
        """At least the rows the input takes (wrapped) and, while the menu
        is open, its room, as far as the screen has them beside the
        toolbar: on a short screen the lines under the input give way, not
        the input itself."""
        want = 8 if buffer.complete_state else 0
        if shell.app is None:
            return Dimension(min=want)
        size = shell.app.output.get_size()
        rows = control.preferred_height(size.columns, size.rows, True, prefix) or 1
        return Dimension(min=min(max(want, rows), max(1, size.rows - 1)))

    return Window(
        control,
        get_line_prefix=prefix,
        wrap_lines=True,
        dont_extend_height=True,
        height=height,
    )


def input_line(shell: Shell, window: Window) -> ConditionalContainer:
    """The input (*window*), unless a question takes its place."""
    return ConditionalContainer(window, filter=~_asking(shell))


def signature_line(shell: Shell) -> ConditionalContainer:
    """The line under the input the hooks' ``input_hint`` gives (the
    signature of the command being typed), unless a message is shown."""
    #: what the hint was asked for last, and what it said: asked once per
    #: redraw however many times prompt_toolkit looks
    asked: tuple[str, int, int, object] | None = None
    said: StyleAndTextTuples = []

    def hint() -> StyleAndTextTuples:
        nonlocal asked, said
        if shell.hooks.input_hint is None or shell.question is not None:
            return []
        width = shell.app.output.get_size().columns - 1 if shell.app else 79
        before = shell.buffer.document.text_before_cursor
        more = shell.hooks.input_hint_key
        key = (before, width, id(shell.command_names()), more() if more else None)
        if asked != key:
            shown = to_formatted_text(shell.hooks.input_hint(before, width))
            visible = any(piece[1].strip() for piece in shown)
            asked, said = key, shown if visible else []
        return said

    return ConditionalContainer(
        Window(FormattedTextControl(hint), dont_extend_height=True, wrap_lines=False),
        filter=Condition(lambda: bool(hint()) and shell.message is None),
    )


def message_line(shell: Shell) -> ConditionalContainer:
    """The message under the input (`Shell.say`): an error, a note."""

    def text() -> StyleAndTextTuples:
        message = shell.message
        return [(f"class:message.{message[0]}", message[1])] if message else []

    return ConditionalContainer(
        Window(FormattedTextControl(text), dont_extend_height=True, wrap_lines=True),
        filter=Condition(lambda: shell.message is not None),
    )


def queued_line(shell: Shell) -> ConditionalContainer:
    """The lines queued behind the running command."""
    return ConditionalContainer(
        Window(
            FormattedTextControl(
                lambda: [("class:message.note", queued_note(shell.queue))]
            ),
            dont_extend_height=True,
            wrap_lines=False,
        ),
        filter=Condition(lambda: bool(shell.queue)),
    )


def event_pane(shell: Shell, others: Sequence[Container]) -> ConditionalContainer:
    """The event pane: a title line, then the newest events the filter
    lets through.  It gets the rows that *others* (everything else on the
    screen) leave, up to its height (see `pane_room`)."""
    #: (render, size) of the redraw the rows were counted for, and the rows
    counted: tuple[int, Size] | None = None
    rows = 0

    def pane_rows() -> int:
        """The event lines the pane shows in this redraw: its height, or
        less when the screen is short of room (see `pane_room`)."""
        nonlocal counted, rows
        if shell.app is None:
            return shell.toggles.pane_height
        size = shell.app.output.get_size()
        key = (shell.app.render_counter, size)
        if counted != key:
            taken = sum(
                c.preferred_height(size.columns, size.rows).preferred for c in others
            )
            shell.display.pane_room = pane_room(size.rows, taken)
            counted, rows = key, min(shell.toggles.pane_height, shell.display.pane_room)
        return rows

    def head() -> StyleAndTextTuples:
        count, shown = shell.display.event_counts()
        return [("class:events.title", pane_title(count, pane_rows(), shown))]

    def body() -> StyleAndTextTuples:
        height = pane_rows()
        count, shown = shell.display.event_counts()
        events = (
            newest(shell.display.events, shell.display.shown, height) if shown else []
        )
        return pane_lines(events, height, count - shown)

    title = VSplit(
        [
            Window(FormattedTextControl(head), dont_extend_width=True, height=1),
            Window(char="─", style="class:events.title", height=1),
        ]
    )
    lines = Window(
        FormattedTextControl(body),
        height=lambda: Dimension.exact(pane_rows()),
        wrap_lines=False,
    )
    return ConditionalContainer(
        HSplit([title, lines]),
        # not drawn for a guest agent: no event can come from it
        filter=Condition(
            lambda: (
                shell.toggles.events == "pane"
                and not shell.ctx.conn.guest_agent
                and pane_rows() > 0
            )
        ),
    )


def bottom_toolbar(toolbar: Callable[[], StyleAndTextTuples]) -> Window:
    """The toolbar (`qmpsh.shell.toolbar.make_toolbar`), always shown."""
    return Window(
        FormattedTextControl(toolbar),
        style="class:bottom-toolbar",
        height=1,
        wrap_lines=False,
    )


def completion_menu() -> Float:
    """The completion menu, floating at the cursor."""
    return Float(
        xcursor=True,
        ycursor=True,
        transparent=True,
        content=CompletionsMenu(max_height=12, scroll_offset=1),
    )
