"""docs/screenshot.py's reading of a ``tmux capture-pane -e`` screen."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from tests.procs import ROOT


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "screenshot", ROOT / "docs" / "screenshot.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shot = load()


def test_palette() -> None:
    assert shot.color256(1) == shot.PALETTE16[1]
    assert shot.color256(16) == (0, 0, 0)
    assert shot.color256(21) == (0, 0, 255)
    assert shot.color256(196) == (255, 0, 0)
    assert shot.color256(232) == (8, 8, 8)
    assert shot.color256(255) == (238, 238, 238)


def test_sgr() -> None:
    style = shot.apply_sgr(shot.Style(), [1, 38, 5, 28, 48, 2, 1, 2, 3])
    assert style == shot.Style(fg=(0, 135, 0), bg=(1, 2, 3), bold=True)
    assert shot.apply_sgr(style, [22, 39]) == shot.Style(bg=(1, 2, 3))
    assert shot.apply_sgr(style, [0]) == shot.Style()
    assert shot.apply_sgr(style, []) == shot.Style()
    assert shot.apply_sgr(shot.Style(), [7, 9, 3, 4, 91]).reverse
    assert shot.apply_sgr(shot.Style(), [91]).fg == shot.PALETTE16[9]
    assert shot.apply_sgr(shot.Style(), [104]).bg == shot.PALETTE16[12]


def test_parse_screen() -> None:
    text = "ab\x1b[1;32mc\x1b[0m d\n\x1b[48;5;236m x \x1b[49m\n日本"
    rows = shot.parse_screen(text, 6, 4)
    assert "".join(c.char for c in rows[0]) == "abc d "
    assert rows[0][2].style == shot.Style(fg=shot.PALETTE16[2], bold=True)
    assert rows[0][3].style == shot.Style()
    assert [c.style.bg for c in rows[1][:4]] == [shot.color256(236)] * 3 + [None]
    assert [c.char for c in rows[2][:4]] == ["日", "", "本", ""]  # wide
    assert len(shot.used_rows(rows)) == 3
