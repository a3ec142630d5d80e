"""The shell's keys, described once: the table that the shell binds
(`qmpsh.shell.bindings`) and that F1 and ``help keys`` print.

Pure data and text: nothing here imports prompt_toolkit, so ``help keys``
works in batch mode too.  A key with ``sequences`` and an ``action`` is
bound to that action of `qmpsh.shell.bindings` (a `qmpsh.shell.state.Shell`
method, or its `qmpsh.shell.display.Display`'s for a toggle); one without
is listed for the user only (prompt_toolkit's own editing keys).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    #: as shown to the user
    label: str
    description: str
    #: prompt_toolkit key sequences bound to the action (none: documentation only)
    sequences: tuple[tuple[str, ...], ...] = ()
    #: the action to call (see the module's docstring)
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
    Key(
        "Ctrl-Z",
        "suspend qmpsh (your shell's fg brings it back as it was)",
        (("c-z",),),
        "suspend",
    ),
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


def describe_keys() -> list[tuple[str, str]]:
    """(keys, what they do) for every key the shell documents."""
    return [(k.label, k.description) for k in KEYS]


def keys_text() -> str:
    """The key table as F1 and ``help keys`` print it."""
    from qmpsh.builtins.helpbuiltin import keys_help

    return "\n".join(keys_help(describe_keys()))
