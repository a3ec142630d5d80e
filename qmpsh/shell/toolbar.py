"""The bottom toolbar: connection, target, toggles, the running command.

`make_toolbar(shell, segments)` returns the function prompt_toolkit calls on
each redraw.  *segments* are extra callables (see `qmpsh.shell.modes_api.Hooks`);
each non-empty one gets its own field.

When the toolbar is wider than the screen, `fit` drops (or first shortens)
the least useful fields, whole: the QEMU version (the prompt names it), the
toggles, the transport's notes (libvirt's taint: shortened first), the
address; the connection's state, the running command or job and "F1 keys"
stay longest.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prompt_toolkit.formatted_text import StyleAndTextTuples, to_formatted_text
from prompt_toolkit.formatted_text.utils import fragment_list_width

from qmpsh.shell.modes_api import Segment
from qmpsh.shell.state import Shell

_UNICODE = "utf" in (getattr(sys.stdout, "encoding", "") or "").lower()
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏" if _UNICODE else "|/-\\"
SEP = ("class:toolbar.sep", " │ " if _UNICODE else " | ")
#: between two fields of one group (the toggles)
JOIN = ("class:toolbar", " · ")

# When each field gives way, lowest first (see `Field`).
VERSION = 10  # the prompt names it too
VERBOSE, PRETTY, EVENTS = 20, 22, 24  # the output and the pane show them
ADDRESS_LONG, ADDRESS = 30, 40
NOTE_LONG, NOTE = 26, 38  # the transport's notes (libvirt's taint)
KEY_MODE = 45
CANCEL_HINT = 50  # "(Ctrl-C cancels)" after the running command
HELP = 80  # "F1 keys"
SEGMENT = 85  # a job's progress
RUNNING_NAME, RUNNING = 88, 95
STATE = 100


def spinner(elapsed: float) -> str:
    return SPINNER[int(elapsed * 10) % len(SPINNER)]


def clip_left(text: str, width: int = 40) -> str:
    """*text*, or its end after an ellipsis when longer than *width*."""
    if len(text) <= width:
        return text
    return ("…" if _UNICODE else "...") + text[-(width - 1) :]


def clip_right(text: str, width: int = 24) -> str:
    """*text*, or its start and an ellipsis when longer than *width*."""
    if len(text) <= width:
        return text
    ellipsis = "…" if _UNICODE else "..."
    return text[: width - len(ellipsis)] + ellipsis


@dataclass(frozen=True)
class Field:
    """One field of the toolbar: its *forms*, longest first, and for each
    form the *priority* at which it gives way (to the next form, or after
    the last one to nothing): the lowest goes first.  Neighbours of the same
    *group* are joined with " · " instead of the separator."""

    forms: tuple[StyleAndTextTuples, ...]
    priorities: tuple[int, ...]
    group: str = ""


def field(style: str, text: str, priority: int, group: str = "") -> Field:
    """A field of one form: *text* in *style*."""
    return Field(([(style, text)],), (priority,), group)


def fit(fields: Sequence[Field], width: int) -> StyleAndTextTuples:
    """*fields* joined, at most *width* columns wide when that can be: the
    field whose form has the lowest priority (the rightmost of equals) gives
    way, one step at a time, until the rest fits; the last field left stays
    even if it does not fit."""
    forms = [0] * len(fields)  # the form shown; len(forms): none
    while True:
        out = _join(fields, forms)
        if fragment_list_width(out) <= width:
            return out
        left = [
            (f.priorities[forms[i]], -i)
            for i, f in enumerate(fields)
            if forms[i] < len(f.forms)
        ]
        if len(left) <= 1:
            return out
        forms[-min(left)[1]] += 1


def _join(fields: Sequence[Field], forms: Sequence[int]) -> StyleAndTextTuples:
    out: StyleAndTextTuples = []
    group: str | None = None
    for f, form in zip(fields, forms, strict=True):
        if form >= len(f.forms):
            continue
        if group is not None:
            out.append(JOIN if f.group and f.group == group else SEP)
        out.extend(f.forms[form])
        group = f.group
    return out


def make_toolbar(
    shell: Shell, segments: Sequence[Segment] = ()
) -> Callable[[], StyleAndTextTuples]:
    def toolbar() -> StyleAndTextTuples:
        width = shell.app.output.get_size().columns if shell.app else 80
        return fit(toolbar_fields(shell, segments), width)

    return toolbar


def toolbar_fields(shell: Shell, segments: Sequence[Segment] = ()) -> list[Field]:
    """The toolbar's fields, in their order on the screen."""
    state, text = shell.link.state()
    t = shell.toggles
    fields = [field(f"class:toolbar.state.{state}", f" {text} ", STATE)]
    if shell.busy and shell.question is None:
        elapsed = time.monotonic() - shell.submitter.running_since
        spin = f"{spinner(elapsed)} {shell.submitter.running} {elapsed:.1f}s"
        fields.append(
            Field(
                tuple(
                    [("class:toolbar.running", form)]
                    for form in (
                        f"{spin} (Ctrl-C cancels)",
                        spin,
                        f"{spinner(elapsed)} {elapsed:.1f}s",
                    )
                ),
                (CANCEL_HINT, RUNNING_NAME, RUNNING),
            )
        )
    for segment in segments:
        extra: StyleAndTextTuples
        try:
            extra = to_formatted_text(segment())
        except Exception as err:  # a broken segment must not kill the UI
            extra = [("class:toolbar.error", f"{type(err).__name__}: {err}")]
        if any(piece[1].strip() for piece in extra):
            fields.append(Field((list(extra),), (SEGMENT,)))
    address = str(shell.ctx.conn.address or "-")
    fields.append(
        Field(
            (
                [("class:toolbar", clip_left(address))],
                [("class:toolbar", clip_left(address, 16))],
            ),
            (ADDRESS_LONG, ADDRESS),
        )
    )
    transport = shell.ctx.conn.transport
    for note in transport.notes if transport is not None else ():
        fields.append(
            Field(
                (
                    [("class:toolbar.note", note)],
                    [("class:toolbar.note", clip_right(note))],
                ),
                (NOTE_LONG, NOTE),
            )
        )
    if shell.link.target.version:
        version = f"QEMU {shell.link.target.version}"
        fields.append(field("class:toolbar", version, VERSION))
    fields += [
        field("class:toolbar", "pretty" if t.pretty else "compact", PRETTY, "t"),
        field("class:toolbar", "verbose" if t.verbose else "quiet", VERBOSE, "t"),
        field("class:toolbar", f"events:{t.events}", EVENTS, "t"),
        field("class:toolbar", "vi" if t.vi else "emacs", KEY_MODE, "t"),
        field("class:toolbar.hint", "F1 keys", HELP),
    ]
    return fields
