"""qmpsh.wire.ssh and qmpsh.wire.sshtext without processes: reading
``ssh://`` addresses, the ssh command line, and what ssh's own words become
(the texts are OpenSSH 9.2's, as captured from real runs)."""

from __future__ import annotations

import pytest

from qmpsh.core.settings import build_settings
from qmpsh.wire.address import AddressError
from qmpsh.wire.ssh import SshTunnel, parse
from qmpsh.wire.sshtext import exit_text, lost_text, path_text, visible

WHERE = "ssh://testhost/run/qmp.sock"


@pytest.mark.parametrize(
    ("text", "user", "host", "port", "path"),
    [
        ("ssh://h/q.sock", None, "h", None, "/q.sock"),
        (
            "ssh://root@vm-host.example:2222/run/qemu/a b.sock",
            "root",
            "vm-host.example",
            2222,
            "/run/qemu/a b.sock",
        ),
        ("ssh://[fe80::1]:22/q.sock", None, "fe80::1", 22, "/q.sock"),
        (
            "ssh://u@alias/var/lib/x/monitor.sock",
            "u",
            "alias",
            None,
            "/var/lib/x/monitor.sock",
        ),
    ],
)
def test_parse(
    text: str, user: str | None, host: str, port: int | None, path: str
) -> None:
    tunnel = parse(text)
    assert (tunnel.user, tunnel.host, tunnel.port, tunnel.path) == (
        user,
        host,
        port,
        path,
    )
    assert tunnel.name == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ssh://", "no host in 'ssh://'"),
        ("ssh:///run/q.sock", "no host in 'ssh:///run/q.sock'"),
        ("ssh://host", "no socket path in 'ssh://host'"),
        ("ssh://host/", "no socket path in 'ssh://host/'"),
        ("ssh://@host/q", "bad user name in 'ssh://@host/q'"),
        ("ssh://host:0/q", "bad port '0' in 'ssh://host:0/q': expected a number"),
        ("ssh://host:ssh/q", "bad port 'ssh' in"),
        ("ssh://host/a:b.sock", "has a ':', which ssh cannot forward"),
        ("ssh://host/q\n.sock", "cannot read"),
        ("ssh://host/" + "x" * 120, "too long for a unix socket"),
    ],
)
def test_bad_addresses_are_one_line(text: str, message: str) -> None:
    with pytest.raises(AddressError) as info:
        parse(text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_the_command_line() -> None:
    tunnel = parse("ssh://-oProxyCommand=x@-h:2/q.sock")
    # the host can never be read as an option; the user is -l's value
    assert tunnel.argv(["-N"]) == [
        "ssh",
        "-N",
        "-l",
        "-oProxyCommand=x",
        "-p",
        "2",
        "--",
        "-h",
    ]
    tunnel.configure(build_settings({}, env={"QMPSH_SSH_COMMAND": "ssh -F '/a b/c'"}))
    assert tunnel.argv([], ("ls",)) == [
        "ssh",
        "-F",
        "/a b/c",
        "-l",
        "-oProxyCommand=x",
        "-p",
        "2",
        "--",
        "-h",
        "ls",
    ]


def test_ssh_command_comes_from_the_environment_over_the_config_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not SshTunnel("ssh://h/q", "h", "/q").may_ask
    tunnel = SshTunnel("ssh://h/q", "h", "/q")
    assert tunnel.command == ["ssh"]
    config = {"ssh_command": "ssh -F ~/.ssh/qemu"}
    monkeypatch.setenv("HOME", "/home/me")
    tunnel.configure(build_settings({}, config, env={}), interactive=True)
    assert tunnel.command == ["ssh", "-F", "/home/me/.ssh/qemu"] and tunnel.may_ask
    env = {"QMPSH_SSH_COMMAND": "/opt/ssh -v"}
    tunnel.configure(build_settings({}, config, env=env))
    assert tunnel.command == ["/opt/ssh", "-v"]
    tunnel.configure(build_settings({}, {"ssh_command": "  "}, env={}))
    assert tunnel.command == ["ssh"]
    with pytest.raises(AddressError) as info:
        tunnel.configure(build_settings({}, env={"QMPSH_SSH_COMMAND": "ssh -F 'x"}))
    assert str(info.value) == (
        "cannot split ssh_command ($QMPSH_SSH_COMMAND or the config file) "
        '"ssh -F \'x": no closing quotation'
    )


CHANGED = (
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
    "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
    "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n"
    "Offending ED25519 key in /k/known_hosts:1\n"
    "  remove with:\n"
    '  ssh-keygen -f "/k/known_hosts" -R "[127.0.0.1]:44283"\n'
    "Host key for [127.0.0.1]:44283 has changed and you have requested strict checking.\n"
    "Host key verification failed.\n"
)


@pytest.mark.parametrize(
    ("stderr", "batch", "expected"),  # batch: why ssh could not ask
    [
        (
            "ssh: Could not resolve hostname nohost.invalid: Name or service not known\r\n",
            "script",
            "ssh could not resolve the host name 'testhost' (Could not resolve "
            "hostname nohost.invalid: Name or service not known)",
        ),
        (
            "ssh: connect to host 127.0.0.1 port 1: Connection refused\r\n",
            "script",
            "ssh could not connect to testhost (connect to host 127.0.0.1 port 1: "
            "Connection refused)",
        ),
        (
            "root@127.0.0.1: Permission denied (publickey).\r\n",
            "script",
            "ssh could not log in to testhost: root@127.0.0.1: Permission denied "
            "(publickey) (qmpsh runs ssh with BatchMode=yes outside the interactive "
            "shell, so nothing can ask for a passphrase or password: load the key "
            "into ssh-agent, or start the interactive shell)",
        ),
        (
            "root@127.0.0.1: Permission denied (publickey).\r\n",
            "shell",
            "ssh could not log in to testhost: root@127.0.0.1: Permission denied "
            "(publickey) (the shell reconnects with BatchMode=yes, as the terminal "
            "is its own, so nothing can ask for a passphrase or password: load the "
            "key into ssh-agent)",
        ),
        (
            "root@127.0.0.1: Permission denied (publickey).\r\n",
            "",
            "ssh could not log in to testhost: root@127.0.0.1: Permission denied "
            "(publickey)",
        ),
        (
            CHANGED,
            "script",
            "the host key of testhost is not the one known_hosts has for it (REMOTE "
            "HOST IDENTIFICATION HAS CHANGED: someone may be impersonating it, or "
            "its key was replaced); if the new key is right, remove the old one: "
            'ssh-keygen -f "/k/known_hosts" -R "[127.0.0.1]:44283"',
        ),
        (
            "No ED25519 host key is known for [127.0.0.1]:2222 and you have "
            "requested strict checking.\nHost key verification failed.\n",
            "script",
            "ssh could not verify the host key of testhost: it is not in known_hosts "
            "(qmpsh runs ssh with BatchMode=yes outside the interactive shell: check "
            "and accept the key once with ssh)",
        ),
        (
            "unix_listener: cannot bind to path /t/qmp.sock: Permission denied\n"
            "Could not request local forwarding.\n",
            "script",
            "ssh could not set up the forwarding: unix_listener: cannot bind to "
            "path /t/qmp.sock: Permission denied",
        ),
        ("", "script", "ssh exited with status 255: it said nothing (LogLevel QUIET?)"),
        (
            "Bad owner or permissions on /root/.ssh/config\r\n",
            "script",
            "ssh exited with status 255: Bad owner or permissions on /root/.ssh/config",
        ),
        (
            "banner \x1b]0;pwned\x07\n",
            "script",
            "ssh exited with status 255: banner \\x1b]0;pwned\\x07",
        ),
    ],
)
def test_why_ssh_exited(stderr: str, batch: str, expected: str) -> None:
    assert exit_text(WHERE, "testhost", 255, stderr, batch) == (
        f"cannot reach {WHERE}: {expected}"
    )


def test_a_signal_and_a_lost_link() -> None:
    assert exit_text(WHERE, "h", -9, "", "script") == (
        f"cannot reach {WHERE}: ssh was killed by signal 9"
    )
    said = "Connection to 127.0.0.1 closed by remote host.\r\n"
    assert exit_text(WHERE, "h", 255, said, "script") == (
        f"cannot reach {WHERE}: the SSH connection to h was lost (Connection to "
        "127.0.0.1 closed by remote host)"
    )
    assert lost_text(WHERE, "h", 255, said) == (
        f"the SSH connection to h for {WHERE} was lost (Connection to 127.0.0.1 "
        "closed by remote host)"
    )
    assert lost_text(WHERE, "h", 255, "") == (
        f"the SSH connection to h for {WHERE} was lost (ssh exited with status 255)"
    )


@pytest.mark.parametrize(
    ("listing", "complaint", "found", "expected"),
    [
        (
            "",
            "ls: cannot access '/q': No such file or directory\n",
            True,
            "there is no /q on h (is QEMU running there with -qmp "
            "unix:/q,server=on,wait=off?)",
        ),
        (
            "drwxrwxrwt 9 root root 180 Jan  1 00:00 /q",
            "",
            True,
            "/q on h is a directory, not a socket",
        ),
        (
            "-rw-r--r-- 1 root root 0 Jan  1 00:00 /q",
            "",
            True,
            "/q on h is a regular file, not a socket",
        ),
        (
            "prw-r--r-- 1 root root 0 Jan  1 00:00 /q",
            "",
            True,
            "/q on h is not a socket (prw-r--r--)",
        ),
        (
            "",
            "ls: cannot access '/q': Permission denied\n",
            True,
            "/q on h: permission denied",
        ),
        (
            "",
            "",
            False,
            "the connection to /q on h was closed at once (no such socket, or "
            "nothing listening on it)",
        ),
    ],
)
def test_what_the_remote_path_is(
    listing: str, complaint: str, found: bool, expected: str
) -> None:
    assert path_text(WHERE, "h", "/q", listing, complaint, found) == (
        f"cannot reach {WHERE}: {expected}"
    )
    socket = path_text(WHERE, "h", "/q", "srwxr-xr-x 1 root root 0 /q", "", True)
    assert socket.startswith(f"cannot reach {WHERE}: /q on h is a socket, but")


def test_visible() -> None:
    assert visible("a\x1b[2Jb\x9b\tc") == "a\\x1b[2Jb\\x9b\tc"
    assert visible("plain é") == "plain é"
