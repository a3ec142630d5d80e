"""``wait``'s event names: at least one, upper case, and known when the
schema is loaded."""

from __future__ import annotations

import pytest

from qmpsh.builtins.events import event_name_problem
from qmpsh.core.eventfilter import FilterError, parse_words

KNOWN = {"STOP", "RESUME", "SHUTDOWN", "BLOCK_JOB_COMPLETED"}


@pytest.mark.parametrize(
    ("words", "known"),
    [
        (["STOP"], None),
        (["STOP", "RESUME"], None),  # either of them
        (["STOP", "device=x"], None),
        (["BLOCK_JOB_*"], None),
        (["*"], None),
        (["__com.redhat_SOME_EVENT"], None),
        (["--regex", "^stop$"], None),
        (["--no-case", "stop"], None),
        (["STOP"], KNOWN),
        (["BLOCK_*"], KNOWN),
        (["NOT_IN_SCHEMA"], None),  # without the schema, not checked
    ],
)
def test_accepted(words: list[str], known: set[str] | None) -> None:
    flt, _ = parse_words(words)
    assert event_name_problem(flt, known) is None


@pytest.mark.parametrize(
    ("words", "known", "message"),
    [
        ([], None, "which event? usage: wait EVENT [EVENT ...]"),
        (["device=x"], None, "which event?"),
        (
            ["STOP", "foo"],
            None,
            "'foo' is not an event name: QMP event names are upper case "
            "(did you mean FOO?)",
        ),
        (["__com.redhat_foo"], None, "(did you mean __com.redhat_FOO?)"),
        (
            ["stop"],
            KNOWN,
            "'stop' is not an event name: QMP event names are upper case (did you mean STOP?)",
        ),
        (["STPO"], KNOWN, "(did you mean STOP?)"),
        (["NOTHING_LIKE_IT"], KNOWN, "the server has no event 'NOTHING_LIKE_IT'"),
    ],
)
def test_refused(words: list[str], known: set[str] | None, message: str) -> None:
    try:  # a name in lower case is refused as the words are read
        flt, _ = parse_words(words)
    except FilterError as err:
        problem: str | None = str(err)
    else:
        problem = event_name_problem(flt, known)
    assert problem is not None and message in problem
