"""What changes nothing: the commands `--read-only` lets through and batch
mode may send ahead (pipelining).  Pure and tiny: every batch run imports
it, the policy's judge (`qmpsh.policy.rules`) only when a policy is given.
"""

from __future__ import annotations

#: commands that change nothing, besides the prefixes below
READ_ONLY = frozenset(
    {
        "qmp_capabilities",
        "qom-get",
        "qom-list",
        "qom-list-types",
        "qom-list-properties",
        "device-list-properties",
        "trace-event-get-state",
        # the guest agent
        "guest-info",
        "guest-ping",
        "guest-sync",
        "guest-sync-delimited",
        "guest-fsfreeze-status",
        "guest-ssh-get-authorized-keys",
        "guest-network-get-interfaces",
    }
)
READ_ONLY_PREFIXES = ("query-", "x-query-", "x-debug-query-", "guest-get-")

#: HMP commands (and aliases) that change nothing
HMP_READ_ONLY = frozenset({"info", "i", "help", "?"})


def changes_nothing(command: str) -> bool:
    """Whether the QMP command *command* is known to change nothing."""
    return command in READ_ONLY or command.startswith(READ_ONLY_PREFIXES)
