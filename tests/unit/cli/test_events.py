"""How ``qmpsh events`` ends: `qmpsh.cli.events_listener.ending` (pure)."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from qmpsh.cli.events_listener import ending
from qmpsh.core.exitcodes import Exit

CLOSED = "q.sock closed the connection"
NO_SHUTDOWN = "with no SHUTDOWN event before it"


class End(NamedTuple):
    printed: int
    of: int | None = None  # --count
    timeout: float | None = None
    timed_out: bool = False
    lost: str | None = None
    shutdown: bool = False


CASES: list[tuple[End, tuple[Exit, str | None]]] = [
    # --count reached (or the reader went away)
    (End(3, of=3), (Exit.OK, None)),
    # the timeout
    (End(2, timeout=1, timed_out=True), (Exit.OK, None)),
    (End(0, timeout=0.5, timed_out=True), (Exit.TIMEOUT, "no event came within 0.5 s")),
    (
        End(1, of=3, timeout=1.5, timed_out=True),
        (Exit.TIMEOUT, "only 1 of 3 events came within 1.5 s"),
    ),
    (
        End(0, of=3, timeout=2, timed_out=True),
        (Exit.TIMEOUT, "no event came within 2 s"),
    ),
    # the connection ended: after SHUTDOWN (QEMU quit) a normal end...
    (End(4, lost=CLOSED, shutdown=True), (Exit.OK, None)),
    # ...unless --count events had not come
    (
        End(2, of=5, lost=CLOSED, shutdown=True),
        (Exit.CONNECTION_LOST, f"{CLOSED} after 2 of 5 events"),
    ),
    # without SHUTDOWN: QEMU killed or crashed, or the socket cut
    (
        End(0, timeout=30, lost=CLOSED),
        (Exit.CONNECTION_LOST, f"{CLOSED} after 0 events, {NO_SHUTDOWN}"),
    ),
    (
        End(1, lost=CLOSED),
        (Exit.CONNECTION_LOST, f"{CLOSED} after 1 event, {NO_SHUTDOWN}"),
    ),
]


@pytest.mark.parametrize(("end", "expected"), CASES)
def test_ending(end: End, expected: tuple[Exit, str | None]) -> None:
    got = ending(
        end.printed,
        end.of,
        end.timeout,
        timed_out=end.timed_out,
        lost=end.lost,
        shutdown=end.shutdown,
    )
    assert got == expected
