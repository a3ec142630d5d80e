"""Key bindings, driven through prompt_toolkit's pipe input (no server)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.enums import EditingMode

from qmpsh.builtins.keytable import KEYS, describe_keys
from qmpsh.builtins.linemode import Run, ShellApi
from qmpsh.core.settings import Settings
from qmpsh.shell.bindings import answer_for, default_answer
from qmpsh.shell.history import HistoryFile, history_path, parse_entries
from qmpsh.shell.modes_api import Hooks
from tests.replkit import Driver, shell


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def _label(sequence: tuple[str, ...]) -> str:
    *mods, key = sequence
    name = key.capitalize() if len(key) > 1 else key.upper()
    if key.startswith("c-"):
        name = "Ctrl-" + key[2:].upper()
    elif key.startswith("f"):
        name = key.upper()
    return "Alt-" + name if mods == ["escape"] else name


def test_describe_keys_names_every_bound_sequence() -> None:
    rows = describe_keys()
    assert ("Ctrl-D", "quit (on an empty line)") in rows
    for key in KEYS:
        shown = {part.strip() for part in key.label.split("/")}
        for sequence in key.sequences:
            assert _label(sequence) in shown, (sequence, key.label)


def test_function_keys_toggle_pretty_verbose_events_and_mode() -> None:
    async def scenario() -> None:
        async with shell() as d:
            t = d.repl.shell.toggles
            d.type("f2")
            await d.until(lambda: t.pretty, "pretty")
            d.type("alt-p")
            await d.until(lambda: not t.pretty, "compact")
            d.type("f3")
            await d.until(lambda: t.verbose, "verbose")
            d.type("f4")
            await d.until(lambda: t.events == "inline", "inline events")
            d.type("f4")
            await d.until(lambda: t.events == "off", "events off")
            d.type("alt-up")  # resizing brings the pane back
            await d.until(lambda: t.events == "pane", "the pane")
            d.type("alt-up", "alt-up")
            await d.until(lambda: t.pane_height == 7, "a taller pane")
            d.type("alt-down")
            await d.until(lambda: t.pane_height == 6, "a shorter pane")
            d.type("f5")
            await d.until(lambda: d.repl.app.editing_mode == EditingMode.VI, "vi")
            d.type("f5")
            await d.until(lambda: d.repl.app.editing_mode == EditingMode.EMACS, "emacs")

    run(scenario)


def test_settings_choose_the_starting_toggles() -> None:
    async def scenario() -> None:
        settings = Settings(
            color="never",
            pretty=True,
            event_display="off",
            event_pane_height=9,
            key_mode="vi",
            history_import="",
        )
        async with shell(settings=settings) as d:
            t = d.repl.shell.toggles
            assert (t.pretty, t.events, t.pane_height, t.vi) == (True, "off", 9, True)
            assert d.repl.app.editing_mode == EditingMode.VI

    run(scenario)


def test_ctrl_c_clears_the_line_and_ctrl_d_quits_on_an_empty_one() -> None:
    async def scenario() -> None:
        async with shell() as d:
            d.type("query-sta")
            await d.until(lambda: d.buffer_text == "query-sta", "typing")
            d.type("c-d")  # not empty: no exit
            d.type("c-c")
            await d.until(lambda: d.buffer_text == "", "a cleared line")
            assert not d.task.done()
            d.type("c-c")
            await d.until(lambda: d.repl.shell.message is not None, "the hint")
            assert "Ctrl-D" in d.repl.shell.message[1]  # type: ignore[index]
            d.type("c-d")
            assert await asyncio.wait_for(d.task, 10) == 0

    run(scenario)


def test_enter_continues_an_open_transaction_then_runs_it() -> None:
    async def scenario() -> None:
        async with shell() as d:
            d.type("transaction(", "enter", "abort", "enter")
            await d.until(lambda: d.buffer_text == "transaction(\nabort\n", "two lines")
            d.type('x a="open', "enter")
            await d.until(lambda: d.buffer_text.endswith('"open\n'), "open quote")
            d.type('"', "enter", ")", "enter")
            # complete now: not connected, so it stays for later
            await d.until(lambda: d.repl.shell.message is not None, "a message")
            assert "not connected" in d.repl.shell.message[1]  # type: ignore[index]
            assert d.buffer_text == 'transaction(\nabort\nx a="open\n"\n)'

    run(scenario)


def test_parse_error_keeps_the_text_and_points_at_the_problem() -> None:
    async def scenario() -> None:
        async with shell() as d:
            d.type("x a.b=1 a=2", "enter")
            await d.until(lambda: d.repl.shell.message is not None, "the error")
            kind, text = d.repl.shell.message  # type: ignore[misc]
            assert kind == "error"
            assert text.startswith("1:9: 'a' is given both a value and members")
            assert d.buffer_text == "x a.b=1 a=2"
            assert d.repl.shell.buffer.cursor_position == 8
            d.type("3")  # editing clears the message
            await d.until(lambda: d.repl.shell.message is None, "no message")

    run(scenario)


def test_builtins_run_offline_and_history_is_written_per_command() -> None:
    async def scenario() -> None:
        async with shell() as d:
            d.repl.shell.ctx.events.append({"event": "STOP", "data": {}})
            d.type("events", "enter")
            # compact, as the compact/pretty toggle is (F-key "t")
            await d.printed('{"event": "STOP", "data": {}}')
            d.repl.shell.display.toggle_pretty()
            d.type("events", "enter")
            await d.printed('{\n  "event": "STOP"')
            path = history_path()
            assert parse_entries(path.read_text()) == ["events"]
            d.type("help keys", "enter")
            await d.printed("quit (on an empty line)")
            assert parse_entries(path.read_text()) == ["events", "help keys"]
            assert "(qmp) events" in d.out.text  # the command is echoed

    run(scenario)


def test_history_up_arrow_search_and_suggestion(private_dirs: Path) -> None:
    hist = HistoryFile(history_path())
    for line in ("query-status", "qom-list path=/machine", "query-name"):
        hist.append(line)

    async def scenario() -> None:
        async with shell() as d:
            d.type("up")
            await d.until(lambda: d.buffer_text == "query-name", "the last command")
            d.type("c-c")
            buffer = d.repl.shell.buffer
            # the history comes back into the cleared buffer on the next redraw
            await d.until(lambda: buffer.working_index == 3, "the history reloaded")
            d.type("c-r", "stat")
            await d.until(lambda: d.repl.app.current_buffer.text == "stat", "search")
            d.type("enter")
            await d.until(lambda: d.buffer_text == "query-status", "search result")
            d.type("c-c", "qom-l")
            await d.until(lambda: buffer.suggestion is not None, "a suggestion")
            assert buffer.suggestion.text == "ist path=/machine"  # type: ignore[union-attr]
            d.type("right")
            await d.until(lambda: d.buffer_text == "qom-list path=/machine", "accepted")

    run(scenario)


def test_qmp_shell_history_is_imported_once(private_dirs: Path) -> None:
    old = private_dirs / "qmp-shell_history"
    old.write_text("query-kvm\n")
    settings = Settings(color="never", history_import=str(old))

    async def scenario() -> None:
        async with shell(settings=settings) as d:
            await d.printed(f"imported 1 commands from {old}")
            d.type("up")
            await d.until(lambda: d.buffer_text == "query-kvm", "the imported line")

    run(scenario)
    assert parse_entries(history_path().read_text()) == ["query-kvm"]


@pytest.mark.parametrize(
    ("question", "default"),
    [
        ("Send quit to QEMU 7.2? [y/N] ", False),
        ("Go on? [Y/n]", True),
        ("top is ready: complete it? [y/n] ", None),
        ("Go on?", None),
    ],
)
def test_enter_answers_the_default_the_question_shows(
    question: str, default: bool | None
) -> None:
    assert default_answer(question) is default
    assert answer_for("c-m", question) is default  # Enter
    assert answer_for("c-j", question) is default
    assert answer_for("y", question) is True and answer_for("Y", question) is True
    assert answer_for("n", question) is False and answer_for("N", question) is False
    # any other key: no where no is the default, else nothing
    for key in ("x", "c-i", "c-h", "up", "<bracketed-paste>"):
        assert answer_for(key, question) is (False if default is False else None)


class Ask:
    """A line mode whose job asks the question typed (after a gate opens)."""

    mode = "test"

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.gate.set()

    def prompt(self) -> str:
        return "(test) "

    def check(self, text: str) -> Run:
        async def job(api: ShellApi) -> int:
            await self.gate.wait()
            yes = await api.confirm(f"{text} ")
            api.out(f"answer: {yes}")
            return 0

        return Run(job if text.strip() else None, "ask")


async def answered(d: Driver, answer: bool) -> None:
    await d.printed(f"answer: {answer}\n")
    await d.idle()
    assert d.repl.shell.question is None


def test_keys_typed_at_a_question_never_reach_the_input() -> None:
    """prompt_toolkit's own keys (Enter, Tab, Backspace, Ctrl-J, the arrows)
    used to edit the hidden input while a question was asked."""
    mode = Ask()

    async def scenario() -> None:
        async with shell(hooks=Hooks(line_mode=mode)) as d:
            mode.gate.clear()
            d.type("Send it? [y/n]", "enter", "half")  # "half": typed ahead
            await d.until(lambda: d.buffer_text == "half", "typing ahead")
            mode.gate.set()
            await d.until(lambda: d.repl.shell.question is not None, "the question")
            assert d.repl.shell.question == "Send it? [y/n] "
            # no default: Enter and other keys do nothing, y answers
            d.type("enter", "\n", "tab", "\x7f", "up", "x", "\x1b[200~y\x1b[201~")
            d.type("y")
            await answered(d, True)
            assert d.buffer_text == "half"
            d.type("\x15")  # Ctrl-U
            await d.until(lambda: d.buffer_text == "", "an empty input")
            # default no: Enter answers it, and the second Enter is no new line
            d.type("Send it? [y/N]", "enter")
            await d.until(lambda: d.repl.shell.question is not None, "the question")
            d.type("enter", "enter")
            await answered(d, False)
            assert d.buffer_text == ""
            d.type("Send it? [y/N]", "enter")
            await d.until(lambda: d.repl.shell.question is not None, "the question")
            d.type("tab")  # any key but y is no
            await answered(d, False)
            assert d.buffer_text == ""
            d.type("Send it? [y/n]", "enter")
            await d.until(lambda: d.repl.shell.question is not None, "the question")
            d.type("c-d")  # declines any question
            await answered(d, False)
            assert d.out.text.count("(test) ") == 4  # no empty command was echoed

    run(scenario)


def test_keys_typed_right_after_the_answer_go_to_the_input() -> None:
    mode = Ask()

    async def scenario() -> None:
        async with shell(hooks=Hooks(line_mode=mode)) as d:
            d.type("Send it? [y/N]", "enter")
            await d.until(lambda: d.repl.shell.question is not None, "the question")
            d.type("nquery-name")  # in one read: the answer, then the next line
            await answered(d, False)
            assert d.buffer_text == "query-name"

    run(scenario)
