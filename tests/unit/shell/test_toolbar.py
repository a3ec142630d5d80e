"""The toolbar's fields give way by priority on a narrow screen."""

from __future__ import annotations

from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.formatted_text.utils import fragment_list_width

from qmpsh.shell.toolbar import (
    ADDRESS,
    ADDRESS_LONG,
    CANCEL_HINT,
    EVENTS,
    HELP,
    JOIN,
    KEY_MODE,
    NOTE,
    NOTE_LONG,
    PRETTY,
    RUNNING,
    RUNNING_NAME,
    SEGMENT,
    SEP,
    STATE,
    VERBOSE,
    VERSION,
    Field,
    clip_right,
    field,
    fit,
)


def text(fragments: StyleAndTextTuples) -> str:
    return "".join(piece[1] for piece in fragments)


def bar(running: bool = False, job: bool = False) -> list[Field]:
    """The fields as `toolbar_fields` makes them for a connected shell."""
    fields = [field("class:toolbar.state.connected", " connected ", STATE)]
    if running:
        fields.append(
            Field(
                (
                    [("", "⠋ qom-get 1.2s (Ctrl-C cancels)")],
                    [("", "⠋ qom-get 1.2s")],
                    [("", "⠋ 1.2s")],
                ),
                (CANCEL_HINT, RUNNING_NAME, RUNNING),
            )
        )
    if job:
        fields.append(field("", "j1 commit ████······ 42%", SEGMENT))
    fields += [
        Field(
            ([("", "…/a/long/path/to/the/monitor/qmp.sock")], [("", "…/qmp.sock")]),
            (ADDRESS_LONG, ADDRESS),
        ),
        field("", "QEMU 7.2.22", VERSION),
        field("", "compact", PRETTY, "t"),
        field("", "quiet", VERBOSE, "t"),
        field("", "events:pane", EVENTS, "t"),
        field("", "emacs", KEY_MODE, "t"),
        field("class:toolbar.hint", "F1 keys", HELP),
    ]
    return fields


S = SEP[1]


def test_all_fields_when_they_fit() -> None:
    out = fit(bar(), 200)
    assert text(out) == S.join(
        [
            " connected ",
            "…/a/long/path/to/the/monitor/qmp.sock",
            "QEMU 7.2.22",
            JOIN[1].join(["compact", "quiet", "events:pane", "emacs"]),
            "F1 keys",
        ]
    )
    assert ("class:toolbar.hint", "F1 keys") in out


def test_fields_give_way_whole_least_useful_first() -> None:
    widths = range(200, 0, -1)
    seen = []
    for width in widths:
        shown = text(fit(bar(running=True, job=True), width))
        if shown not in seen:
            seen.append(shown)
        if width >= len(" connected "):
            assert len(shown) <= width
    assert seen == [
        S.join(
            [
                " connected ",
                "⠋ qom-get 1.2s (Ctrl-C cancels)",
                "j1 commit ████······ 42%",
                "…/a/long/path/to/the/monitor/qmp.sock",
                "QEMU 7.2.22",
                "compact · quiet · events:pane · emacs",
                "F1 keys",
            ]
        ),
        S.join(
            [
                " connected ",
                "⠋ qom-get 1.2s (Ctrl-C cancels)",
                "j1 commit ████······ 42%",
                "…/a/long/path/to/the/monitor/qmp.sock",
                "compact · quiet · events:pane · emacs",
                "F1 keys",
            ]
        ),
        S.join(
            [
                " connected ",
                "⠋ qom-get 1.2s (Ctrl-C cancels)",
                "j1 commit ████······ 42%",
                "…/a/long/path/to/the/monitor/qmp.sock",
                "compact · events:pane · emacs",
                "F1 keys",
            ]
        ),
        S.join(
            [
                " connected ",
                "⠋ qom-get 1.2s (Ctrl-C cancels)",
                "j1 commit ████······ 42%",
                "…/a/long/path/to/the/monitor/qmp.sock",
                "events:pane · emacs",
                "F1 keys",
            ]
        ),
        S.join(
            [
                " connected ",
                "⠋ qom-get 1.2s (Ctrl-C cancels)",
                "j1 commit ████······ 42%",
                "…/a/long/path/to/the/monitor/qmp.sock",
                "emacs",
                "F1 keys",
            ]
        ),
        S.join(
            [
                " connected ",
                "⠋ qom-get 1.2s (Ctrl-C cancels)",
                "j1 commit ████······ 42%",
                "…/qmp.sock",
                "emacs",
                "F1 keys",
            ]
        ),
        S.join(
            [
                " connected ",
                "⠋ qom-get 1.2s (Ctrl-C cancels)",
                "j1 commit ████······ 42%",
                "emacs",
                "F1 keys",
            ]
        ),
        S.join(
            [
                " connected ",
                "⠋ qom-get 1.2s (Ctrl-C cancels)",
                "j1 commit ████······ 42%",
                "F1 keys",
            ]
        ),
        S.join(
            [" connected ", "⠋ qom-get 1.2s", "j1 commit ████······ 42%", "F1 keys"]
        ),
        S.join([" connected ", "⠋ qom-get 1.2s", "j1 commit ████······ 42%"]),
        S.join([" connected ", "⠋ qom-get 1.2s"]),
        S.join([" connected ", "⠋ 1.2s"]),
        " connected ",
    ]


def test_idle_at_seventy_columns_keeps_the_key_mode_and_f1() -> None:
    shown = text(fit(bar(), 70))
    assert shown.endswith(S + "emacs" + S + "F1 keys")
    assert shown.startswith(" connected " + S)


def test_equal_priorities_go_right_to_left_and_the_last_field_stays() -> None:
    fields = [field("", "aaaa", 1), field("", "bbbb", 1), field("", "cccc", 1)]
    assert text(fit(fields, 11)) == S.join(["aaaa", "bbbb"])
    assert text(fit(fields, 2)) == "aaaa"  # cut by the screen, not by us
    assert fit([], 10) == []


def test_a_group_keeps_its_joiner_around_a_dropped_member() -> None:
    fields = [
        field("", "x", 9),
        field("", "a", 5, "g"),
        field("", "b", 1, "g"),
        field("", "c", 5, "g"),
        field("", "y", 9),
    ]
    assert text(fit(fields, 100)) == S.join(["x", "a · b · c", "y"])
    assert text(fit(fields, 15)) == S.join(["x", "a · c", "y"])
    assert fragment_list_width(fit(fields, 15)) <= 15


def test_a_transport_s_note_shortens_before_the_address() -> None:
    """libvirt's taint: whole when there is room, then its start, then gone."""
    note = "tainted: custom monitor control commands issued, running with undesirable elevated privileges"
    fields = [
        field("class:toolbar.state.connected", " connected ", STATE),
        Field(([("", "libvirt:vm1")],), (ADDRESS,)),
        Field(([("", note)], [("", clip_right(note))]), (NOTE_LONG, NOTE)),
        field("class:toolbar.hint", "F1 keys", HELP),
    ]
    assert note in text(fit(fields, 200))
    assert text(fit(fields, 80)) == S.join(
        [" connected ", "libvirt:vm1", "tainted: custom monitor…", "F1 keys"]
    )
    assert text(fit(fields, 40)) == S.join([" connected ", "libvirt:vm1", "F1 keys"])
