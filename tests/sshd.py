"""A throwaway OpenSSH server on 127.0.0.1, and the client config to reach it.

`Sshd` makes a 0700 directory with its own host key, a user key, a second
(unauthorised) user key, ``authorized_keys``, ``known_hosts``, and two client
configs: ``ssh_config`` (Host ``testhost``: HostName, Port, User,
IdentityFile, its own known_hosts; the agent and ~/.ssh never count), and
the same host with the wrong key (``wrong_config``), with a key that has a
passphrase (``locked_config``), and with another host's key in known_hosts
(``impostor_config``).  OpenSSH reads the
passwd entry's home, not $HOME, so tests reach it only through
``QMPSH_SSH_COMMAND="ssh -F FILE"`` (`Sshd.command`).  sshd runs in the
foreground (``-D -e``) as the current user; it is ready when it says
``Server listening``, and one real ``ssh testhost true`` has worked.

Missing sshd or ssh: skipped, or a failure with ``CI=true`` (`need`).
"""

from __future__ import annotations

import os
import pwd
import select
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from tests.procs import children, free_port, need

HOST = "testhost"
#: of the key that ``locked_config`` uses
PASSPHRASE = "s3cret pass"


def keygen(path: Path, comment: str, passphrase: str = "") -> None:
    argv = [need("ssh-keygen"), "-q", "-t", "ed25519", "-N", passphrase]
    subprocess.run(
        [*argv, "-C", comment, "-f", str(path)],
        check=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


class Sshd:
    def __init__(self) -> None:
        self.sshd = need("sshd")
        self.ssh = need("ssh")
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.dir = Path(tempfile.mkdtemp(prefix="qmpsh-sshd-"))
        self.dir.chmod(0o700)
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: list[str] = []
        keygen(self.dir / "host_key", "test host")
        keygen(self.dir / "id_user", "test user")
        keygen(self.dir / "id_wrong", "not authorised")
        keygen(self.dir / "id_locked", "with a passphrase", passphrase=PASSPHRASE)
        keygen(self.dir / "other_host_key", "another host")
        authorized = (self.dir / "id_user.pub").read_text()
        authorized += (self.dir / "id_locked.pub").read_text()
        (self.dir / "authorized_keys").write_text(authorized)
        for _ in range(5):  # another process may take the free port first
            self.port = free_port()
            self._write_configs()
            if self._spawn():
                break
        else:
            self.stop()
            raise RuntimeError(f"sshd did not start: {self.log[-2000:]}")
        done = subprocess.run(
            [self.ssh, "-F", str(self.config), HOST, "true"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            self.stop()
            raise RuntimeError(f"ssh {HOST} true: {done.stderr}")

    @property
    def config(self) -> Path:
        return self.dir / "ssh_config"

    def command(self, config: str = "ssh_config") -> str:
        """``$QMPSH_SSH_COMMAND`` for the client config of that name."""
        return f"ssh -F {self.dir / config}"

    def _client_config(self, key: str, known: str = "known_hosts") -> str:
        return (
            f"Host {HOST}\n"
            f"    HostName 127.0.0.1\n"
            f"    Port {self.port}\n"
            f"    User {self.user}\n"
            f"    IdentityFile {self.dir / key}\n"
            "    IdentitiesOnly yes\n"
            "    IdentityAgent none\n"
            f"    UserKnownHostsFile {self.dir / known}\n"
            "    GlobalKnownHostsFile /dev/null\n"
            "    StrictHostKeyChecking yes\n"
            "    CheckHostIP no\n"
            "    LogLevel ERROR\n"
        )

    def _write_configs(self) -> None:
        (self.dir / "sshd_config").write_text(
            "ListenAddress 127.0.0.1\n"
            f"Port {self.port}\n"
            f"HostKey {self.dir / 'host_key'}\n"
            f"PidFile {self.dir / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {self.dir / 'authorized_keys'}\n"
            "StrictModes no\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "PermitRootLogin prohibit-password\n"
            "UsePAM no\n"
            "AllowStreamLocalForwarding yes\n"
            "PermitTTY no\n"
            "X11Forwarding no\n"
            "PrintMotd no\n"
            "LogLevel VERBOSE\n"
            "MaxStartups 100:30:200\n"
        )
        key = (self.dir / "host_key.pub").read_text().split()
        (self.dir / "known_hosts").write_text(
            f"[127.0.0.1]:{self.port} {key[0]} {key[1]}\n"
        )
        other = (self.dir / "other_host_key.pub").read_text().split()
        (self.dir / "other_known_hosts").write_text(
            f"[127.0.0.1]:{self.port} {other[0]} {other[1]}\n"
        )
        self.config.write_text(self._client_config("id_user"))
        (self.dir / "wrong_config").write_text(self._client_config("id_wrong"))
        (self.dir / "locked_config").write_text(self._client_config("id_locked"))
        (self.dir / "impostor_config").write_text(
            self._client_config("id_user", "other_known_hosts")
        )

    def _spawn(self) -> bool:
        """Start sshd: True once it listens, False when it exited (the port
        was taken)."""
        Path("/run/sshd").mkdir(exist_ok=True)  # its privilege separation dir
        self.proc = subprocess.Popen(
            [self.sshd, "-D", "-e", "-f", str(self.dir / "sshd_config")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        assert self.proc.stderr is not None
        fd = self.proc.stderr.fileno()
        said = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], deadline - time.monotonic())
            chunk = os.read(fd, 4096) if ready else b""
            if not chunk:
                break
            said += chunk
            if b"Server listening on" in said:
                self._log.append(said.decode(errors="replace"))
                threading.Thread(target=self._drain, daemon=True).start()
                return True
        self._log.append(said.decode(errors="replace"))
        self.proc.kill()
        self.proc.wait(timeout=10)
        return False

    def _drain(self) -> None:
        """Keep reading its log, so that sshd never blocks on the pipe."""
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self._log.append(line.decode(errors="replace"))

    @property
    def log(self) -> str:
        return "".join(self._log)

    def sessions(self) -> list[int]:
        """The per-connection sshd processes (to drop a link by killing one)."""
        if self.proc is None:
            return []
        return children(self.proc.pid)

    def drop_links(self) -> int:
        """Kill every SSH connection at the server's end, as a dropped link
        does; how many there were."""
        killed = 0
        for pid in self.sessions():
            for child in children(pid):
                _kill(child)
            killed += _kill(pid)
        return killed

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.drop_links()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        subprocess.run(["rm", "-rf", str(self.dir)], check=False, timeout=60)


def _kill(pid: int) -> int:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return 0
    return 1
