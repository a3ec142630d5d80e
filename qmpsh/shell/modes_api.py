"""How other features plug into the interactive shell, without importing it.

``run_repl(ctx, hmp, hooks=...)`` takes a `Hooks` (by default the ones
`qmpsh.shell.modes.hooks_for` makes for the session); every field is optional:

- ``completer``: a prompt_toolkit ``Completer`` for the input line;
  ``complete_while_typing``: show its menu without Tab.
- ``validator(text, request) -> Problem | None``: checks a parsed request
  before it is sent.  A `Problem` is shown under the input, the text stays
  there (the cursor goes to ``offset`` when given), and pressing Enter again
  on the same text sends it anyway.
- ``typer``: the parser's `Typer` for bare values (schema-aware values).
- ``command_names() -> names | None``: the commands the input highlighting
  knows; None while unknown (then, and without the hook, the shell uses
  what ``query-commands`` said at start).
- ``toolbar_segments``: callables returning prompt_toolkit formatted text
  (a str, or a list of ``(style, text)``); each non-empty one is shown in the
  bottom toolbar, left to right, redrawn whenever the screen is.
- ``input_hint(text_before_cursor, width)``: a line shown under the input
  while typing (e.g. the signature of the command being typed); empty to
  show nothing.  ``input_hint_key()``: names what the hint depends on
  besides the text and the width (the manual's words, once at hand): the
  hint is asked again when it changes.
- ``on_sent(request)``: told after a request typed at the prompt was sent.
- ``event_filter(event)``: whether the event pane (and inline events) show
  an event; the ``events`` history keeps them all.
- ``event_filter_key()``: names the filter ``event_filter`` applies (equal
  keys, equal verdicts).  The pane's title counts what the pane shows, and
  counts the history again only when this key changes.
- ``connect_redraw(redraw)``: called once with the shell's redraw function,
  to call when what the completer, the hint or a segment shows has changed
  without a key being pressed (the schema has loaded, a job progressed).
- ``line_mode``: replaces how a submitted line is understood (HMP mode;
  the default is `qmpsh.shell.qmp_mode.QmpLines`): a
  `qmpsh.builtins.linemode.LineMode`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qmpsh.builtins.linemode import LineMode, Problem
from qmpsh.lang.parser import Request, Typer

if TYPE_CHECKING:
    from prompt_toolkit.completion import Completer
    from prompt_toolkit.formatted_text import AnyFormattedText

    from qmpsh.wire.eventlog import Event


RequestValidator = Callable[[str, Request], Problem | None]
Segment = Callable[[], "AnyFormattedText"]


@dataclass
class Hooks:
    """What other features plug into the shell (see the module's
    docstring); every field is optional."""

    completer: Completer | None = None
    complete_while_typing: bool = False
    validator: RequestValidator | None = None
    typer: Typer | None = None
    command_names: Callable[[], Collection[str] | None] | None = None
    toolbar_segments: list[Segment] = field(default_factory=list)
    input_hint: Callable[[str, int], AnyFormattedText] | None = None
    input_hint_key: Callable[[], object] | None = None
    on_sent: Callable[[Request], None] | None = None
    connect_redraw: Callable[[Callable[[], None]], None] | None = None
    event_filter: Callable[[Event], bool] | None = None
    event_filter_key: Callable[[], object] | None = None
    line_mode: LineMode | None = None
