"""The shell's keys: one table that both binds them and describes them.

`describe_keys()` gives the (keys, description) rows for ``help keys``;
`make_key_bindings(shell)` builds prompt_toolkit bindings from the same
table, acting on a `qmpsh.shell.state.Shell`.  prompt_toolkit's own emacs/vi
editing, history search and suggestion keys come on top (some are listed
here for the user, with no action of ours).  Alt-letter keys are bound in
emacs mode only: in vi mode Escape followed by a letter means something else.

While a question is asked (`qmpsh.shell.state.Shell.confirm`), the question has
the keyboard focus, so none of prompt_toolkit's editing keys reach the
input; every key goes to `answer_for`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the table is read without prompt_toolkit (help keys)
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

    from qmpsh.shell.state import Shell


@dataclass(frozen=True)
class Key:
    #: as shown to the user
    label: str
    description: str
    #: prompt_toolkit key sequences bound to the action (none: documentation only)
    sequences: tuple[tuple[str, ...], ...] = ()
    #: the Shell method to call
    action: str = ""
    #: "emacs" to bind only in emacs mode
    only: str = ""


KEYS: tuple[Key, ...] = (
    Key(
        "Enter",
        "run the line (while a command runs: queue it, to run after); inside "
        "transaction( or an open quote or bracket, start a continuation line",
        (("enter",),),
        "submit",
    ),
    Key("Alt-Enter", "insert a new line", (("escape", "enter"),), "newline"),
    Key(
        "Ctrl-C",
        "clear the line, or cancel the running command and drop the queued lines",
        (("c-c",),),
        "interrupt",
    ),
    Key("Ctrl-D", "quit (on an empty line)", (("c-d",),), "quit"),
    Key("Up / Down", "previous / next command from the history"),
    Key("Ctrl-R", "search the history (again: older match; Enter takes it)"),
    Key("Right / Ctrl-E", "take the grey suggestion from the history"),
    Key("Tab", "complete (when completion is available)"),
    Key(
        "Escape",
        "close the completion menu (emacs mode)",
        (("escape",),),
        "close_menu",
        "emacs",
    ),
    Key("F1 / Alt-H", "list these keys", (("f1",), ("escape", "h")), "show_keys"),
    Key(
        "F2 / Alt-P",
        "pretty / compact replies",
        (("f2",), ("escape", "p")),
        "toggle_pretty",
    ),
    Key(
        "F3 / Alt-V",
        "verbose: show each request as JSON",
        (("f3",), ("escape", "v")),
        "toggle_verbose",
    ),
    Key(
        "F4 / Alt-N",
        "events: in the pane, inline above the prompt, or off",
        (("f4",), ("escape", "n")),
        "cycle_events",
    ),
    Key(
        "Alt-Up / Alt-Down",
        "event pane taller / shorter",
        (("escape", "up"), ("escape", "down")),
        "resize_pane",
    ),
    Key(
        "F5 / Alt-M", "emacs / vi editing keys", (("f5",), ("escape", "m")), "toggle_vi"
    ),
    Key(
        "F6 / Alt-R",
        "reconnect now (after the connection was lost)",
        (("f6",), ("escape", "r")),
        "reconnect_now",
    ),
)


def default_answer(question: str) -> bool | None:
    """What Enter answers to *question*: its default, as its ``[y/N]``
    (no) or ``[Y/n]`` (yes) shows; None for ``[y/n]`` (no default)."""
    tail = question.rstrip()
    if tail.endswith("[y/N]"):
        return False
    if tail.endswith("[Y/n]"):
        return True
    return None


def answer_for(key: str, question: str) -> bool | None:
    """What pressing *key* (a character, or a prompt_toolkit key name such
    as ``c-m``) answers to *question*; None when the key does not answer.

    y is yes and n is no; Enter gives the default; with a default of no,
    any other key is no too (the safe answer); without a default, only y
    or n answer.  (Escape, Ctrl-C and Ctrl-D decline any question: see
    `make_key_bindings`.)
    """
    if key in ("y", "Y"):
        return True
    if key in ("n", "N"):
        return False
    default = default_answer(question)
    if key in ("c-m", "c-j"):  # Enter (Ctrl-J: Enter on some terminals)
        return default
    return False if default is False else None


def describe_keys() -> list[tuple[str, str]]:
    """(keys, what they do) for every key the shell documents."""
    return [(k.label, k.description) for k in KEYS]


def keys_text() -> str:
    """The key table as F1 and ``help keys`` print it."""
    from qmpsh.builtins.helptext import keys_help

    return "\n".join(keys_help(describe_keys()))


def make_key_bindings(shell: Shell) -> KeyBindings:
    from prompt_toolkit.filters import (
        Condition,
        Filter,
        emacs_mode,
        has_completions,
        is_searching,
    )
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.keys import Keys

    kb = KeyBindings()
    asking = Condition(lambda: shell.question is not None)
    empty = Condition(lambda: not shell.buffer.text)
    filters: dict[str, Filter] = {
        "submit": ~asking & ~is_searching,
        "interrupt": ~is_searching,
        "quit": empty | asking,
        "close_menu": ~asking & has_completions,
    }
    actions: dict[str, Callable[[KeyPressEvent], None]] = {
        "submit": lambda e: shell.submit(),
        "newline": lambda e: shell.buffer.insert_text("\n"),
        "interrupt": lambda e: shell.interrupt(),
        "quit": lambda e: shell.answer(False) if shell.question else shell.quit(),
        "show_keys": lambda e: shell.show_keys(),
        "toggle_pretty": lambda e: shell.toggle_pretty(),
        "toggle_verbose": lambda e: shell.toggle_verbose(),
        "cycle_events": lambda e: shell.cycle_events(),
        "toggle_vi": lambda e: shell.toggle_vi(),
        "reconnect_now": lambda e: shell.reconnect_now(),
        "close_menu": lambda e: shell.buffer.cancel_completion(),
    }
    for key in KEYS:
        if not key.action:
            continue
        for sequence in key.sequences:
            base = filters.get(key.action, ~asking)
            if key.only == "emacs" or (
                sequence[0] == "escape"
                and sequence[1:2] not in (("enter",), ("up",), ("down",))
            ):
                base = base & emacs_mode
            if key.action == "resize_pane":
                delta = 1 if sequence[-1] == "up" else -1
                kb.add(*sequence, filter=base)(_resize(shell, delta))
            else:
                kb.add(*sequence, filter=base)(actions[key.action])

    @kb.add("<any>", filter=asking)
    def _answer(event: KeyPressEvent) -> None:
        key = event.key_sequence[0].key
        name = key.value if isinstance(key, Keys) else key
        yes = answer_for(name, shell.question or "")
        if yes is not None:
            shell.answer(yes)

    @kb.add("escape", filter=asking, eager=True)
    def _no(event: KeyPressEvent) -> None:
        shell.answer(False)

    return kb


def _resize(shell: Shell, delta: int) -> Callable[[KeyPressEvent], None]:
    def handler(event: KeyPressEvent) -> None:
        shell.resize_pane(delta)
        event.app.invalidate()

    return handler
