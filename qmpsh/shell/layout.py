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
focus: see `qmpsh.shell.state.Shell.confirm`).  Replies are not part of the
layout: they are printed above it (see `qmpsh.shell.printer`).  On a short screen
the event pane gives way first, down to nothing
(`qmpsh.shell.eventpane.pane_room`): the input, a message and the toolbar stay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition, has_focus
from prompt_toolkit.formatted_text import (
    ANSI,
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
from prompt_toolkit.layout.containers import to_container
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
    "events.data": "",
    "bottom-toolbar": "noreverse bg:#303030 #d0d0d0",
    "toolbar.sep": "#808080",
    "toolbar.state.connected": "bold ansigreen",
    "toolbar.state.reconnecting": "bold ansiyellow",
    "toolbar.state.lost": "bold ansiwhite bg:ansired",
    "toolbar.running": "ansiyellow",
    "toolbar.hint": "#808080",
    "toolbar.error": "ansired",
    "pygments.generic.error": "ansired underline",
    "signature.command": "bold",
    "signature.argument": "",
    "signature.optional": "ansibrightblack",
    "signature.given": "ansibrightblack strike",
    "signature.current": "reverse",
}


class InputLexer(Lexer):
    """The shorthand lexer for the input buffer, knowing the command names."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self._names: object = None
        self._lexer = ShorthandLexer()

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        if self.shell.line_mode.mode != "qmp":
            lines = document.lines
            return lambda i: [("", lines[i])] if i < len(lines) else []
        names = self.shell.command_names()
        if names is not self._names:
            from qmpsh.builtins.registry import MODULES

            self._names = names
            self._lexer = ShorthandLexer(commands=names, builtins=tuple(MODULES))
        fragments: StyleAndTextTuples = [
            ("class:pygments." + ".".join(token).lower(), text)
            for _, token, text in self._lexer.get_tokens_unprocessed(document.text)
        ]
        split = list(split_lines(fragments))
        return lambda i: split[i] if i < len(split) else []


def build_layout(shell: Shell, toolbar: Callable[[], StyleAndTextTuples]) -> Layout:
    buffer = shell.buffer
    search = SearchToolbar()

    asking = Condition(lambda: shell.question is not None)

    def prefix(line: int, wrap: int) -> StyleAndTextTuples:
        width = len(shell.prompt())
        if wrap:
            return [("", " " * width)]
        if line == 0:
            return [("class:prompt", shell.prompt())]
        return [("class:continuation", continuation(width))]

    input_window = Window(
        BufferControl(
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
        ),
        get_line_prefix=prefix,
        wrap_lines=True,
        dont_extend_height=True,
        height=lambda: Dimension(min=8) if buffer.complete_state else Dimension(),
    )

    question_window = Window(
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
    shell.question_window = question_window
    question = ConditionalContainer(question_window, filter=asking)
    entry = ConditionalContainer(input_window, filter=~asking)

    last: list[Any] = [None, []]  # (text, width) -> fragments, for one redraw

    def hint() -> StyleAndTextTuples:
        if shell.hooks.input_hint is None or shell.question is not None:
            return []
        width = shell.app.output.get_size().columns - 1 if shell.app else 79
        key = (buffer.document.text_before_cursor, width, id(shell.command_names()))
        if last[0] != key:
            shown = to_formatted_text(shell.hooks.input_hint(key[0], width))
            visible = any(piece[1].strip() for piece in shown)
            last[:] = [key, shown if visible else []]
        result: StyleAndTextTuples = last[1]
        return result

    hint_line = Window(
        FormattedTextControl(hint), dont_extend_height=True, wrap_lines=False
    )
    hint_bar = ConditionalContainer(
        hint_line, filter=Condition(lambda: bool(hint()) and shell.message is None)
    )
    message = ConditionalContainer(
        Window(
            FormattedTextControl(
                lambda: (
                    [(f"class:message.{shell.message[0]}", shell.message[1])]
                    if shell.message
                    else []
                )
            ),
            dont_extend_height=True,
            wrap_lines=True,
        ),
        filter=Condition(lambda: shell.message is not None),
    )
    queued = ConditionalContainer(
        Window(
            FormattedTextControl(
                lambda: [("class:message.note", queued_note(shell.queue))]
            ),
            dont_extend_height=True,
            wrap_lines=False,
        ),
        filter=Condition(lambda: bool(shell.queue)),
    )

    bar = Window(
        FormattedTextControl(toolbar),
        style="class:bottom-toolbar",
        height=1,
        wrap_lines=False,
    )
    live = ConditionalContainer(
        Window(
            FormattedTextControl(lambda: ANSI(shell.live_text or "")),
            dont_extend_height=True,
            wrap_lines=False,
        ),
        filter=Condition(lambda: shell.live_text is not None),
    )
    others = [
        to_container(c)
        for c in (live, question, entry, search, hint_bar, message, queued, bar)
    ]
    rows_for: list[Any] = [None, 0]  # (render, size) -> event lines shown

    def pane_rows() -> int:
        """The event lines the pane shows in this redraw: its height, or
        less when the screen is short of room (see `pane_room`)."""
        if shell.app is None:
            return shell.toggles.pane_height
        size = shell.app.output.get_size()
        key = (shell.app.render_counter, size)
        if rows_for[0] != key:
            taken = sum(
                c.preferred_height(size.columns, size.rows).preferred for c in others
            )
            shell.pane_room = pane_room(size.rows, taken)
            rows_for[:] = [key, min(shell.toggles.pane_height, shell.pane_room)]
        shown: int = rows_for[1]
        return shown

    def pane_head() -> StyleAndTextTuples:
        count, shown = shell.event_counts()
        title = pane_title(count, pane_rows(), shown)
        return [("class:events.title", title)]

    def pane_body() -> StyleAndTextTuples:
        height = pane_rows()
        count, shown = shell.event_counts()
        events = newest(shell.ctx.events, shell.shown, height) if shown else []
        return pane_lines(events, height, count - shown)

    pane = ConditionalContainer(
        HSplit(
            [
                VSplit(
                    [
                        Window(
                            FormattedTextControl(pane_head),
                            dont_extend_width=True,
                            height=1,
                        ),
                        Window(char="─", style="class:events.title", height=1),
                    ]
                ),
                Window(
                    FormattedTextControl(pane_body),
                    height=lambda: Dimension.exact(pane_rows()),
                    wrap_lines=False,
                ),
            ]
        ),
        filter=Condition(lambda: shell.toggles.events == "pane" and pane_rows() > 0),
    )
    body = HSplit(
        [
            live,
            question,
            entry,
            search,
            hint_bar,
            message,
            queued,
            pane,
            bar,
        ]
    )
    root = FloatContainer(
        body,
        floats=[
            Float(
                xcursor=True,
                ycursor=True,
                transparent=True,
                content=CompletionsMenu(max_height=12, scroll_offset=1),
            )
        ],
    )
    return Layout(root, focused_element=input_window)
