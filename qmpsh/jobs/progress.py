"""Pure text helpers for progress: bars, sizes, rates, durations."""

from __future__ import annotations

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
_EIGHTHS = " ▏▎▍▌▋▊▉"


def human_bytes(n: float) -> str:
    """``512 B``, ``1.5 KiB``, ``64.0 MiB``."""
    value = float(n)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


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
