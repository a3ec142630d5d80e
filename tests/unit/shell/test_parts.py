"""Pure parts of the shell: confirmations, backoff, the event pane, paging,
the queue's notes, what a line is while the connection is down, HMP
completion on an empty line."""

from __future__ import annotations

import time

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from qmpsh.builtins.context import Context
from qmpsh.builtins.hmp import HmpShell
from qmpsh.builtins.linemode import Problem, Run
from qmpsh.cli.session import StreamConsole
from qmpsh.core.settings import Settings
from qmpsh.shell.danger import confirmation, is_quit, quit_refused
from qmpsh.shell.eventpane import ShownCount, newest, pane_lines, pane_room, pane_title
from qmpsh.shell.modes import CandidatesCompleter
from qmpsh.shell.modes_api import Hooks
from qmpsh.shell.pager import DEFAULT_PAGER, fit_pager, pager_argv, rows_needed
from qmpsh.shell.qmp_mode import QmpLines
from qmpsh.shell.state import continuation
from qmpsh.shell.status import Target
from qmpsh.shell.toggles import PANE_MAX, Toggles
from qmpsh.shell.typeahead import dropped_note, first_line, queued_note
from qmpsh.wire.connection import Connection
from qmpsh.wire.eventlog import Event, EventLog
from qmpsh.wire.reconnect import backoff

S = Settings()


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"execute": "quit"}, "quit"),
        ({"exec-oob": "system_reset"}, "system_reset"),
        ({"execute": "system_powerdown", "id": "x"}, "system_powerdown"),
        ({"execute": "query-status"}, None),
        ({"execute": "stop"}, None),
        (
            {"execute": "human-monitor-command", "arguments": {"command-line": " q"}},
            "HMP q",
        ),
        (
            {"execute": "human-monitor-command", "arguments": {"command-line": "quit"}},
            "HMP quit",
        ),
        (
            {
                "execute": "human-monitor-command",
                "arguments": {"command-line": "info quit"},
            },
            None,
        ),
        ({"execute": "human-monitor-command", "arguments": {"command-line": ""}}, None),
        ({"execute": "human-monitor-command"}, None),
        ({"execute": ["quit"]}, None),
    ],
)
def test_confirmation(message: dict[str, object], expected: str | None) -> None:
    assert confirmation(message, S.confirm_commands, S.confirm_hmp) == expected


def test_confirmation_lists_are_configurable() -> None:
    assert confirmation({"execute": "stop"}, ["stop"], []) == "stop"
    assert confirmation({"execute": "quit"}, [], []) is None


def _hmp(line: str) -> dict[str, object]:
    return {"execute": "human-monitor-command", "arguments": {"command-line": line}}


def test_what_is_a_quit() -> None:
    for message in ({"execute": "quit"}, _hmp("q"), _hmp("  quit "), _hmp("q now")):
        assert is_quit(message), message
    for message in (
        {"execute": "system_reset"},
        {"exec-oob": "quit"},  # QEMU refuses it out of band
        _hmp("info quit"),
        _hmp("quitx"),
        _hmp(""),
        {"execute": "human-monitor-command"},
        {"execute": "human-monitor-command", "arguments": "q"},
    ):
        assert not is_quit(message), message


def test_a_quit_refused() -> None:
    assert not quit_refused({"return": {}})  # QMP quit
    assert not quit_refused({"return": ""})  # HMP q
    assert quit_refused({"error": {"class": "GenericError", "desc": "no"}})
    # HMP did not run it (``q now``)
    assert quit_refused({"return": "quit|q: extraneous characters at the end\r\n"})


def test_backoff_doubles_up_to_a_cap() -> None:
    assert [backoff(2, n) for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]
    assert backoff(0, 3) == 0
    assert backoff(45, 2) == 45  # a first delay above the cap is kept


def test_event_pane_shows_the_newest_one_line_each() -> None:
    log = EventLog()
    assert pane_lines(log, 3) == [("class:events.empty", " no events yet")]
    stamp = {
        "seconds": int(time.mktime((2024, 1, 2, 3, 4, 5, 0, 0, -1))),
        "microseconds": 67000,
    }
    for i in range(5):
        log.append({"event": f"E{i}", "data": {"n": i}, "timestamp": stamp})
    log.append({"event": "STOP", "timestamp": stamp})
    fragments = pane_lines(log, 3)
    text = "".join(fragment[1] for fragment in fragments)
    assert text.split("\n") == [
        '03:04:05.067 E3 {"n":3}',
        '03:04:05.067 E4 {"n":4}',
        "03:04:05.067 STOP",
    ]
    assert ("class:events.name", "STOP") in fragments
    assert pane_title(6, 3).startswith("── events (newest 3 of 6)")
    assert pane_title(2, 5).startswith("── events (2)")


def test_the_pane_takes_the_newest_events_the_filter_keeps() -> None:
    log = EventLog()
    for i in range(10):
        log.append({"event": "STOP" if i % 3 else "RESUME", "data": {"n": i}})

    def resume(event: Event) -> bool:
        return event.name == "RESUME"

    assert [e.message["data"]["n"] for e in newest(log, resume, 2)] == [6, 9]
    assert [e.message["data"]["n"] for e in newest(log, resume, 9)] == [0, 3, 6, 9]
    assert newest(log, resume, 0) == []


def test_the_pane_title_says_what_f4_does_from_the_pane() -> None:
    # F4 cycles pane -> inline -> off: from the pane it moves events inline
    assert " · F4 moves them inline · " in pane_title(2, 5)
    assert "hides" not in pane_title(2, 5)


@pytest.mark.parametrize(
    ("rows", "others", "room"),
    [
        (35, 2, 21),  # a third of the screen stays for replies
        (24, 2, 13),
        (12, 2, 5),  # the default pane still fits
        (7, 2, 2),  # a small screen: the pane shrinks first
        (5, 2, 1),
        (4, 2, 0),  # then goes, title and all; input and toolbar stay
        (3, 2, 0),
        (1, 2, 0),
        (35, 3, 21),  # a hint or message line is taken from the replies' third
        (35, 20, 14),  # a tall input or live area: what is left under the title
        (35, 40, 0),
    ],
)
def test_the_pane_gives_way_on_a_short_screen(
    rows: int, others: int, room: int
) -> None:
    assert pane_room(rows, others) == room


def test_the_pane_title_says_what_the_filter_hides() -> None:
    assert pane_title(120, 5, 3).startswith("── events (3 of 120 shown) · F4")
    assert pane_title(120, 5, 0).startswith("── events (0 of 120 shown)")
    assert pane_title(120, 5, 30).startswith(
        "── events (newest 5 of 30 matching, 120 in all)"
    )
    # nothing hidden: the plain count, as without a filter
    assert pane_title(6, 3, 6) == pane_title(6, 3)
    assert pane_title(2, 5, 2).startswith("── events (2)")
    assert pane_lines([], 3, hidden=4) == [
        ("class:events.empty", " the event filter hides all 4")
    ]


def test_shown_count_follows_arrivals_and_the_ring_without_rescanning() -> None:
    log = EventLog(maxlen=10)
    counter = ShownCount()
    asked: list[int] = []

    def resume(event: Event) -> bool:
        asked.append(event.seq)
        return event.name == "RESUME"

    def arrived(event: Event) -> None:  # as the shell does
        counter.arrived(event, resume(event), "resume")

    def truth() -> int:
        return sum(e.name == "RESUME" for e in log)

    for i in range(7):
        log.append({"event": "RESUME" if i % 3 == 0 else "STOP"})
    assert counter.count(log, resume, "resume") == truth() == 3
    assert len(asked) == 7  # counted over the history once
    log.subscribe(arrived)
    for i in range(7, 40):  # the ring of 10 lets the old ones go
        log.append({"event": "RESUME" if i % 3 == 0 else "STOP"})
        assert counter.count(log, resume, "resume") == truth()
    assert len(asked) == 40  # one look at each event as it arrived, no more
    assert counter.count(log, lambda e: e.name == "STOP", "stop") == 10 - truth()
    log.clear()
    assert counter.count(log, resume, "resume") == 0
    log.append({"event": "RESUME"})
    assert counter.count(log, resume, "resume") == 1


@pytest.mark.parametrize("seed", range(50))
def test_shown_count_agrees_with_counting_everything(seed: int) -> None:
    import random

    rng = random.Random(seed)
    log = EventLog(maxlen=rng.randint(1, 30))
    counter = ShownCount()
    names = ["STOP", "RESUME", "JOB"]
    key = rng.choice(names)

    def keep(event: Event) -> bool:
        return event.name != key  # a filter that hides one name

    def arrived(event: Event) -> None:
        counter.arrived(event, keep(event), key)

    log.subscribe(arrived)
    for _ in range(300):
        # runs of one name, so that kept events come in runs of all lengths
        log.append({"event": rng.choice(names) if rng.random() < 0.3 else "STOP"})
        if rng.random() < 0.05:
            key = rng.choice(names)  # the filter changes
        if rng.random() < 0.5:  # not every event is followed by a redraw
            assert counter.count(log, keep, key) == sum(map(keep, log))


def test_pager_command_and_height() -> None:
    assert pager_argv("", {}) == DEFAULT_PAGER.split()
    assert pager_argv("", {"PAGER": "more -d"}) == ["more", "-d"]
    assert pager_argv("bat --plain", {"PAGER": "more"}) == ["bat", "--plain"]
    assert pager_argv("'unclosed", {}) == DEFAULT_PAGER.split()
    assert rows_needed("a\nb", 80) == 2
    assert rows_needed("x" * 81, 80) == 2
    assert rows_needed("\x1b[31m" + "x" * 80 + "\x1b[0m", 80) == 1
    assert rows_needed("", 80) == 1


def test_default_pager_wraps_a_text_wider_than_the_screen() -> None:
    less = DEFAULT_PAGER.split()
    assert fit_pager(less, "a\n" * 100, 80) == less
    assert fit_pager(less, "x" * 81, 80) == ["less", "-RXF"]
    assert fit_pager(less, "\x1b[31m" + "x" * 80 + "\x1b[0m", 80) == less
    assert fit_pager(["more"], "x" * 500, 80) == ["more"]  # a chosen pager is kept


def test_prompt_shows_the_target() -> None:
    assert Target("7.2.22", "none-machine").prompt("qmp") == "(qemu 7.2 none-machine) "
    assert Target("8.0.0").prompt("qmp") == "(qemu 8.0) "
    assert Target().prompt("qmp") == "(qmp) "
    assert (
        Target("7.2.0", "pc-q35-7.2-machine").prompt("hmp")
        == "(qemu 7.2 pc-q35-7.2-machine hmp) "
    )
    assert continuation(10) == "      ... "


def test_toggles() -> None:
    t = Toggles(pretty=False, verbose=False, events="pane", pane_height=5, vi=False)
    assert [t.cycle_events() for _ in range(3)] == ["inline", "off", "pane"]
    assert t.resize(+1) == 6
    assert t.resize(-100) == 1
    assert t.resize(+200) == 100  # as high as --pane-height may set it
    assert t.resize(-1) == 99


def test_resizing_a_pane_the_screen_limits() -> None:
    t = Toggles(pretty=False, verbose=False, events="pane", pane_height=40, vi=False)
    # 40 wanted, 10 shown: shorter starts from what is shown
    assert t.resize(-1, room=10) == 9
    assert t.resize(+1, room=10) == 10
    assert t.resize(+1, room=10) == 10  # no taller than the room
    assert t.resize(-1, room=0) == 1  # never below one line
    assert t.resize(+5) == 6  # no room known: only PANE_MAX bounds it
    assert t.resize(+500, room=200) == PANE_MAX


def test_notes_about_queued_lines() -> None:
    assert first_line("query-status") == "query-status"
    assert first_line("transaction(\n abort\n)") == "transaction( ..."
    assert first_line("x" * 50) == "x" * 37 + "..."
    assert queued_note(["query-name"]) == "queued (1): query-name (Ctrl-C drops them)"
    assert dropped_note(["a", "b\nc", "d", "e", "f"]) == (
        "dropped 5 queued lines: a; b ...; d; and 2 more"
    )
    assert dropped_note(["query-kvm"]) == "dropped 1 queued line: query-kvm"


def offline() -> Context:
    return Context(Connection(), Settings(), StreamConsole(), interactive=True)


def test_lines_that_need_the_connection_stay_while_it_is_down() -> None:
    ctx = offline()
    lines = QmpLines(ctx, Hooks())
    for text in ("query-status", "jobs", "hmp info status", "qom list /", "commit d"):
        check = lines.check(text)
        assert isinstance(check, Problem), text
        assert check.message == (
            "not connected (the connection is closed); the line is kept for later"
        )
    for text in ("events", "help keys", "filter off", "wait STOP"):
        assert isinstance(lines.check(text), Run), text
    hmp = HmpShell(ctx)
    assert isinstance(hmp.check("info status"), Problem)
    assert hmp.check("  \n") == Run(None)


def test_an_error_is_scrubbed_of_what_the_alias_made_secret() -> None:
    """The parse error quotes the expanded line, where the typed argument
    became a password: it is scrubbed against both texts."""
    from qmpsh.lang.aliases import Alias
    from qmpsh.lang.redact import scrub

    ctx = offline()
    body = "change-vnc-password password=[$1]"
    ctx.session.aliases = {"vncpw": Alias("vncpw", body)}
    check = QmpLines(ctx, Hooks()).check("vncpw hunter2")
    assert isinstance(check, Problem)
    assert "hunter2" not in check.message and "<redacted>" in check.message
    # the typed line alone names no secret
    assert scrub("got 'hunter2'", "vncpw hunter2") == "got 'hunter2'"


def hmp_candidates(text_before_cursor: str) -> list[str]:
    return ["info", "quit"] if not text_before_cursor.strip() else ["status"]


def test_hmp_completion_on_an_empty_line_only_when_asked() -> None:
    completer = CandidatesCompleter(hmp_candidates)

    def offered(text: str, tab: bool) -> list[str]:
        event = CompleteEvent(text_inserted=not tab, completion_requested=tab)
        return [c.text for c in completer.get_completions(Document(text), event)]

    assert offered("", tab=False) == []  # e.g. after a line typed fast
    assert offered("  ", tab=False) == []
    assert offered("", tab=True) == ["info", "quit"]
    assert offered("info sta", tab=False) == ["status"]
