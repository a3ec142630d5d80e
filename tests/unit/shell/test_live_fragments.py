"""The live area (watch, progress) shows a server's text, never obeys it."""

from __future__ import annotations

from qmpsh.shell.layout import live_fragments


def test_zero_width_escapes_and_controls_are_shown() -> None:
    hostile = "VM name: \x01\x1b]52;c;cHduZWQ=\x07\x02x\x1b[2J"
    (fragment,) = live_fragments(hostile)
    style, text = fragment[0], fragment[1]
    assert style == ""
    assert "\x1b" not in text and "\x01" not in text and "\x07" not in text
    assert text == "VM name: ^A^[]52;c;cHduZWQ=^G^Bx^[[2J"
    assert live_fragments(None) == [("", "")]
