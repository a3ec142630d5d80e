"""The shell's key bindings, made from the one key table.

`make_key_bindings(shell)` builds prompt_toolkit bindings from
`qmpsh.builtins.keytable.KEYS` (which also gives ``help keys`` its rows),
acting on a `qmpsh.shell.state.Shell`.  prompt_toolkit's own emacs/vi
editing, history search and suggestion keys come on top.  Alt-letter keys
are bound in emacs mode only: in vi mode Escape followed by a letter means
something else.

While a question is asked (`qmpsh.shell.question.Question`), the question has
the keyboard focus, so none of prompt_toolkit's editing keys reach the
input; every key goes to `answer_for`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from qmpsh.builtins.keytable import KEYS

if TYPE_CHECKING:
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

    from qmpsh.shell.state import Shell


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


def make_key_bindings(shell: Shell) -> KeyBindings:
    import signal

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
        "suspend": Condition(lambda: hasattr(signal, "SIGTSTP")),
    }
    actions: dict[str, Callable[[KeyPressEvent], None]] = {
        "submit": lambda e: shell.submit(),
        "newline": lambda e: shell.buffer.insert_text("\n"),
        "interrupt": lambda e: shell.interrupt(),
        "quit": lambda e: shell.answer(False) if shell.question else shell.quit(),
        "show_keys": lambda e: shell.show_keys(),
        "toggle_pretty": lambda e: shell.display.toggle_pretty(),
        "toggle_verbose": lambda e: shell.display.toggle_verbose(),
        "cycle_events": lambda e: shell.display.cycle_events(),
        "toggle_vi": lambda e: shell.display.toggle_vi(),
        "reconnect_now": lambda e: shell.reconnect_now(),
        "close_menu": lambda e: shell.buffer.cancel_completion(),
        # prompt_toolkit puts the terminal back first, and takes it and
        # redraws everything (the half-typed line too) after SIGCONT
        "suspend": lambda e: e.app.suspend_to_background(),
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
        shell.display.resize_pane(delta)
        event.app.invalidate()

    return handler
