from __future__ import annotations

from qmpsh.wire.eventlog import Event, EventLog


def test_ring_is_bounded_and_numbered() -> None:
    log = EventLog(maxlen=3)
    for i in range(10):
        log.append({"event": f"E{i}"})
    assert len(log) == 3
    assert [e.seq for e in log] == [8, 9, 10]
    assert [e.name for e in log.since(8)] == ["E8", "E9"]
    assert log.seq == 10
    assert log.oldest == 8
    assert [e.seq for e in reversed(log)] == [10, 9, 8]  # newest first
    log.clear()
    assert log.oldest == 11  # none held: the next one's number


def test_listeners_and_time() -> None:
    log = EventLog()
    seen: list[Event] = []
    stop = log.subscribe(seen.append)
    log.append({"event": "A", "timestamp": {"seconds": 10, "microseconds": 500000}})
    stop()
    log.append({"event": "B"})
    assert [e.name for e in seen] == ["A"]
    assert seen[0].time == 10.5
    b = list(log)[-1]
    assert b.time == b.received


def test_a_failing_listener_is_reported_and_the_others_still_run() -> None:
    log = EventLog()
    errors: list[str] = []
    seen: list[str] = []
    log.on_error = errors.append

    def broken(event: Event) -> None:
        raise ValueError("boom")

    log.subscribe(broken)
    log.subscribe(lambda e: seen.append(e.name))
    log.append({"event": "STOP"})
    log.append({"event": "RESUME"})
    assert seen == ["STOP", "RESUME"]
    assert errors == [
        "handling the event STOP failed: ValueError: boom",
        "handling the event RESUME failed: ValueError: boom",
    ]
