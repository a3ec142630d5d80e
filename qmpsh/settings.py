"""One immutable settings object, built once at start-up.

Precedence: defaults < config file < environment < command-line flags.
Nothing changes it afterwards; toggles made at run time live in the session.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qmpsh.client import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_LIMIT
from qmpsh.eventfilter import EventFilter
from qmpsh.eventlog import DEFAULT_HISTORY


@dataclass(frozen=True)
class Settings:
    #: indent JSON output
    pretty: bool = False
    #: echo each request before its reply
    verbose: bool = False
    #: print only the "return" value of replies
    return_value: bool = False
    #: go on after an error reply (batch mode)
    keep_going: bool = False
    #: "auto", "always" or "never"
    color: str = "auto"
    #: a pygments style name for highlighting
    style: str = "default"
    #: seconds to wait for each reply; None waits forever
    timeout: float | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    #: False for servers without a greeting (the guest agent, -N)
    negotiate: bool = True
    #: HMP mode (-H): every line is a human monitor command
    hmp: bool = False
    #: the wire log file, if any
    logfile: str | None = None
    #: how many events to keep in memory
    event_history: int = DEFAULT_HISTORY
    #: the longest message accepted from the server, in bytes
    read_limit: int = DEFAULT_READ_LIMIT
    #: replace passwords and secret data in the wire log and the history
    redact: bool = True
    #: requests sent ahead of their replies in batch mode (1: no pipelining)
    max_inflight: int = 64
    #: check requests against the server's schema before sending them; None:
    #: in the interactive shell only (batch mode then fetches no schema)
    validate: bool | None = None
    #: which events the event pane and --events show (the history keeps all)
    event_filter: EventFilter = dataclasses.field(default_factory=EventFilter)
    #: batch mode: print events as JSON lines among the replies
    print_events: bool = False

    def validating(self, interactive: bool) -> bool:
        return interactive if self.validate is None else self.validate

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def use_color(self, isatty: bool) -> bool:
        """Whether to colour output for a stream; NO_COLOR wins over auto."""
        if self.color == "always":
            return True
        if self.color == "never":
            return False
        return isatty and "NO_COLOR" not in os.environ and _term_ok()


def _term_ok() -> bool:
    return os.environ.get("TERM", "") not in ("", "dumb")


def build_settings(flags: Mapping[str, Any]) -> Settings:
    """Defaults overridden by the flags that were actually given (not None)."""
    known = {f.name for f in dataclasses.fields(Settings)}
    given = {k: v for k, v in flags.items() if k in known and v is not None}
    return Settings(**given)
