"""Which events report a failure: the table, and ``--fail-on``.  Pure: no I/O.

`wait` and ``qmpsh events`` exit 1 when the event they end on says that
something failed.  `TABLE` is the one place that knows which events do:

============================  ==========================  ======================
event                         is a failure when           also ends a wait for
============================  ==========================  ======================
BLOCK_JOB_COMPLETED           it has ``error``            BLOCK_JOB_READY,
                                                          BLOCK_JOB_PENDING
BLOCK_JOB_CANCELLED           (never, when waited for)    BLOCK_JOB_COMPLETED,
                                                          BLOCK_JOB_READY,
                                                          BLOCK_JOB_PENDING
BLOCK_JOB_ERROR               always                      BLOCK_JOB_COMPLETED,
                                                          READY, PENDING (only
                                                          ``action=stop``)
JOB_STATUS_CHANGE             ``status=aborting``
MIGRATION                     ``status=failed`` or
                              ``cancelled``
DEVICE_UNPLUG_GUEST_ERROR     always                      DEVICE_DELETED
MEM_UNPLUG_ERROR              always                      DEVICE_DELETED
DUMP_COMPLETED                it has ``error``
BLOCK_IO_ERROR                always
QUORUM_FAILURE                always
GUEST_PANICKED                always
GUEST_CRASHLOADED             always
COLO_EXIT                     ``reason=error``
============================  ==========================  ======================

(`README.md` has the same table for users; a test checks they agree.)

A failure event ends a wait that did not ask for it when it is about the
same thing: it has the waited-for name and meets the wait's conditions
except those on the fields that make it a failure (``wait MIGRATION
status=completed`` ends on ``MIGRATION`` ``status=failed``), or the wait
names one of its "also ends" events and the wait's conditions on fields
both events have hold (``wait BLOCK_JOB_READY device=j1`` ends on
``BLOCK_JOB_COMPLETED`` with ``device=j1`` and an ``error``).

``--fail-on EVENT[:FIELD=VALUE[,FIELD=VALUE...]]`` adds a rule: an event
matching it (a name or glob, and the conditions) is a failure, and ends
any wait whatever the wait asked for.  ``--fail-on none`` drops the table.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qmpsh.core.eventfilter import EventFilter, FieldMatch, FilterError, fields_match

BLOCK_WAITS = ("BLOCK_JOB_COMPLETED", "BLOCK_JOB_READY", "BLOCK_JOB_PENDING")


@dataclass(frozen=True)
class FailRule:
    """Events named *event* (a name or glob) meeting *when* are failures."""

    event: str
    when: tuple[FieldMatch, ...] = ()
    #: how to say why, from the event's data fields (``{error}``)
    why: str = ""
    #: waits for these events end on this one too (see the module doc)
    ends: tuple[str, ...] = ()
    #: a failure when it is the event waited for (not BLOCK_JOB_CANCELLED)
    matched: bool = True
    #: from ``--fail-on``: ends any wait
    given: str = ""

    def applies(self, message: Mapping[str, Any]) -> bool:
        name = message.get("event")
        if not isinstance(name, str) or not fnmatch.fnmatchcase(name, self.event):
            return False
        return fields_match(self.when, message)

    def reason(self, message: Mapping[str, Any]) -> str:
        if self.given:
            return f"it matches --fail-on {self.given}"
        data = message.get("data")
        fields = _Fields(data if isinstance(data, Mapping) else {})
        return self.why.format_map(fields) if self.why else "it reports a failure"


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def _when(*words: str) -> tuple[FieldMatch, ...]:
    return tuple(FieldMatch.parse(word) for word in words)


#: the events that report a failure (see the module doc); ``FIELD~=`` (an
#: empty regex) holds when the field is there
TABLE: tuple[FailRule, ...] = (
    FailRule("BLOCK_JOB_COMPLETED", _when("error~="), "{error}", BLOCK_WAITS[1:]),
    FailRule(
        "BLOCK_JOB_CANCELLED", (), "job {device} was cancelled", BLOCK_WAITS, False
    ),
    FailRule("BLOCK_JOB_ERROR", (), "{operation} error (action: {action})"),
    FailRule(
        "BLOCK_JOB_ERROR",
        _when("action=stop"),
        "{operation} error; the job stopped (action: stop)",
        BLOCK_WAITS,
        False,
    ),
    FailRule("JOB_STATUS_CHANGE", _when("status=aborting"), "job {id} is aborting"),
    FailRule(
        "MIGRATION", _when("status=failed", "status=cancelled"), "migration {status}"
    ),
    FailRule(
        "DEVICE_UNPLUG_GUEST_ERROR",
        (),
        "the guest refused to unplug {path}",
        ("DEVICE_DELETED",),
    ),
    FailRule("MEM_UNPLUG_ERROR", (), "{msg}", ("DEVICE_DELETED",)),
    FailRule("DUMP_COMPLETED", _when("error~="), "{error}"),
    FailRule("BLOCK_IO_ERROR", (), "{operation} error on {node-name}: {reason}"),
    FailRule("QUORUM_FAILURE", (), "quorum failure on {reference}"),
    FailRule("GUEST_PANICKED", (), "the guest panicked"),
    FailRule("GUEST_CRASHLOADED", (), "the guest crashed"),
    FailRule("COLO_EXIT", _when("reason=error"), "COLO exited with an error"),
)


def parse_fail_on(spec: str) -> FailRule:
    """``EVENT[:FIELD=VALUE[,FIELD=VALUE...]]`` as a rule (raises
    `FilterError` with one line for the user)."""
    event, _, conditions = spec.partition(":")
    if not event:
        raise FilterError(
            f"--fail-on {spec!r}: which event? write EVENT[:FIELD=VALUE,...] "
            "(e.g. MIGRATION:status=cancelled), or none"
        )
    words = [w for w in conditions.split(",") if w] if conditions else []
    return FailRule(event, _when(*words), given=spec)


class Failures:
    """The rules in force: the table (unless ``--fail-on none``) and any
    ``--fail-on`` rules."""

    def __init__(self, rules: Iterable[FailRule] = TABLE) -> None:
        self.rules = tuple(rules)

    @classmethod
    def from_options(cls, specs: Sequence[str]) -> Failures:
        """From the ``--fail-on`` values given (raises `FilterError`)."""
        rules: list[FailRule] = [] if "none" in specs else list(TABLE)
        rules += [parse_fail_on(spec) for spec in specs if spec != "none"]
        return cls(rules)

    def failure(self, message: Mapping[str, Any]) -> str | None:
        """Why *message*, the event waited for, reports a failure; or None."""
        for rule in self.rules:
            if (rule.matched or rule.given) and rule.applies(message):
                return rule.reason(message)
        return None

    def ends(self, flt: EventFilter, message: Mapping[str, Any]) -> str | None:
        """Why *message*, which *flt* does not match, ends a wait for *flt*
        as a failure (see the module doc); or None."""
        name = message.get("event")
        if not isinstance(name, str):
            return None
        for rule in self.rules:
            if not rule.applies(message):
                continue
            if rule.given:
                return rule.reason(message)
            if flt.name_matches(name):
                looked_at = {cond.path for cond in rule.when}
                others = [c for c in flt.fields if c.path not in looked_at]
                if fields_match(others, message):
                    return rule.reason(message)
            elif any(flt.name_matches(other) for other in rule.ends):
                data = message.get("data")
                held = [c for c in flt.fields if _has(data, c.path)]
                if fields_match(held, message):
                    return rule.reason(message)
        return None


def _has(data: Any, path: Sequence[str]) -> bool:
    for part in path:
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return False
    return True


def event_label(message: Mapping[str, Any]) -> str:
    """``BLOCK_JOB_COMPLETED (device=j2)``: the event and what it is about."""
    name = str(message.get("event", "?"))
    data = message.get("data")
    if isinstance(data, Mapping):
        about = [
            f"{key}={data[key]}"
            for key in ("device", "id", "node-name", "path")
            if isinstance(data.get(key), str)
        ]
        if about:
            return f"{name} ({about[0]})"
    return name
