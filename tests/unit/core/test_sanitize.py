"""The output gate (qmpsh.core.sanitize): every control character a server
could send is shown, never passed to the terminal; JSON stays valid."""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qmpsh.core.deepjson import dumps as deep_dumps
from qmpsh.core.pretty import pretty
from qmpsh.core.render import (
    event_line,
    highlight_json,
    render_json,
    render_reply,
)
from qmpsh.core.sanitize import (
    BIDI,
    Inert,
    inert_json,
    painted,
    show,
    shown,
    visible,
)

ESC = "\x1b"

#: (what a server sends, what the terminal gets)
ROWS = [
    ("plain text", "plain text"),
    ("", ""),
    ("two\nlines", "two\nlines"),
    ("a\ttab", "a\ttab"),
    (f"{ESC}]0;pwned{ESC}\\", "^[]0;pwned^[\\"),  # window title (OSC 0, ST)
    (f"{ESC}]0;pwned\x07", "^[]0;pwned^G"),  # window title (OSC 0, BEL)
    (f"{ESC}]52;c;cHduZWQ=\x07", "^[]52;c;cHduZWQ=^G"),  # clipboard write
    (f"{ESC}[2J{ESC}[H", "^[[2J^[[H"),  # clear the screen, home
    (f"{ESC}[31mred{ESC}[0m", "^[[31mred^[[0m"),  # colour
    (f"{ESC}P+q544e{ESC}\\", "^[P+q544e^[\\"),  # DCS (a terminal query)
    ("over\rwrite", "over^Mwrite"),
    ("back\b\bspace", "back^H^Hspace"),
    ("\x00nul", "^@nul"),
    ("bell\x07", "bell^G"),
    ("\x0b\x0c", "^K^L"),  # vertical tab, form feed
    ("\x1f", "^_"),
    ("del\x7f", "del^?"),
    ("\x9b31mcsi", "<9b>31mcsi"),  # the one-byte CSI
    ("\x9d0;t\x9c", "<9d>0;t<9c>"),  # one-byte OSC and ST
    ("\x80\x85\x9f", "<80><85><9f>"),
    ("abc\u202edcba", "abc<U+202E>dcba"),  # right-to-left override
    ("\u202a\u202b\u202c\u202d", "<U+202A><U+202B><U+202C><U+202D>"),
    ("\u2066\u2067\u2068\u2069", "<U+2066><U+2067><U+2068><U+2069>"),
    ("\u200e\u200f\u061c", "<U+200E><U+200F><U+061C>"),
    ("\ud800x\udfff", "<U+D800>x<U+DFFF>"),  # lone surrogates ("\ud800" in JSON)
    # what is not a control stays
    ("café ünïcode ✓ 日本", "café ünïcode ✓ 日本"),
    ("\u00a0nbsp \u00ad soft hyphen", "\u00a0nbsp \u00ad soft hyphen"),
    ("\u200b zero width space", "\u200b zero width space"),
    ("^[ already caret", "^[ already caret"),
    ("emoji 😀", "emoji 😀"),
    ("\u2028", "\u2028"),
]


@pytest.mark.parametrize(("sent", "seen"), ROWS)
def test_visible(sent: str, seen: str) -> None:
    assert visible(sent) == seen
    assert shown(sent) == seen
    assert type(shown(sent)) is Inert


@pytest.mark.parametrize("code", [*range(0x20), 0x7F, *range(0x80, 0xA0)])
def test_every_c0_and_c1_control_is_shown(code: int) -> None:
    out = visible(f"a{chr(code)}b")
    if chr(code) in "\n\t":
        assert out == f"a{chr(code)}b"
    else:
        assert out.isascii() and out.isprintable(), out
        assert out == f"a{show(chr(code))}b"


@pytest.mark.parametrize("char", list(BIDI))
def test_every_bidi_control_is_shown(char: str) -> None:
    assert visible(char) == f"<U+{ord(char):04X}>"


@given(st.text())
def test_nothing_unsafe_gets_through(text: str) -> None:
    out = visible(text)
    assert not _unsafe(out), out
    assert visible(out) == out  # showing twice changes nothing more


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"))))
def test_text_without_controls_is_untouched(text: str) -> None:
    if not any(c in BIDI for c in text):
        assert visible(text) == text


def _unsafe(text: str) -> bool:
    return any(
        (ord(c) < 0x20 and c not in "\n\t")
        or 0x7F <= ord(c) <= 0x9F
        or c in BIDI
        or 0xD800 <= ord(c) <= 0xDFFF
        for c in text
    )


# -- Inert: qmpsh's own colour passes, anything else is shown -----------------


def test_inert_text_passes_the_gate_as_it_is() -> None:
    coloured = painted(f"desc {ESC}]0;x\x07", "\x1b[31m", "\x1b[0m")
    assert coloured == "\x1b[31mdesc ^[]0;x^G\x1b[0m"
    assert shown(coloured) is coloured


def test_text_made_from_inert_text_is_shown_again() -> None:
    """Concatenating loses the mark: the colour codes are shown, not obeyed
    (a mistake is visible, never unsafe)."""
    coloured = painted("x", "\x1b[31m", "\x1b[0m")
    assert shown(coloured + "!") == "^[[31mx^[[0m!"
    assert shown("\n".join([coloured])) == "^[[31mx^[[0m"


# -- JSON: escaped, valid, the same value -------------------------------------

HOSTILE = (
    f"{ESC}]0;pwned\x07 {ESC}]52;c;eA==\x07 {ESC}[2J \r \b \x7f \x9b \x85 "
    "\u202e \u2066 \u200f \u061c \ud800 é ✓"
)


@pytest.mark.parametrize("render", ["compact", "pretty", "deep"])
def test_json_is_valid_and_inert(render: str) -> None:
    value = {"return": {"name": HOSTILE, HOSTILE: [HOSTILE, 1]}}
    if render == "deep":
        text = inert_json(deep_dumps(value))
    else:
        text = render_json(value, render == "pretty")
    assert not _unsafe(text.replace("\n", "")), text
    assert json.loads(text) == value
    for escape in ("\\u001b", "\\u009b", "\\u202e", "\\u007f", "\\ud800", "\\r"):
        assert escape in text
    assert "é ✓" in text  # the rest stays as it is (ensure_ascii=False)


def test_render_json_is_inert_and_keeps_the_fast_output() -> None:
    value = {"return": {"status": "running", "name": "vm-é"}}
    text = render_json(value)
    assert type(text) is Inert
    assert text == json.dumps(value, ensure_ascii=False)
    assert render_json(value, pretty=True) == pretty(value)
    assert type(render_reply(value)) is Inert


def test_deeply_nested_json_is_inert() -> None:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(4096)
    try:
        deep: object = "\x9b"
        for _ in range(3000):
            deep = [deep]
        text = render_json(deep)
    finally:
        sys.setrecursionlimit(limit)
    assert "\\u009b" in text and "\x9b" not in text


@given(st.recursive(st.text() | st.integers(), lambda c: st.lists(c, max_size=3)))
def test_inert_json_is_the_same_value(value: object) -> None:
    text = render_json(value)
    assert json.loads(text) == value
    assert not _unsafe(text)


def test_inert_json_leaves_clean_text_alone() -> None:
    for text in ('{"a": "b"}', '{"a": "é"}', '"\\u001b"', '"\u00a0"', '"✓"'):
        assert inert_json(text) is text or inert_json(text) == text


def test_event_line_data_is_escaped() -> None:
    line = event_line({"event": "X", "data": {"s": HOSTILE}}, 0)
    assert "\\u009b" in line and "\\u202e" in line and "\\u001b" in line
    assert not _unsafe(line)


def test_highlighting_shows_controls_then_colours() -> None:
    text = highlight_json(f'"{ESC}]0;x\x07 \x9b"')
    assert type(text) is Inert
    plain = text.replace("\x1b[", "CSI")  # pygments' own codes
    assert "^[]0;x^G" in plain and "<9b>" in plain
    assert "\x07" not in text and "\x9b" not in text
