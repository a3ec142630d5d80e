"""Which events report a failure (qmpsh.core.eventfail), and --fail-on."""

from __future__ import annotations

import re
from typing import Any

import pytest

from qmpsh.core.eventfail import TABLE, Failures, event_label, parse_fail_on
from qmpsh.core.eventfilter import EventFilter, FilterError, parse_words
from tests.procs import ROOT


def ev(name: str, **data: Any) -> dict[str, Any]:
    return {"event": name, "data": data}


def flt(*words: str) -> EventFilter:
    return parse_words(list(words))[0]


TABLE_FAILS = Failures()


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (ev("BLOCK_JOB_COMPLETED", device="j1", error="No space"), "No space"),
        (ev("BLOCK_JOB_COMPLETED", device="j1"), None),
        (ev("BLOCK_JOB_CANCELLED", device="j1"), None),  # asked for: fine
        (
            ev("BLOCK_JOB_ERROR", device="j1", operation="write", action="report"),
            "write error (action: report)",
        ),
        (ev("JOB_STATUS_CHANGE", id="s1", status="aborting"), "job s1 is aborting"),
        (ev("JOB_STATUS_CHANGE", id="s1", status="concluded"), None),
        (ev("MIGRATION", status="failed"), "migration failed"),
        (ev("MIGRATION", status="cancelled"), "migration cancelled"),
        (ev("MIGRATION", status="completed"), None),
        (
            ev("DEVICE_UNPLUG_GUEST_ERROR", path="/machine/peripheral/nic0"),
            "the guest refused to unplug /machine/peripheral/nic0",
        ),
        (ev("DUMP_COMPLETED", error="disk full"), "disk full"),
        (ev("DUMP_COMPLETED", result={}), None),
        (ev("STOP"), None),
    ],
)
def test_the_table(message: dict[str, Any], why: str | None) -> None:
    assert TABLE_FAILS.failure(message) == why


def test_a_failure_about_the_same_thing_ends_another_wait() -> None:
    failed = ev("MIGRATION", status="failed")
    # the field the failure looks at is not compared; the others are
    assert TABLE_FAILS.ends(flt("MIGRATION", "status=completed"), failed)
    aborting = ev("JOB_STATUS_CHANGE", id="s1", status="aborting")
    assert TABLE_FAILS.ends(
        flt("JOB_STATUS_CHANGE", "id=s1", "status=concluded"), aborting
    )
    assert not TABLE_FAILS.ends(
        flt("JOB_STATUS_CHANGE", "id=s2", "status=concluded"), aborting
    )
    # an "also ends" event, with the conditions both events can be asked
    broken = ev("BLOCK_JOB_COMPLETED", device="j1", type="mirror", error="EIO")
    assert TABLE_FAILS.ends(flt("BLOCK_JOB_READY", "device=j1"), broken) == "EIO"
    assert not TABLE_FAILS.ends(flt("BLOCK_JOB_READY", "device=j2"), broken)
    assert TABLE_FAILS.ends(flt("BLOCK_JOB_READY"), broken)  # any job
    cancelled = ev("BLOCK_JOB_CANCELLED", device="j1")
    assert TABLE_FAILS.ends(flt("BLOCK_JOB_COMPLETED", "device=j1"), cancelled)
    stopped = ev("BLOCK_JOB_ERROR", device="j1", operation="read", action="stop")
    assert TABLE_FAILS.ends(flt("BLOCK_JOB_COMPLETED", "device=j1"), stopped)
    ignored = ev("BLOCK_JOB_ERROR", device="j1", operation="read", action="ignore")
    assert not TABLE_FAILS.ends(flt("BLOCK_JOB_COMPLETED", "device=j1"), ignored)
    unplug = ev("DEVICE_UNPLUG_GUEST_ERROR", device="nic0", path="/p/nic0")
    assert TABLE_FAILS.ends(flt("DEVICE_DELETED", "device=nic0"), unplug)
    # unrelated waits go on
    assert not TABLE_FAILS.ends(flt("STOP"), failed)
    assert not TABLE_FAILS.ends(flt("MIGRATION", "status=completed"), ev("STOP"))


def test_fail_on() -> None:
    failures = Failures.from_options(["MIGRATION:status=setup", "SHUTDOWN"])
    assert failures.failure(ev("MIGRATION", status="setup")) == (
        "it matches --fail-on MIGRATION:status=setup"
    )
    # a --fail-on event ends any wait
    assert failures.ends(flt("STOP"), ev("SHUTDOWN", guest=True))
    assert failures.failure(ev("MIGRATION", status="failed"))  # the table too
    none = Failures.from_options(["none"])
    assert none.rules == ()
    assert none.failure(ev("BLOCK_JOB_COMPLETED", device="j1", error="x")) is None
    only = Failures.from_options(["none", "BLOCK_JOB_*:device=j1,error~=."])
    assert only.failure(ev("BLOCK_JOB_COMPLETED", device="j1", error="x"))
    assert not only.failure(ev("BLOCK_JOB_COMPLETED", device="j2", error="x"))
    with pytest.raises(FilterError, match="which event"):
        parse_fail_on(":status=failed")
    with pytest.raises(FilterError, match="not a field condition"):
        parse_fail_on("MIGRATION:status")


def test_several_values_for_one_field_mean_any() -> None:
    both = flt("MIGRATION", "status=completed", "status=failed")
    assert both.matches(ev("MIGRATION", status="failed"))
    assert both.matches(ev("MIGRATION", status="completed"))
    assert not both.matches(ev("MIGRATION", status="active"))
    neither = flt("MIGRATION", "status!=setup", "status!=active")
    assert not neither.matches(ev("MIGRATION", status="active"))
    assert neither.matches(ev("MIGRATION", status="failed"))
    # different fields: all of them
    two = flt("JOB_STATUS_CHANGE", "id=a", "status=concluded")
    assert not two.matches(ev("JOB_STATUS_CHANGE", id="b", status="concluded"))


def test_event_label() -> None:
    assert event_label(ev("BLOCK_JOB_COMPLETED", device="j2")) == (
        "BLOCK_JOB_COMPLETED (device=j2)"
    )
    assert event_label(ev("MIGRATION", status="failed")) == "MIGRATION"


def test_the_readme_table_is_the_table() -> None:
    """The README's failure table names the events of `TABLE`, in order."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- failure-table -->")[1]
    rows = re.findall(r"^\| `([A-Z_]+)` \|", section, re.M)
    names = list(dict.fromkeys(rule.event for rule in TABLE))
    assert rows == names
