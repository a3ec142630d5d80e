"""Event filters: names (exact, glob, regex, no-case), fields, option words."""

from __future__ import annotations

import re
from typing import Any

import pytest

from qmpsh.core.eventfilter import (
    EventFilter,
    FieldMatch,
    FilterError,
    build,
    current,
    from_options,
    parse_words,
)

STOP: dict[str, Any] = {"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}
RESUME: dict[str, Any] = {
    "event": "RESUME",
    "timestamp": {"seconds": 1, "microseconds": 3},
}
JOB: dict[str, Any] = {
    "event": "JOB_STATUS_CHANGE",
    "data": {"id": "j1", "status": "running"},
    "timestamp": {"seconds": 1, "microseconds": 4},
}
DONE: dict[str, Any] = {
    "event": "BLOCK_JOB_COMPLETED",
    "data": {
        "device": "j1",
        "len": 67108864,
        "offset": 67108864,
        "speed": 0,
        "type": "commit",
        "nested": {"list": [{"x": True}, None]},
    },
}
ALL = (STOP, RESUME, JOB, DONE)


def names(flt: EventFilter) -> list[str]:
    return [m["event"] for m in ALL if flt.matches(m)]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, ["STOP", "RESUME", "JOB_STATUS_CHANGE", "BLOCK_JOB_COMPLETED"]),
        ({"include": ["STOP"]}, ["STOP"]),
        ({"include": ["stop"], "no_case": True}, ["STOP"]),
        ({"include": ["STOP", "RESUME"]}, ["STOP", "RESUME"]),
        ({"include": ["*JOB*"]}, ["JOB_STATUS_CHANGE", "BLOCK_JOB_COMPLETED"]),
        ({"include": ["BLOCK_JOB_*"]}, ["BLOCK_JOB_COMPLETED"]),
        ({"include": ["block_job_*"], "no_case": True}, ["BLOCK_JOB_COMPLETED"]),
        ({"include": ["[SR]*"]}, ["STOP", "RESUME"]),
        ({"include": ["STO?"]}, ["STOP"]),
        # exact names do not match a prefix
        ({"include": ["STO"]}, []),
        # a regex matches anywhere in the name, as virsh --regex does
        (
            {"include": ["JOB"], "regex": True},
            ["JOB_STATUS_CHANGE", "BLOCK_JOB_COMPLETED"],
        ),
        (
            {"include": ["^(stop|resume)$"], "regex": True, "no_case": True},
            ["STOP", "RESUME"],
        ),
        ({"include": ["^STOP$"]}, []),  # not a regex without regex=True
        ({"exclude": ["STOP"]}, ["RESUME", "JOB_STATUS_CHANGE", "BLOCK_JOB_COMPLETED"]),
        ({"include": ["*"], "exclude": ["*JOB*"]}, ["STOP", "RESUME"]),
        ({"exclude": ["job"], "regex": True, "no_case": True}, ["STOP", "RESUME"]),
        ({"matches": ["device=j1"]}, ["BLOCK_JOB_COMPLETED"]),
        ({"matches": ["data.device=j1"]}, ["BLOCK_JOB_COMPLETED"]),
        ({"matches": ["id=j1"]}, ["JOB_STATUS_CHANGE"]),
        ({"matches": ["id!=j1"]}, ["STOP", "RESUME", "BLOCK_JOB_COMPLETED"]),
        ({"matches": ["device~=^j[0-9]$"]}, ["BLOCK_JOB_COMPLETED"]),
        ({"matches": ["len=67108864"]}, ["BLOCK_JOB_COMPLETED"]),
        ({"matches": ["nested.list.0.x=true"]}, ["BLOCK_JOB_COMPLETED"]),
        ({"matches": ["nested.list.1=null"]}, ["BLOCK_JOB_COMPLETED"]),
        ({"matches": ["nested.list.2=null"]}, []),
        ({"matches": ["nested.list={}"]}, []),
        ({"matches": ['nested={"list":[{"x":true},null]}']}, ["BLOCK_JOB_COMPLETED"]),
        (
            {"include": ["JOB_*"], "matches": ["status=running", "id=j1"]},
            ["JOB_STATUS_CHANGE"],
        ),
        ({"include": ["JOB_*"], "matches": ["status=ready"]}, []),
        # values compare exactly and with case
        ({"matches": ["device=J1"]}, []),
        ({"matches": ["device=j"]}, []),
    ],
)
def test_filter_table(kwargs: dict[str, Any], expected: list[str]) -> None:
    assert names(build(**kwargs)) == expected


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"include": ["stop"]}, "'stop' is not an event name: QMP event names"),
        ({"exclude": ["Resume"]}, "(did you mean RESUME?)"),
        ({"include": ["__com.redhat_foo"]}, "(did you mean __com.redhat_FOO?)"),
    ],
)
def test_a_plain_name_in_lower_case_is_refused(
    kwargs: dict[str, Any], said: str
) -> None:
    # QMP's event names are upper case: such a filter would match nothing
    with pytest.raises(FilterError, match=re.escape(said)):
        build(**kwargs)


def test_empty_filter() -> None:
    assert EventFilter().empty
    assert not build(include=["X"]).empty
    assert EventFilter().describe() == "no event filter: every event is shown"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"include": ["("], "regex": True}, "bad regular expression '('"),
        ({"matches": ["device~=("]}, "bad regular expression '('"),
        ({"matches": ["device"]}, "'device' is not a field condition"),
        ({"matches": ["=x"]}, "'=x' is not a field condition"),
        ({"matches": ["a..b=1"]}, "empty field name"),
    ],
)
def test_bad_filters(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(FilterError, match=message.replace("(", r"\(")):
        build(**kwargs)


def test_parse_words_positional_and_options() -> None:
    flt, extra = parse_words(
        [
            "BLOCK_JOB_*",
            "device=j1",
            "-x",
            "BLOCK_JOB_ERROR",
            "--no-case",
            "--timeout",
            "5",
        ],
        {"--timeout": True},
    )
    assert flt.include == ("BLOCK_JOB_*",)
    assert flt.exclude == ("BLOCK_JOB_ERROR",)
    assert flt.no_case and not flt.regex
    assert [f.text for f in flt.fields] == ["device=j1"]
    assert extra == {"--timeout": "5"}
    flt, extra = parse_words(
        ["--event=STOP", "--match=status!=x", "--regex", "--all"], {"--all": False}
    )
    assert flt.include == ("STOP",) and flt.regex
    assert flt.fields[0].op == "!="
    assert extra == {"--all": True}


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["--event"], "--event needs a value"),
        (["--regex=1"], "--regex takes no value"),
        (["--bogus"], "unknown option '--bogus'"),
        (["--timeout"], "--timeout needs a value"),
    ],
)
def test_parse_words_errors(words: list[str], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_words(words, {"--timeout": True})


def test_no_positional() -> None:
    with pytest.raises(FilterError, match="unexpected 'STOP'"):
        parse_words(["STOP"], positional=False)


def test_words_round_trip() -> None:
    flt = build(["A*", "B"], ["C"], True, True, ["device=x y", "n~=^1"])
    again, _ = parse_words(flt.words())
    assert again == flt
    assert "--event 'A*'" in flt.describe()
    assert flt.describe() == (
        "event filter: --event 'A*' --event B --exclude-event C --regex --no-case "
        "--match 'device=x y' --match 'n~=^1'"
    )


def test_merged_and_current() -> None:
    a = build(["STOP"])
    b = build(exclude=["X"], no_case=True, matches=["a=1"])
    both = a.merged(b)
    assert both.include == ("STOP",) and both.exclude == ("X",) and both.no_case
    assert both.fields == b.fields
    assert current(None, a) is a
    assert current(b, a) is b


def test_from_options() -> None:
    assert from_options({}) is None
    assert from_options({"event_include": (), "event_regex": False}) is None
    flt = from_options({"event_include": ("STOP",), "event_match": ("a=b",)})
    assert flt is not None and flt.include == ("STOP",)
    assert flt.fields == (FieldMatch(("a",), "=", "b"),)


def test_filter_is_hashable_and_frozen() -> None:
    flt = build(["A"])
    assert hash(flt) == hash(build(["A"]))
    with pytest.raises(AttributeError):
        flt.include = ("B",)  # type: ignore[misc]
