"""Pure text helpers for progress: bars, sizes, rates, durations, size input."""

from __future__ import annotations

import re

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
_EIGHTHS = " ▏▎▍▌▋▊▉"
_SIZE_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b?)", re.IGNORECASE)
_SHIFT = {"": 0, "k": 10, "m": 20, "g": 30, "t": 40, "p": 50}


def human_bytes(n: float) -> str:
    """``512 B``, ``1.5 KiB``, ``64.0 MiB``."""
    value = float(n)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def parse_size(text: str) -> int:
    """Bytes from ``4096``, ``512K``, ``4M``, ``1.5GiB`` (powers of 1024).

    Raises ValueError with a line for the user.
    """
    found = _SIZE_RE.fullmatch(text.strip())
    if found is None:
        raise ValueError(
            f"{text!r} is not a size: write bytes, or a number with K, M, G or T "
            "(e.g. 4M)"
        )
    number, unit, _ = found.groups()
    return int(float(number) * (1 << _SHIFT[unit.lower()]))


def fraction(current: int, total: int) -> float:
    if total <= 0:
        return 0.0
    return min(1.0, max(0.0, current / total))


def bar(done: float, width: int) -> str:
    """A bar of *width* cells for *done* (0..1), with eighth-cell steps."""
    width = max(1, width)
    eighths = round(min(1.0, max(0.0, done)) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full
    if part and full < width:
        text += _EIGHTHS[part]
    return text.ljust(width, "·")[:width]


def percent(current: int, total: int) -> str:
    """``42%``; ``100%`` only when really done."""
    if total <= 0:
        return "0%" if current <= 0 else "?%"
    whole = int(100 * fraction(current, total))
    if whole == 100 and current < total:
        whole = 99
    return f"{whole}%"


def duration(seconds: float) -> str:
    """``7s``, ``2m05s``, ``1h02m``."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def clip(text: str, width: int) -> str:
    """*text* cut to *width* characters, with ``…`` when cut."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"
