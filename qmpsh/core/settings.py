"""One immutable settings object, built once at start-up.

Precedence: defaults < config file < environment < command-line flags.
Nothing changes it afterwards; toggles made at run time live in the session.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from qmpsh.wire.connection import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_LIMIT
from qmpsh.wire.eventlog import DEFAULT_HISTORY

if TYPE_CHECKING:
    from qmpsh.core.eventfilter import EventFilter

#: the values a few string settings accept
CHOICES: dict[str, tuple[str, ...]] = {
    "color": ("auto", "always", "never"),
    "event_display": ("pane", "inline", "off"),
    "key_mode": ("emacs", "vi"),
}


class Settings(NamedTuple):
    """Every setting, with its default.  Immutable: ``replace`` gives a copy.

    A NamedTuple rather than a dataclass: it is built at every start-up, and
    a frozen dataclass of this size costs ~2 ms to create, a NamedTuple ~0.2.
    """

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
    event_filter: EventFilter | None = None

    #: batch mode: print events as JSON lines among the replies
    print_events: bool = False

    def validating(self, interactive: bool) -> bool:
        return interactive if self.validate is None else self.validate

    # -- the interactive shell ---------------------------------------------
    #: pager command for output taller than the screen; "" means $PAGER,
    #: else ``less -SRXF``
    pager: str = ""
    #: page long output at all
    paging: bool = True
    #: commands kept in the history file (0: keep none)
    history_size: int = 10000
    #: a qmp-shell history file imported on first run ("" to skip)
    history_import: str = "~/.qmp-shell_history"
    #: where live events show: "pane" (under the input), "inline" (above the
    #: prompt) or "off" (only in the ``events`` history)
    event_display: str = "pane"
    #: lines of the event pane
    event_pane_height: int = 5
    #: "emacs" or "vi" editing keys
    key_mode: str = "emacs"
    #: ask before sending the commands below (on a terminal only)
    confirm: bool = True
    confirm_commands: tuple[str, ...] = ("quit", "system_reset", "system_powerdown")
    #: HMP commands (in human-monitor-command) that need the same confirmation
    confirm_hmp: tuple[str, ...] = ("quit", "q", "system_reset", "system_powerdown")
    #: reconnection attempts after the connection is lost (0: none)
    retries: int = 5
    #: seconds before the first attempt; doubled after each failure, up to 30
    retry_delay: float = 2.0
    #: addresses shell completion offers for ADDRESS (qmpsh.cli.addrcomplete)
    addresses: tuple[str, ...] = ()

    def replace(self, **changes: Any) -> Settings:
        return self._replace(**changes)

    def use_color(self, isatty: bool) -> bool:
        """Whether to colour output for a stream; NO_COLOR wins over auto
        (when it is not empty, as `env_settings` and no-color.org have it)."""
        if self.color == "always":
            return True
        if self.color == "never":
            return False
        return isatty and not os.environ.get("NO_COLOR") and _term_ok()


def _term_ok() -> bool:
    return os.environ.get("TERM", "") not in ("", "dumb")


def env_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The settings the environment gives: ``NO_COLOR`` and ``QMPSH_PAGER``."""
    out: dict[str, Any] = {}
    if env.get("NO_COLOR"):
        out["color"] = "never"
    if "QMPSH_PAGER" in env:
        out["pager"] = env["QMPSH_PAGER"]
    return out


def build_settings(
    flags: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Defaults < *config* (from the file) < *env* < the *flags* given.

    A flag counts as given when it is not None.  *env* defaults to the
    process environment.
    """
    known = set(Settings._fields)

    layers: dict[str, Any] = {}
    layers.update(config or {})
    layers.update(env_settings(os.environ if env is None else env))
    layers.update({k: v for k, v in flags.items() if v is not None})
    return Settings(**{k: v for k, v in layers.items() if k in known})
