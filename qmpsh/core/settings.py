"""Every setting, declared once, and the immutable settings object built from
them at start-up.

The fields of `Settings` are the table: each field is one setting's whole
declaration.  Its name, type and default are the field's; the
`qmpsh.core.setting.Setting` given with the default (`declare`, much as
``field(default=..., metadata=...)`` in a dataclass) says the rest::

    retry_delay: float = declare(2.0, Setting(
        "Wait SECONDS before ... (default: {default}).",   # --help, man page
        flags=("--retry-delay",), metavar="SECONDS",       # the option
        min=0, max=3600,                                   # both ways in
        config="Seconds before the first attempt; ...",    # a config-file key
    ))

Everything else derives from that: the click options and the fast path's
reading of them (qmpsh.cli.options), what an option given sets
(qmpsh.cli.invoke), the config file's template, its comments and its checks
(qmpsh.core.config), the environment variables (`env_settings`), the
defaults and limits in --help, and the man page (tools.manpage).  So adding
a setting takes one declaration; for instance::

    #: ring the terminal bell on an error reply
    bell: bool = declare(False, Setting(
        "Ring the terminal bell when a command fails.", flags=("--bell",),
        config="Ring the terminal bell on an error reply (--bell).",
    ))

gives ``--bell`` (in --help, the man page and the completions; the fast path
reads it too), ``settings.bell``, ``# bell = false`` in the config file's
template (checked when read: ``bell = 1`` is one warning), and its line in
the man page's CONFIGURATION section.  Then ``python -m tools.generate``.
``tests/unit/core/test_settings.py`` checks that each setting shows up
everywhere its declaration says.

The order of the fields is the order of the options in --help and of the
keys in the config file.  A field without a `Setting` is a setting nothing
outside sets (``event_history``).

Precedence: defaults < config file < the named target's table (``[targets.NAME]``,
qmpsh.core.targets: the settings declared ``per_target``) < environment <
command-line flags.
Nothing changes the settings afterwards; toggles made at run time live in
the session.  A NamedTuple rather than a dataclass: it is built at every
start-up, and a frozen dataclass of this size costs ~2 ms to create, a
NamedTuple ~0.2.
"""

# (no ``from __future__ import annotations``: `declared` reads the fields'
# types, and NamedTuple would compile each one given as text)

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, Self

from qmpsh.core.setting import Setting, declare, declared, show

if TYPE_CHECKING:
    from qmpsh.core.eventfilter import EventFilter


def _not_a_style(name: str) -> str:
    from pygments.styles import get_all_styles

    if name in set(get_all_styles()):
        return ""
    return f"no pygments style is called {show(name)}"


class Settings(NamedTuple):
    """Every setting, with its declaration and default.  Immutable:
    ``replace`` gives a copy."""

    # fmt: off
    pretty: bool = declare(False, Setting(
        "Indent JSON output.", flags=("-p", "--pretty"),
        config="Indent JSON replies (F2 toggles it at run time; -p).",
    ))
    verbose: bool = declare(False, Setting(
        "Echo each request before its reply.", flags=("-v", "--verbose"),
        config="Echo each request as JSON before its reply (F3 toggles; -v).",
    ))
    return_value: bool = declare(False, Setting(
        'Print only the "return" value of each reply.', flags=("-r", "--return-value"),
    ))
    # -- output shaping (qmpsh.core.shape, qmpsh.core.query) ---------------
    output: str = declare("json", Setting(
        "Write replies as FORMAT: json (compact lines), pretty (indented, as -p), table, yaml or csv; the last three show a reply's \"return\" (or the --query result), as -r does (default: {default}).",
        flags=("-o", "--output"), metavar="FORMAT", choices=("json", "pretty", "table", "yaml", "csv"),
        config='How replies are written: "json", "pretty", "table", "yaml" or "csv" (-o).',
    ))
    query: str = declare("", Setting(
        "Apply the JMESPath expression EXPR to each reply's \"return\" and write the result instead, in the -o format: --query '[].device' (default: {default}).",
        flags=("--query",), metavar="EXPR", unset="none",
    ))
    keep_going: bool = declare(False, Setting(
        "In batch mode, go on after an error instead of stopping.", flags=("-k", "--keep-going"),
    ))
    logfile: str | None = declare(None, Setting(
        "Append every QMP message, both ways, to FILE as JSON lines.",
        flags=("-l", "--logfile"), metavar="FILE", file=True,
    ))
    #: False for servers without a greeting (the guest agent)
    negotiate: bool = declare(True, Setting(
        "Expect no greeting and negotiate nothing (for qemu-ga).", flags=("-N", "--skip-negotiation"),
    ))
    hmp: bool = declare(False, Setting(
        "HMP mode: every line is a human monitor command, sent through human-monitor-command, and its text output is printed (control characters shown, see --raw-output).",
        flags=("-H", "--hmp"),
    ))
    timeout: float | None = declare(None, Setting(
        "Give up on a reply after SECONDS (default: {default}).",
        flags=("--timeout",), metavar="SECONDS", min=0, min_open=True, unset="wait forever",
    ))
    connect_timeout: float = declare(10.0, Setting(
        "Give up connecting, or waiting for the greeting, after SECONDS (default: {default}).",
        flags=("--connect-timeout",), metavar="SECONDS", min=0, min_open=True,
    ))
    color: str = declare("auto", Setting(
        "Colour output: auto (on a terminal, unless NO_COLOR is set), always or never.",
        flags=("--color",), choices=("auto", "always", "never"),
        config='Colour: "auto" (on a terminal, unless NO_COLOR is set), "always", "never".',
        env="NO_COLOR", env_sets="never",
        env_help="When set and not empty, no colour (--color=always still wins).",
    ))
    style: str = declare("default", Setting(
        config="Any pygments style: monokai, solarized-dark, friendly... (pygmentize -L styles).",
        refuse=_not_a_style,
    ))
    #: None: in the interactive shell only (batch mode then fetches no schema)
    validate: bool | None = declare(None, Setting(
        "Type values by the server's schema and check each request against it before sending it, in the shell and in batch mode alike (default: {default}; batch mode loads the schema, from the cache when it can, at the first line with arguments).  --no-validate sends lines as the schema-less rules type them, unchecked, as a line starting with ! always is.",
        flags=("--validate",), negative="--no-validate", unset="on",
    ))
    read_limit: int = declare(10 * 1024 * 1024, Setting(
        "Refuse a message from the server longer than BYTES, which ends the session (default: {default}).",
        flags=("--read-limit",), metavar="BYTES", min=1024,
    ))
    #: replace passwords and secret data in the wire log and the history
    redact: bool = declare(True, Setting(
        "Write passwords and secret data to the wire log and the history, and echo them with -v, as typed (by default they are replaced with <redacted>).",
        flags=("--log-secrets",),
    ))
    #: how many events to keep in memory
    event_history: int = 1000
    event_display: str = declare("pane", Setting(
        "In the shell, show live events in a pane under the input, inline above the prompt, or not at all (default: {default}; F4 switches).",
        flags=("--show-events",), choices=("pane", "inline", "off"),
        config='Where live events show: "pane" (under the input), "inline", "off".',
    ))
    event_pane_height: int = declare(5, Setting(
        "Lines of the event pane (default: {default}; Alt-Up/Alt-Down resize it).",
        flags=("--pane-height",), metavar="LINES", min=1, max=100,
        config="Lines of the event pane (Alt-Up/Alt-Down resize it).",
    ))
    key_mode: str = declare("emacs", Setting(
        "Use vi editing keys instead of emacs (F5 switches).", flags=("--vi",), sets="vi",
        choices=("emacs", "vi"), config='Editing keys: "emacs" or "vi" (F5 switches).',
        per_target=False,
    ))
    #: "" means $PAGER, else ``less -SRXF``
    pager: str = declare("", Setting(
        config='Pager for output taller than the screen; "" means $PAGER, else "less -SRXF".',
        env="QMPSH_PAGER",
        env_help="The pager for output taller than the screen (over $PAGER).",
        per_target=False,
    ))
    paging: bool = declare(True, Setting(
        "Print long output straight to the terminal instead of paging it.", flags=("--no-pager",),
        config="Set to false to print long output straight to the terminal.",
        per_target=False,
    ))
    history_size: int = declare(10000, Setting(
        config="Commands kept in $XDG_STATE_HOME/qmpsh/history (0 keeps none).",
        min=0, max=10_000_000, per_target=False,
    ))
    history_import: str = declare("~/.qmp-shell_history", Setting(
        config='A qmp-shell history file imported on the first run ("" skips it).',
        per_target=False,
    ))
    confirm: bool = declare(True, Setting(
        config="Ask before sending the commands below (on a terminal; never in batch).",
    ))
    confirm_commands: tuple[str, ...] = declare(("quit", "system_reset", "system_powerdown"), Setting(
        config="QMP commands that need a confirmation.",
    ))
    confirm_hmp: tuple[str, ...] = declare(("quit", "q", "system_reset", "system_powerdown"), Setting(
        config="HMP commands (sent with human-monitor-command) that need one too.",
    ))
    retries: int = declare(5, Setting(
        "After the connection is lost, try N times to reconnect (default: {default}).",
        flags=("--retries",), metavar="N", min=0, max=1000,
        config="Reconnection attempts after the connection is lost (0: none).",
    ))
    retry_delay: float = declare(2.0, Setting(
        "Wait SECONDS before the first reconnection attempt, twice as long before each next one, up to 30 (default: {default}).",
        flags=("--retry-delay",), metavar="SECONDS", min=0, max=3600,
        config="Seconds before the first attempt; doubled after each failure, up to 30.",
    ))
    max_inflight: int = declare(64, Setting(
        "Send up to N read-only requests ahead of their replies in batch mode (default: {default}; 1 turns pipelining off).",
        flags=("--max-inflight",), metavar="N", min=1,
    ))
    #: what shell completion offers for ADDRESS (qmpsh.cli.addrcomplete)
    addresses: tuple[str, ...] = declare((), Setting(
        config='Offered by shell completion (qmpsh <Tab>) besides socket files: ["host:4444"].',
        per_target=False,
    ))
    #: which events the event pane and --events show (the history keeps
    #: all): made of the event filter options (qmpsh.cli.invoke.event_filter)
    event_filter: "EventFilter | None" = None
    print_events: bool = declare(False, Setting(
        "In batch mode, also print each event that passes the filters as a JSON line, when it arrives.",
        flags=("--events",),
    ))
    #: the QMP reference man page help reads; "": the installed QEMU's
    #: (qmpsh.schema.manual.find.locate)
    qmp_ref: str = declare("", Setting(
        "Read help's text from FILE, a QMP reference man page (qemu-qmp-ref.7.gz, qemu-storage-daemon-qmp-ref.7.gz or qemu-ga-ref.7.gz): for a server of another version than the installed QEMU (default: {default}).",
        flags=("--qmp-ref",), metavar="FILE", file=True, unset="the installed QEMU's page",
        config='QMP reference man page for help; "" means the installed QEMU\'s (qemu-qmp-ref(7) and the like).',
    ))
    #: ssh:// (qmpsh.wire.ssh): the ssh command line, split as a shell
    #: would; "" is plain ``ssh``
    ssh_command: str = declare("", Setting(
        config='The command that ssh:// addresses run instead of "ssh", split as a shell would: "ssh -F ~/.ssh/qemu_config" ("" is ssh).',
        env="QMPSH_SSH_COMMAND",
        env_help="The command that ssh:// addresses run instead of ssh, split as a shell would (as GIT_SSH_COMMAND is for git), e.g. \"ssh -F FILE\".",
    ))
    #: tls:// (qmpsh.wire.tls): "" is unset
    tls_ca: str = declare("", Setting(
        "For tls:// addresses: the CA certificate(s) that QEMU's certificate must be signed by (PEM; default: {default}).",
        flags=("--tls-ca",), metavar="FILE", file=True, unset="the system's CAs",
        config="tls://: the CA certificate (PEM) that QEMU's certificate must be signed by (--tls-ca).",
    ))
    tls_cert: str = declare("", Setting(
        "For tls:// addresses: the client certificate to present (PEM), for QEMU's verify-peer=on (default: {default}).",
        flags=("--tls-cert",), metavar="FILE", file=True, unset="none",
        config="tls://: the client certificate (PEM) that QEMU's verify-peer=on asks for (--tls-cert).",
    ))
    tls_key: str = declare("", Setting(
        "For tls:// addresses: the private key of --tls-cert (PEM; default: {default}).",
        flags=("--tls-key",), metavar="FILE", file=True, unset="in the certificate's file",
        config="tls://: the private key of tls_cert (--tls-key).",
    ))
    tls_hostname: str = declare("", Setting(
        "For tls:// addresses: the name QEMU's certificate must be issued for (default: {default}).",
        flags=("--tls-hostname",), metavar="NAME", unset="the HOST of the address",
        config="tls://: the name QEMU's certificate must be issued for, when not the address's HOST (--tls-hostname).",
    ))
    # -- what may be sent, and how long a line may be (qmpsh.policy) --------
    read_only: bool = declare(False, Setting(
        "Send only requests that change nothing (query-*, qom-get, HMP info...); refuse the others before sending (exit code 3).",
        flags=("--read-only",),
        config="Send only requests that change nothing (--read-only).",
    ))
    allow: tuple[str, ...] = declare((), Setting(
        "Send only commands that match PATTERN, a glob: 'query-*', 'hmp info' for HMP (repeatable; --deny wins).",
        flags=("--allow",), metavar="PATTERN",
        config='Only commands matching these globs are sent: ["query-*", "hmp info"] ([]: all).',
    ))
    deny: tuple[str, ...] = declare((), Setting(
        "Refuse commands that match PATTERN before sending (repeatable), e.g. 'quit', 'hmp q*'.",
        flags=("--deny",), metavar="PATTERN",
        config='Commands refused before sending, as globs: ["quit", "system_*", "hmp q*"].',
    ))
    line_limit: int = declare(16 * 1024 * 1024, Setting(
        "Refuse an input line (stdin, -f, -c, the shell) longer than BYTES, exit code 3 (default: {default}).",
        flags=("--line-limit",), metavar="BYTES", min=1024, max=1024 * 1024 * 1024,
        config="The longest input line, in bytes (a longer one is refused).",
    ))
    #: write plain text (HMP output, qom values) to stdout as the server
    #: sent it (qmpsh.core.sanitize); stderr and the shell stay gated
    raw_output: bool = declare(False, Setting(
        "Outside the interactive shell, write the plain text a server sends (HMP output) to stdout as it is, control characters included, for a program that needs them; by default they are shown as ^[, <9b>, <U+202E>...  JSON is always escaped.",
        flags=("--raw-output",),
    ))
    #: where libvirt is, for a libvirt:DOMAIN address (qmpsh.wire.libvirt)
    libvirt_uri: str = declare("qemu:///system", Setting(
        "Reach libvirt at URI for a libvirt:DOMAIN address, as virsh -c URI does: qemu+ssh://host/system... (default: {default}, or $LIBVIRT_DEFAULT_URI when set).",
        flags=("--libvirt-uri",), metavar="URI",
        config="libvirt's URI for libvirt:DOMAIN addresses ($LIBVIRT_DEFAULT_URI and --libvirt-uri win).",
        env="LIBVIRT_DEFAULT_URI",
        env_help="libvirt's URI for a libvirt:DOMAIN address, as for virsh (--libvirt-uri wins).",
    ))
    # -- fan-out: several targets in batch mode (qmpsh.cli.fanout) ----------
    #: how many targets are connected at once; 32: the fleet is not slowed
    #: (bench/fleet.py: 100 local VMs take about as long with 32 as with
    #: 100), and the descriptors, tasks and ssh processes in flight stay
    #: far below the usual 1024-descriptor limit
    parallel: int = declare(32, Setting(
        "With several targets, work on up to N of them at once; the others wait their turn (default: {default}).",
        flags=("--parallel",), metavar="N", min=1, max=4096, per_target=False,
    ))
    fail_fast: bool = declare(False, Setting(
        "With several targets, stop every target at the first one that fails (the others are cancelled or not started).",
        flags=("--fail-fast",), per_target=False,
    ))
    #: saved commands with parameters, by name (qmpsh.lang.aliases): the
    #: config file's [aliases] table, which batch mode reads too
    aliases: dict[str, str] = declare({}, Setting(
        config='Aliases: [aliases] then mirror = "drive-mirror device=$1 target=$2 sync=full", used as: mirror drive0 /tmp/x.qcow2 (batch mode reads this table too).',
        per_target=False,
    ))
    #: the guest agent's base64 (guest-file-read, guest-exec-status) shown
    #: as the agent sent it, without qmpsh's text members (qmpsh.schema.agent_data)
    raw_agent: bool = declare(False, Setting(
        "Print guest-agent replies exactly as the agent sent them: without the buf-text, out-text and err-text members qmpsh adds next to the base64 of guest-file-read and guest-exec-status.",
        flags=("--raw-agent",),
        config="Guest-agent replies as the agent sent them, without the decoded -text members (--raw-agent).",
    ))
    # fmt: on

    def validating(self, interactive: bool) -> bool:
        return True if self.validate is None else self.validate

    def replace(self, **changes: Any) -> Self:
        return self._replace(**changes)

    def use_color(self, isatty: bool) -> bool:
        """Whether to colour output for a stream; NO_COLOR wins over auto
        (when it is not empty, as `env_settings` and no-color.org have it)."""
        if self.color == "always":
            return True
        if self.color == "never":
            return False
        return isatty and not os.environ.get("NO_COLOR") and _term_ok()


#: every setting's declaration, in the order of the fields
SETTINGS: tuple[Setting, ...] = declared(Settings)
#: the declarations by name
SETTING: dict[str, Setting] = {s.name: s for s in SETTINGS}
#: the defaults
DEFAULTS = Settings()


def _term_ok() -> bool:
    return os.environ.get("TERM", "") not in ("", "dumb")


def env_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The settings the environment gives (``NO_COLOR``, ``QMPSH_PAGER``: the
    declarations' ``env``)."""
    out: dict[str, Any] = {}
    for s in SETTINGS:
        if not s.env:
            continue
        if s.env_sets is not None:
            if env.get(s.env):
                out[s.name] = s.env_sets
        elif s.env in env:
            out[s.name] = env[s.env]
    return out


def build_settings(
    flags: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    target: Mapping[str, Any] | None = None,
) -> Settings:
    """Defaults < *config* (the file's top level) < *target* (the named
    target's table) < *env* < the *flags* given.

    A flag counts as given when it is not None.  *env* defaults to the
    process environment.
    """
    layers: dict[str, Any] = {}
    layers.update(config or {})
    layers.update(target or {})
    layers.update(env_settings(os.environ if env is None else env))
    layers.update({k: v for k, v in flags.items() if v is not None})
    return Settings(**{k: v for k, v in layers.items() if k in SETTING})
