"""What ssh said, as one line: the texts of `qmpsh.wire.ssh`.

Pure functions from what OpenSSH's client printed (and its exit status) to
the one line the user reads.  ssh exits with 255 for every failure of its
own, so the cause is told by its message (`exit_text`); ``ls -ldL`` run
through ssh tells what a remote path that could not be reached is
(`path_text`).  A user's ``LogLevel QUIET`` can leave ssh with nothing to
say: the texts then say so rather than guess.  Whatever ssh relays from the
far side (a banner...) is shown with its control characters escaped
(`visible`), never written raw to the terminal.
"""

from __future__ import annotations

import re

#: why ssh ran with BatchMode=yes (no prompt), by `exit_text`'s *batch*
_WHY_BATCH = {
    "script": "qmpsh runs ssh with BatchMode=yes outside the interactive shell",
    "shell": "the shell reconnects with BatchMode=yes, as the terminal is its own",
}
_AUTH_FIX = "nothing can ask for a passphrase or password: load the key into ssh-agent"
_HOSTKEY_FIX = "check and accept the key once with ssh"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """*text* with control characters (escape sequences...) as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def ssh_lines(stderr: str) -> list[str]:
    """ssh's message lines: without the ``@@@`` frame, blank lines and
    carriage returns, control characters escaped."""
    lines = []
    for raw in stderr.replace("\r", "").splitlines():
        line = raw.strip()
        if line and not line.startswith("@"):
            lines.append(visible(line))
    return lines


def _said(lines: list[str], needle: str) -> str:
    return next((line for line in lines if needle in line), "")


def _quoted(line: str) -> str:
    """ssh's line as the tail of ours: without ``ssh: `` and a final dot."""
    return line.removeprefix("ssh: ").rstrip(".")


def exit_text(where: str, host: str, status: int, stderr: str, batch: str) -> str:
    """Why ssh could not set up the tunnel for *where* (``ssh://...``) to
    *host*: it exited with *status* (negative: killed by that signal)
    having printed *stderr*; *batch*: why it ran with BatchMode=yes
    (``script``, or ``shell`` reconnecting), "" when it could ask."""
    why = _WHY_BATCH.get(batch, "")
    lines = ssh_lines(stderr)
    head = f"cannot reach {where}"
    if status < 0:
        return f"{head}: ssh was killed by signal {-status}"
    if line := _said(lines, "Could not resolve hostname"):
        return f"{head}: ssh could not resolve the host name {host!r} ({_quoted(line)})"
    for needle in (
        "Connection refused",
        "Connection timed out",
        "No route to host",
        "Network is unreachable",
        "Operation timed out",
    ):
        if line := _said(lines, needle):
            return f"{head}: ssh could not connect to {host} ({_quoted(line)})"
    if "IDENTIFICATION HAS CHANGED" in stderr or _said(lines, "has changed and you"):
        fix = _said(lines, "remove with:")
        how = ""
        if fix:
            index = lines.index(fix)
            if index + 1 < len(lines):
                how = (
                    f"; if the new key is right, remove the old one: {lines[index + 1]}"
                )
        return (
            f"{head}: the host key of {host} is not the one known_hosts has for it "
            f"(REMOTE HOST IDENTIFICATION HAS CHANGED: someone may be "
            f"impersonating it, or its key was replaced){how}"
        )
    if _said(lines, "Host key verification failed") or _said(
        lines, "host key is known for"
    ):
        hint = f" ({why}: {_HOSTKEY_FIX})" if why else ""
        return (
            f"{head}: ssh could not verify the host key of {host}: it is not "
            f"in known_hosts{hint}"
        )
    if line := _said(lines, "unix_listener") or _said(lines, "local forwarding"):
        return f"{head}: ssh could not set up the forwarding: {_quoted(line)}"
    for needle in ("Permission denied", "Too many authentication failures"):
        if line := _said(lines, needle):
            fix = _AUTH_FIX + (
                ", or start the interactive shell" if batch == "script" else ""
            )
            hint = f" ({why}, so {fix})" if why else ""
            return f"{head}: ssh could not log in to {host}: {_quoted(line)}{hint}"
    if line := lost_line(lines):
        return f"{head}: the SSH connection to {host} was lost ({_quoted(line)})"
    said = _quoted(lines[-1]) if lines else "it said nothing (LogLevel QUIET?)"
    return f"{head}: ssh exited with status {status}: {said}"


def lost_line(lines: list[str]) -> str:
    """ssh's line saying the link itself went away, or ""."""
    for needle in (
        "closed by remote host",
        "Connection reset",
        "Broken pipe",
        "not responding",
        "Connection closed",
    ):
        if line := _said(lines, needle):
            return line
    return ""


def lost_text(where: str, host: str, status: int, stderr: str) -> str:
    """Why a running session through ssh ended: ssh itself exited."""
    line = lost_line(ssh_lines(stderr))
    why = f" ({_quoted(line)})" if line else f" (ssh exited with status {status})"
    return f"the SSH connection to {host} for {where} was lost{why}"


def path_text(
    where: str, host: str, path: str, listing: str, complaint: str, found: bool
) -> str:
    """Why the remote *path* could not be reached, from ``ls -ldL -- PATH``
    run through ssh: its output *listing* and stderr *complaint*; *found*:
    ssh itself ran (else nothing could be asked)."""
    head = f"cannot reach {where}"
    kind = listing[:1]
    if kind == "s":
        return (
            f"{head}: {path} on {host} is a socket, but the connection to it "
            "was closed at once: nothing listens there (QEMU has exited and left "
            "the file behind), the SSH user may not connect to it, or sshd does "
            "not allow forwarding to it (AllowStreamLocalForwarding)"
        )
    if kind == "d":
        return f"{head}: {path} on {host} is a directory, not a socket"
    if kind == "-":
        return f"{head}: {path} on {host} is a regular file, not a socket"
    if kind:
        return f"{head}: {path} on {host} is not a socket ({visible(listing[:10])})"
    said = ssh_lines(complaint)
    if found and said and "No such file" in said[-1]:
        return (
            f"{head}: there is no {path} on {host} (is QEMU running there with "
            f"-qmp unix:{path},server=on,wait=off?)"
        )
    if found and said and "Permission denied" in said[-1]:
        return f"{head}: {path} on {host}: permission denied"
    return (
        f"{head}: the connection to {path} on {host} was closed at once (no "
        "such socket, or nothing listening on it)"
    )
