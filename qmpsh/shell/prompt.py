"""The prompt as the input line shows it on a screen of a given width.

Pure.  A narrow screen shortens the prompt before the input: the whole
prompt while it leaves `MIN_INPUT` columns to type in, then its first
word (``(qemu) ``), then ``> ``.
"""

from __future__ import annotations

#: the columns the prompt leaves for typing, at least, while it can
MIN_INPUT = 20


def fit_prompt(prompt: str, columns: int) -> str:
    """*prompt* as shown on a screen *columns* wide: whole while it leaves
    `MIN_INPUT` columns to type in, else its first word (``(qemu) ``), else
    ``> ``, so that the input line stays in sight on any screen.  *prompt*
    is shown text already (`qmpsh.core.sanitize.visible`)."""
    from prompt_toolkit.utils import get_cwidth

    if get_cwidth(prompt) + MIN_INPUT <= columns:
        return prompt
    words = prompt.strip().strip("()").split()
    short = f"({words[0]}) " if words else "> "
    if len(short) + MIN_INPUT <= columns:
        return short
    return "> "
