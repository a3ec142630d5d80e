"""The screen's layout in a real terminal (tmux) that is small or narrow:
the event pane gives way to the input, the toolbar drops whole fields."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable
from pathlib import Path

from qmpsh.shell.toolbar import SEP
from tests.procs import Qemu, raw_qmp
from tests.terminal.tmux import HEIGHT, Screen

PROMPT = "(qemu 7.2 none-machine)"  # tmux drops trailing spaces
NOTE = "no room for a taller event pane on this screen"


def events(qemu: Qemu, pairs: int) -> None:
    """*pairs* STOP and RESUME events, from the second monitor."""
    raw_qmp(qemu.sockets[1], [{"execute": "stop"}, {"execute": "cont"}] * pairs)


def toolbar(screen: str) -> list[str]:
    """The toolbar's fields (the last line that starts with the state)."""
    line = [x.rstrip() for x in screen.splitlines() if x.startswith(" connected ")]
    return [field.strip() for field in line[-1].split(SEP[1])] if line else []


def input_and_toolbar(screen: str, typed: str = "") -> bool:
    lines = [line.rstrip() for line in screen.splitlines()]
    return (PROMPT + typed).rstrip() in lines and toolbar(screen)[:1] == ["connected"]


def pane_rows(screen: str) -> int:
    """The lines between the pane's title and the toolbar."""
    lines = screen.splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith("── events"))
    bar = next(i for i, line in enumerate(lines) if line.startswith(" connected "))
    return bar - title - 1


def test_a_short_terminal_shrinks_the_pane_never_the_input(
    screen: Screen, qemu: Qemu
) -> None:
    screen.qmpsh(str(qemu.sock))
    screen.wait("no events yet")
    events(qemu, 3)
    screen.wait("── events (newest 5 of 6) · ")
    screen.send("query-st")
    screen.resize(height=7)
    # 7 rows: the pane keeps 2 lines (its title says so), the input and
    # the toolbar stay
    text = screen.wait(
        lambda s: "── events (newest 2 of 6)" in s and input_and_toolbar(s, " query-st")
    )
    assert len(text.splitlines()) == 7
    assert pane_rows(text) == 2
    assert "Window too small" not in text
    # 4 rows: no room for a pane at all; the input still takes typing
    screen.resize(height=4)
    screen.wait(lambda s: "── events" not in s and input_and_toolbar(s, " query-st"))
    screen.send("atus")
    screen.keys("Enter")
    screen.wait('{"return": {"status": "running"')
    # the wanted height comes back with the room
    screen.resize(height=HEIGHT)
    text = screen.wait(lambda s: "── events (newest 5 of 6)" in s)
    assert pane_rows(text) == 5


def test_alt_up_stops_where_the_screen_has_no_more_room(
    screen: Screen, qemu: Qemu
) -> None:
    screen.qmpsh(str(qemu.sock))
    screen.wait("no events yet")
    events(qemu, 12)
    screen.wait("── events (newest 5 of 24)")
    screen.keys(*["M-Up"] * 45)
    # 32 rows: a third stays for replies, then the input, toolbar and title
    text = screen.wait(lambda s: "── events (newest 19 of 24)" in s and NOTE in s)
    assert input_and_toolbar(text)
    assert pane_rows(text) == 19
    assert "Window too small" not in text
    # shorter at the first press (the height never went past the room)
    screen.keys("M-Down")
    text = screen.wait("── events (newest 18 of 24)")
    assert pane_rows(text) == 18
    screen.send("query-status")
    screen.keys("Enter")
    screen.wait('{"return": {"status": "running"')


def test_a_pane_height_taller_than_the_screen_in_the_config(
    screen: Screen, qemu: Qemu, private_dirs: Path
) -> None:
    config = private_dirs / "config" / "qmpsh" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('event_pane_height = 40\nkey_mode = "nano"\n')
    screen.qmpsh(str(qemu.sock))
    text = screen.wait(lambda s: "no events yet" in s and input_and_toolbar(s))
    # the config's warning is still on the screen, above the layout
    warning = 'key_mode: expected one of emacs, vi, not "nano"; using the default'
    # wrapped at the screen's width, where tmux drops a space that ends a row
    # (which space depends on the length of the temp dir's path)
    assert "".join(warning.split()) in "".join(text.split())
    assert pane_rows(text) == 19
    screen.send("query-status")
    screen.keys("Enter")
    screen.wait('{"return": {"status": "running"')


WHOLE = {
    "connected",
    "F1 keys",
    "emacs",
    "compact · quiet · events:pane · emacs",
    "compact · events:pane · emacs",
    "events:pane · emacs",
}
RUNNING = re.compile(r". qom-get \d+\.\ds")
CANCELS = re.compile(r". qom-get \d+\.\ds \(Ctrl-C cancels\)")


def shows(*fields: str | re.Pattern[str]) -> Callable[[str], bool]:
    """Whether the toolbar has these fields, exactly (after a resize, the
    screen is cut at once and redrawn a moment later: wait for the redraw)."""

    def check(screen: str) -> bool:
        shown = toolbar(screen)
        return len(shown) == len(fields) and all(
            want == got if isinstance(want, str) else want.fullmatch(got)
            for want, got in zip(fields, shown, strict=True)
        )

    return check


def test_a_narrow_toolbar_drops_whole_fields_keeping_state_spinner_and_f1(
    screen: Screen, qemu: Qemu
) -> None:
    screen.qmpsh(str(qemu.sock))
    screen.wait(PROMPT)
    screen.resize(width=70)
    # the QEMU version (in the prompt too) and two toggles went, not F1
    text = screen.wait(lambda s: toolbar(s)[-2:] == ["emacs", "F1 keys"])
    fields = toolbar(text)
    assert fields[0] == "connected" and "QEMU 7.2" not in " ".join(fields)
    assert all(f in WHOLE or f.endswith("qmp0.sock") for f in fields), fields
    os.kill(qemu.pid, signal.SIGSTOP)
    try:
        screen.send("qom-get path=/machine property=type")
        screen.keys("Enter")
        screen.resize(width=60)
        screen.wait(shows("connected", CANCELS, "F1 keys"))
        screen.resize(width=40)  # the Ctrl-C hint goes before F1 keys
        screen.wait(shows("connected", RUNNING, "F1 keys"))
        screen.keys("C-c")
        screen.wait("qom-get: stopped waiting")  # wrapped at 40 columns
    finally:
        os.kill(qemu.pid, signal.SIGCONT)
