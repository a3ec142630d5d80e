"""The interactive shell over ssh:// and tls:// in a real terminal: ssh
asking for a passphrase there before the shell starts, a dropped SSH link
and the shell reconnecting through a new tunnel, and the TLS files from the
config file."""

from __future__ import annotations

from pathlib import Path

from tests.procs import Qemu
from tests.sshd import HOST, PASSPHRASE, Sshd
from tests.terminal.test_shell import PROMPT, wait_input
from tests.terminal.tmux import Screen
from tests.tls import TlsQemu, make_certs


def unwrapped(screen: str) -> str:
    """The screen's text with its lines joined (long messages wrap)."""
    return screen.replace("\n", "")


def test_ssh_asks_for_a_passphrase_on_the_terminal_then_the_shell_starts(
    screen: Screen, qemu: Qemu, sshd: Sshd
) -> None:
    env = {"QMPSH_SSH_COMMAND": sshd.command("locked_config")}
    screen.qmpsh(f"ssh://{HOST}{qemu.sock}", env=env)
    screen.wait("Enter passphrase for key")
    screen.send(PASSPHRASE)
    screen.keys("Enter")
    text = unwrapped(screen.wait(PROMPT))
    assert f"qmpsh: connected to QEMU 7.2.22 (none-machine) at ssh://{HOST}" in text
    screen.send("query-status")
    screen.keys("Enter")
    screen.wait('{"return": {"status": "running"')
    screen.keys("C-d")
    assert screen.wait_exit() == 0


def test_ctrl_c_at_the_passphrase_prompt(
    screen: Screen, qemu: Qemu, sshd: Sshd
) -> None:
    env = {"QMPSH_SSH_COMMAND": sshd.command("locked_config")}
    screen.qmpsh(f"ssh://{HOST}{qemu.sock}", env=env)
    screen.wait("Enter passphrase for key")
    screen.keys("C-c")
    assert screen.wait_exit() == 130
    assert "qmpsh: interrupted" in screen.text() and "Traceback" not in screen.text()


def test_the_shell_reconnects_after_the_ssh_link_drops(
    screen: Screen, qemu: Qemu, sshd: Sshd
) -> None:
    env = {"QMPSH_SSH_COMMAND": sshd.command()}
    address = f"ssh://{HOST}{qemu.sock}"
    screen.qmpsh(address, "--retries", "100", "--retry-delay", "0.2", env=env)
    screen.wait(PROMPT)
    screen.send("query-stat")
    wait_input(screen, PROMPT + " query-stat")
    assert sshd.drop_links() > 0
    lost = f"connection lost: the SSH connection to {HOST} for {address} was lost ("
    text = screen.wait(lambda s: lost in unwrapped(s))
    assert "Traceback" not in text
    screen.wait("reconnected to QEMU 7.2", timeout=120)
    wait_input(screen, PROMPT + " query-stat")  # nothing typed was lost
    screen.send("us")
    screen.keys("Enter")
    screen.wait('{"return": {"status": "running"')


def test_tls_files_from_the_config_file(
    screen: Screen, tmp_path: Path, private_dirs: Path
) -> None:
    certs = make_certs(tmp_path / "certs")
    config = private_dirs / "config" / "qmpsh"
    config.mkdir(parents=True)
    (config / "config.toml").write_text(
        f'tls_ca = "{certs.ca}"\n'
        f'tls_cert = "{certs.client_cert}"\n'
        f'tls_key = "{certs.client_key}"\n'
    )
    vm = TlsQemu(tmp_path / "qemu", certs.server_dir)
    try:
        screen.qmpsh(vm.address)
        screen.wait(PROMPT)
        screen.send("query-status")
        screen.keys("Enter")
        screen.wait('{"return": {"status": "running"')
    finally:
        vm.kill()
