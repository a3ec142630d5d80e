"""Sizes as people type them (pure): bytes, or a number with a unit.

One spelling everywhere a size is typed (an integer argument in the
shorthand, ``qom set`` of a ``size`` property, ``commit --speed``): digits,
maybe a fraction, then maybe ``K``, ``M``, ``G``, ``T``, ``P`` or ``E``
(powers of 1024, any case), maybe followed by ``B`` or ``iB``; a lone ``B``
means bytes.  ``4096``, ``64M``, ``64MB``, ``1.5GiB``, ``2 k``.  The result
must be a whole number of bytes (``1.5K`` is 1536; ``1.3K`` is no size).
"""

from __future__ import annotations

import re

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:([kmgtpe])(?:i?b)?|b)?", re.IGNORECASE)
_SHIFT = {"": 0, "k": 10, "m": 20, "g": 30, "t": 40, "p": 50, "e": 60}


class SizeError(ValueError):
    """*text* is no size; the message is one line for the user."""


def parse_size(text: str) -> int:
    """The bytes *text* spells (see the module doc); raises `SizeError`."""
    found = _SIZE.fullmatch(text.strip())
    if found is None:
        raise SizeError(
            f"{text!r} is not a size: write bytes, or a number with K, M, G, T, "
            "P or E (powers of 1024, e.g. 64M)"
        )
    # in integers, exact however long the number: 1.5K is 15 << 10 over 10
    whole, _, part = found[1].partition(".")
    scaled = int(whole + part) << _SHIFT[(found[2] or "").lower()]
    scale: int = 10 ** len(part)
    size, rest = divmod(scaled, scale)
    if rest:
        raise SizeError(f"{text!r} is not a whole number of bytes")
    return size
