"""Reading the server's JSON: long integers, and numbers JSON has no form for.

Pure, but for `allow_long_integers`, which sets Python's process-wide limit.

Long integers: Python refuses to convert an integer of more than 4300
digits between text and `int` (its default limit, against the quadratic
cost of the conversion), which made such a reply fail as if it were longer
than the read limit.  qmpsh reads and prints integers of up to
`INT_DIGITS` digits exactly; a longer one ends the session with one line
saying so (`qmpsh.wire.failures`).  QEMU's own integers have at most 20
digits; the bound keeps a hostile server from stalling qmpsh for minutes
with one message (converting a million digits takes ~45 s here).

Numbers JSON has no form for: Python's json reads ``NaN``, ``Infinity``
and ``-Infinity``, and a float too large for a double (``1e400``) as an
infinity, all of which it would write back as ``NaN``/``Infinity``, which
is not JSON.  `Reader` reads them as null instead and lists what it
replaced, for a warning; the wire log keeps the bytes as they came.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from qemu.qmp.message import DeserializationError, UnexpectedTypeError

#: the longest integer, in digits, read and printed exactly
INT_DIGITS = 10_000


def allow_long_integers() -> None:
    """Let Python convert integers of up to `INT_DIGITS` digits (unless it
    allows more already: 0 is no limit)."""
    current = sys.get_int_max_str_digits()
    if current and current < INT_DIGITS:
        sys.set_int_max_str_digits(INT_DIGITS)


def too_long_integer(err: BaseException) -> bool:
    """Whether *err* is Python refusing to convert an over-long integer."""
    return isinstance(err, ValueError) and "integer string conversion" in str(err)


class Reader:
    """Reads a line from the server into a JSON object, as qemu.qmp's
    `Message` would, but for numbers JSON has no form for: read as None,
    and listed (as the server wrote them) in `odd` until the next line."""

    def __init__(self) -> None:
        #: the numbers of the last line read as null
        self.odd: list[str] = []
        # one decoder for the connection: json.loads with hooks would make
        # one per message
        self._decoder = json.JSONDecoder(
            parse_float=self._float, parse_constant=self._constant
        )

    def _float(self, text: str) -> float | None:
        value = float(text)
        if math.isfinite(value):
            return value
        self.odd.append(text)
        return None

    def _constant(self, text: str) -> None:
        self.odd.append(text)

    def read(self, data: bytes) -> dict[str, Any]:
        """The object *data* holds; raises what `Message` would for data
        that is not JSON or not an object (and `ValueError` for an integer
        longer than `INT_DIGITS`, `RecursionError` for one nested too deeply)."""
        return self.read_text(self.decode(data), data)

    @staticmethod
    def decode(data: bytes) -> str:
        """*data* as text, as ``json.loads`` decodes bytes."""
        return data.decode(json.detect_encoding(data), "surrogatepass")

    def read_text(self, text: str, data: bytes) -> dict[str, Any]:
        """`read`, of *data* already decoded into *text* (*data*: what an
        error names, maybe only its start)."""
        if self.odd:
            self.odd = []
        try:
            obj = self._decoder.decode(text)
        except json.JSONDecodeError as err:
            raise DeserializationError(
                "Failed to deserialize QMP message.", data
            ) from err
        if not isinstance(obj, dict):
            raise UnexpectedTypeError("QMP message is not a JSON object.", obj)
        return obj

    def warning(self) -> str | None:
        """The warning for the last line, when it held such numbers."""
        if not self.odd:
            return None
        shown = ", ".join(dict.fromkeys(self.odd))
        return (
            f"the server sent {shown}: JSON has no such number, "
            "so it is read (and printed) as null"
        )
