"""Named targets against real QEMU: ``qmpsh NAME``, ``qmpsh events NAME``,
``qmpsh qom ... -s NAME``, ``QMP_SOCKET=NAME``; their settings and where
they stand among the others; names beside files; every mistake one line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.procs import ROOT, GuestAgent, Qemu, qmpsh, wait_for


def write_config(text: str) -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "qmpsh" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def one_line(err: str) -> str:
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err


def test_a_name_connects_with_its_settings(qemu: Qemu) -> None:
    write_config(f'[targets.web3]\naddress = "{qemu.sock}"\npretty = true\n')
    done = qmpsh("web3", "-c", "query-status")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('{\n  "return": {')
    assert json.loads(done.stdout)["return"]["status"] == "running"
    # the address alone, as a string
    write_config(f'[targets]\nweb3 = "{qemu.sock}"\n')
    done = qmpsh("web3", "-c", "query-status")
    assert done.returncode == 0 and done.stdout.startswith('{"return": ')


def test_qmp_socket_may_name_a_target(qemu: Qemu) -> None:
    write_config(f'[targets.web3]\naddress = "{qemu.sock}"\nreturn_value = true\n')
    done = qmpsh("-c", "query-status", env={"QMP_SOCKET": "web3"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "running"
    done = qmpsh("-c", "query-status", env={"QMP_SOCKET": "wbe3"})
    assert done.returncode == 2
    assert one_line(done.stderr).startswith("qmpsh: $QMP_SOCKET: no target 'wbe3' in ")
    assert done.stderr.endswith("and no file 'wbe3' here (did you mean web3?)\n")


def test_precedence_in_batch_mode(qemu: Qemu) -> None:
    """The target's table over the defaults, the environment over it,
    options over both; the file's top level is the shell's only."""
    write_config(
        'color = "never"\npretty = true\n'  # the top level: not read in batch
        f'[targets.web3]\naddress = "{qemu.sock}"\ncolor = "always"\n'
    )
    done = qmpsh("web3", "-c", "query-status")
    assert "\x1b[" in done.stdout  # the target's colour
    assert "\n  " not in done.stdout  # not the top level's pretty
    done = qmpsh("web3", "-c", "query-status", env={"NO_COLOR": "1"})
    assert done.stdout.startswith('{"return"')  # the environment wins
    done = qmpsh("web3", "--color=always", "-c", "query-status", env={"NO_COLOR": "1"})
    assert "\x1b[" in done.stdout  # the option wins


def test_the_target_layer_in_the_shell(qemu: Qemu) -> None:
    """In the shell the file's top level counts too, under the target's."""
    from qmpsh.cli import invoke

    write_config(
        'color = "never"\npretty = true\nretries = 2\n'
        '[targets.web3]\naddress = "/x"\ncolor = "always"\ntimeout = 7\n'
    )
    from qmpsh.cli.targets import config_targets

    table = config_targets().targets["web3"].settings
    s = invoke.settings({"retries": 4}, interactive=True, target=table)
    assert (s.color, s.pretty, s.timeout, s.retries) == ("always", True, 7, 4)
    s = invoke.settings({}, interactive=False, target=table)
    assert (s.color, s.pretty, s.timeout) == ("always", False, 7)


def test_events_and_qom_take_a_name(qemu: Qemu, tmp_path: Path) -> None:
    log = tmp_path / "wire.log"
    write_config(
        f'[targets.web3]\naddress = "{qemu.sock}"\npretty = true\nlogfile = "{log}"\n'
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "qmpsh", "events", "web3", "-n", "1", "-t", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        # the target's logfile: the listener is connected once it holds a reply
        wait_for(
            lambda: log.exists() and '"return"' in log.read_text(),
            what="qmpsh events web3 to connect",
            proc=proc,
        )
        qemu.qmp({"execute": "stop"}, {"execute": "cont"})
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out.startswith('{\n  "')  # the target's pretty
    assert json.loads(out)["event"] == "STOP"

    done = qmpsh("qom", "get", "-s", "web3", "/machine.type")
    assert (done.returncode, done.stdout) == (0, "none-machine\n"), done.stderr
    done = qmpsh("qom", "list", env={"QMP_SOCKET": "web3"})
    assert done.returncode == 0 and "type" in done.stdout.split()


def test_a_guest_agent_target(qga: GuestAgent) -> None:
    write_config(f'[targets.ga]\naddress = "{qga.sock}"\nnegotiate = false\n')
    done = qmpsh("ga", "-c", "guest-ping")
    assert (done.returncode, done.stdout) == (0, '{"return": {}}\n'), done.stderr
    # -H wants a QEMU monitor, and the table says guest agent: both given
    done = qmpsh("ga", "-H", "-c", "info version")
    assert done.returncode == 2
    assert "the target's table and the options give both" in one_line(done.stderr)


def test_an_hmp_target(qemu: Qemu) -> None:
    write_config(f'[targets.web3]\naddress = "{qemu.sock}"\nhmp = true\n')
    done = qmpsh("web3", "-c", "info status")
    assert (done.returncode, done.stdout) == (0, "VM status: running\n"), done.stderr


def test_a_name_beside_a_file_of_that_name(qemu: Qemu, tmp_path: Path) -> None:
    """The target wins (with a warning); ./NAME is the file."""
    other = Qemu(tmp_path / "other")
    try:
        work = tmp_path / "work"
        work.mkdir()
        (work / "web3").symlink_to(other.sock)
        write_config(f'[targets.web3]\naddress = "{qemu.sock}"\nreturn_value = true\n')
        qemu.qmp({"execute": "stop"})  # tell the two apart by their state
        done = qmpsh("web3", "-c", "query-status", cwd=work)
        assert json.loads(done.stdout)["status"] == "paused", done.stderr
        assert one_line(done.stderr) == (
            f"qmpsh: warning: 'web3' is a target of {os.environ['XDG_CONFIG_HOME']}"
            "/qmpsh/config.toml and a file here: using the target (./web3 is the file)\n"
        )
        done = qmpsh("./web3", "-c", "query-status", cwd=work)
        assert (done.returncode, done.stderr) == (0, "")
        assert json.loads(done.stdout)["return"]["status"] == "running"
        # a word with a colon or a slash is never a name
        done = qmpsh("unix:web3", "-c", "query-status", cwd=work)
        assert json.loads(done.stdout)["return"]["status"] == "running"
    finally:
        other.kill()


def test_a_plain_word_without_targets_is_still_a_path(tmp_path: Path) -> None:
    done = qmpsh("nosuch.sock", "-c", "query-status", cwd=tmp_path)
    assert done.returncode == 4
    assert "no socket at nosuch.sock" in one_line(done.stderr)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'address = "/a"\nhmpp = true',
            '[targets.web3]: unknown key "hmpp" (did you mean hmp?)',
        ),
        (
            'address = "/a"\nlibvirt = "web3"',
            "[targets.web3]: gives both address and libvirt: give one of",
        ),
        (
            'address = "/a"\ntls_ca = "/ca.pem"',
            '[targets.web3]: tls_ca goes with a tls: address (tls = "HOST:PORT"), '
            'not "/a"',
        ),
        ('address = "bad:port"', "[targets.web3]: bad port 'port' in 'bad:port'"),
        ("retries = -1", "[targets.web3]: says nowhere to connect"),
    ],
)
def test_a_target_with_a_mistake_is_one_line_and_exit_2(
    table: str, message: str, tmp_path: Path
) -> None:
    path = write_config(f"[targets.web3]\n{table}\n")
    for args in (
        ("web3", "-c", "query-status"),
        ("events", "web3", "-t", "1"),
        ("qom", "list", "-s", "web3"),
    ):
        done = qmpsh(*args, cwd=tmp_path)
        assert done.returncode == 2, args
        assert one_line(done.stderr).startswith(f"qmpsh: {path}: {message}"), args


def test_an_unknown_name_says_the_names_there_are(qemu: Qemu, tmp_path: Path) -> None:
    write_config(
        f'[targets]\nweb3 = "{qemu.sock}"\ndb1 = "{qemu.sock}"\n'
        '[groups]\nweb = ["web3", "nosuch"]\n'  # a bad group costs only itself
    )
    done = qmpsh("wbe3", "-c", "query-status", cwd=tmp_path)
    assert done.returncode == 2
    assert one_line(done.stderr).endswith("here (did you mean web3?)\n")
    done = qmpsh("zzz", "-c", "query-status", cwd=tmp_path)
    assert one_line(done.stderr).endswith("here (targets: db1, web3)\n")
    done = qmpsh("events", "zzz", cwd=tmp_path)
    assert done.returncode == 2 and "(targets: db1, web3)" in one_line(done.stderr)
    assert qmpsh("web3", "-c", "query-status", cwd=tmp_path).returncode == 0


def test_a_broken_group_says_what_is_wrong_with_it(qemu: Qemu, tmp_path: Path) -> None:
    """Naming a ``[groups]`` entry that names a missing target says so, as
    ``qmpsh ls`` does, not that there is no target of the group's name."""
    path = write_config(
        f'[targets]\nweb3 = "{qemu.sock}"\n[groups]\nweb = ["web3", "web4"]\n'
    )
    line = f'qmpsh: {path}: [groups] web: no target is called "web4" (did you mean web3?)\n'
    for args in (("web", "-c", "query-status"), ("events", "web", "-t", "1")):
        done = qmpsh(*args, cwd=tmp_path)
        assert done.returncode == 2, args
        assert one_line(done.stderr) == line, args
    done = qmpsh("web3", "web", "-c", "query-status", cwd=tmp_path)  # fan-out
    assert done.returncode == 2 and one_line(done.stderr) == line
    assert line.removeprefix("qmpsh: ") in qmpsh("ls", cwd=tmp_path).stderr


def test_a_config_file_that_does_not_read(tmp_path: Path) -> None:
    path = write_config("[targets\n")
    done = qmpsh("web3", "-c", "query-status", cwd=tmp_path)
    assert done.returncode == 2
    assert one_line(done.stderr).startswith(
        f"qmpsh: no file 'web3' here, and no target either: {path}: not valid TOML"
    )
    # a path does not read the file at all
    sock = tmp_path / "q.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock))
        done = qmpsh(str(sock), "-c", "query-status", "--connect-timeout", "0.5")
    assert "TOML" not in done.stderr and "nothing is listening" in done.stderr


def test_messages_name_the_target(tmp_path: Path) -> None:
    write_config(f'[targets]\nweb3 = "{tmp_path}/gone.sock"\n')
    done = qmpsh("web3", "-c", "query-status")
    assert done.returncode == 4
    assert one_line(done.stderr) == (
        f"qmpsh: web3: no socket at {tmp_path}/gone.sock (is QEMU running with "
        f"-qmp unix:{tmp_path}/gone.sock,server=on,wait=off?)\n"
    )
