"""The prompt on a narrow screen (qmpsh.shell.prompt.fit_prompt)."""

from __future__ import annotations

import pytest

from qmpsh.shell.prompt import MIN_INPUT, fit_prompt

FULL = "(qemu 7.2 none-machine) "


@pytest.mark.parametrize(
    ("columns", "shown"),
    [
        (110, FULL),
        (len(FULL) + MIN_INPUT, FULL),
        (len(FULL) + MIN_INPUT - 1, "(qemu) "),
        (len("(qemu) ") + MIN_INPUT, "(qemu) "),
        (len("(qemu) ") + MIN_INPUT - 1, "> "),
        (10, "> "),
        (1, "> "),
    ],
)
def test_the_prompt_shortens_before_the_input(columns: int, shown: str) -> None:
    assert fit_prompt(FULL, columns) == shown


def test_short_prompts_and_wide_characters() -> None:
    assert fit_prompt("(qga) ", 30) == "(qga) "
    assert fit_prompt("(qga) ", 10) == "> "
    # a machine named in wide characters takes two columns each
    wide = "(qemu 7.2 機械機械機械) "
    assert fit_prompt(wide, len(wide) + MIN_INPUT) == "(qemu) "
