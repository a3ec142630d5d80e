"""What one ``--listen`` value says: a socket path and its policy (pure).

``--listen PATH[,read-only][,allow=PATTERN]...[,deny=PATTERN]...``: the
path first, then the socket's own policy, comma-separated, in QEMU's
manner (a comma that is part of the path is written twice:
``/run/a,,b.sock`` is ``/run/a,b.sock``).  ``--listen-read-only PATH`` is
``--listen PATH,read-only``.  The command's own ``--read-only``,
``--allow`` and ``--deny`` apply to every socket besides its own: a socket's
policy can only be stricter than the command's.
"""

from __future__ import annotations

from dataclasses import dataclass

from qmpsh.policy.rules import Policy


class SpecError(ValueError):
    """A ``--listen`` value that does not read: one line."""


@dataclass(frozen=True)
class ListenSpec:
    path: str
    policy: Policy

    def describe(self) -> str:
        """``/run/ro.sock (read-only, deny stop)``: for the ready line."""
        policy = self.policy
        parts = ["read-only"] if policy.read_only else []
        parts += [f"allow {pattern}" for pattern in policy.allow]
        parts += [f"deny {pattern}" for pattern in policy.deny]
        return f"{self.path} ({', '.join(parts)})" if parts else self.path


def _split(text: str) -> list[str]:
    """*text* split at single commas, ``,,`` read as a comma."""
    parts = [""]
    i = 0
    while i < len(text):
        char = text[i]
        if char == ",":
            if text.startswith(",,", i):
                parts[-1] += ","
                i += 2
                continue
            parts.append("")
        else:
            parts[-1] += char
        i += 1
    return parts


def parse(text: str, base: Policy, read_only: bool = False) -> ListenSpec:
    """The socket *text* names, with *base* (the command's policy) under
    its own; *read_only*: it came as ``--listen-read-only``.  Raises
    `SpecError`."""
    path, *options = _split(text)
    if not path:
        raise SpecError(
            f"--listen {text!r}: no path (expected PATH[,read-only]"
            "[,allow=PATTERN][,deny=PATTERN])"
        )
    allow = list(base.allow)
    deny = list(base.deny)
    strict = base.read_only or read_only
    for option in options:
        name, eq, value = option.partition("=")
        if name == "read-only" and not eq:
            strict = True
        elif name in ("allow", "deny") and eq and value:
            (allow if name == "allow" else deny).append(value)
        else:
            raise SpecError(
                f"--listen {text!r}: unknown option {option!r} (expected "
                "read-only, allow=PATTERN or deny=PATTERN; a comma in the path "
                "is written ,,)"
            )
    if base.allow and len(allow) > len(base.allow):
        # the command's --allow still applies: a socket's allow= may only
        # narrow it, which a union would not do
        raise SpecError(
            f"--listen {text!r}: allow= cannot be combined with the command's "
            "--allow (give the patterns per socket instead)"
        )
    return ListenSpec(path, Policy(strict, tuple(allow), tuple(deny)))
