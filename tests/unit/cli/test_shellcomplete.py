"""Shell completion of the qmpsh command line: the logic, through click's API.

(The scripts in real bash, zsh and fish: tests/terminal/test_shell_completion.py.)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from qmpsh.cli import addrcomplete, shellcomplete
from qmpsh.cli.addrcomplete import Candidate, candidates
from qmpsh.cli.command import cli
from qmpsh.cli.shellcomplete import bash_word, completions, split_line
from tests.procs import ROOT

BASH_BREAKS = " \t\n\"'><=;|&(:"


def make_socket(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    return sock


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The current directory: qmp.sock, vm/mon.sock, a file, a hidden socket,
    a link to a socket and a directory without sockets."""
    root = tmp_path / "work"
    (root / "vm").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "notes.txt").write_text("not a socket\n")
    sockets = [
        make_socket(root / "qmp.sock"),
        make_socket(root / "vm" / "mon.sock"),
        make_socket(root / ".hidden.sock"),
    ]
    (root / "link.sock").symlink_to(root / "qmp.sock")
    (root / "dangling").symlink_to(root / "gone")
    monkeypatch.chdir(root)
    try:
        yield root
    finally:
        for sock in sockets:
            sock.close()


def values(line: str) -> list[str]:
    return [item.value for item in completions(cli, line)]


# -- reading the command line ---------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("qmpsh ", ([], "")),
        ("qmpsh w", ([], "w")),
        ("qmpsh -p --color=al", (["-p"], "--color=al")),
        ("qmpsh -c 'query-status' ", (["-c", "query-status"], "")),
        ("qmpsh 'my dir/q", ([], "my dir/q")),
        ("qmpsh my\\ dir/", ([], "my dir/")),
        ("QMP_SOCKET=x LANG=C qmpsh qom ", (["qom"], "")),
        (".venv/bin/qmpsh events /tmp/", (["events"], "/tmp/")),
    ],
)
def test_split_line(line: str, expected: tuple[list[str], str]) -> None:
    assert split_line(line) == expected


@pytest.mark.parametrize(
    ("value", "incomplete", "expected"),
    [
        ("localhost:4444", "localhost:4", "4444"),
        ("localhost:4444", "localhost:", "4444"),
        ("[::1]:4444", "[::1]:", "4444"),
        ("localhost:4444", "loc", "localhost:4444"),
        ("always", "--color=al", "always"),  # click gives the value alone
        ("/tmp/qmp.sock", "/tmp/q", "/tmp/qmp.sock"),
    ],
)
def test_bash_replaces_after_the_last_colon(
    value: str, incomplete: str, expected: str
) -> None:
    assert bash_word(value, incomplete, BASH_BREAKS) == expected


def test_bash_without_colon_in_wordbreaks_keeps_the_value() -> None:
    assert bash_word("localhost:4444", "localhost:4", " \t\n") == "localhost:4444"


# -- addresses --------------------------------------------------------------


def test_sockets_and_directories_of_the_current_directory(tree: Path) -> None:
    assert candidates("") == [
        Candidate("link.sock", "socket"),
        Candidate("qmp.sock", "socket"),
        Candidate("empty/", "dir"),
        Candidate("vm/", "dir"),
    ]


def test_a_prefix_a_directory_and_hidden_entries(tree: Path) -> None:
    assert candidates("q") == [Candidate("qmp.sock", "socket")]
    assert candidates("vm/") == [Candidate("vm/mon.sock", "socket")]
    assert candidates("vm/x") == []
    assert candidates(".h") == [Candidate(".hidden.sock", "socket")]
    assert candidates(f"{tree}/vm/m") == [Candidate(f"{tree}/vm/mon.sock", "socket")]
    assert candidates("/nonexistent/dir/") == []


def test_tilde_is_kept_as_typed(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tree))
    assert candidates("~/vm/") == [Candidate("~/vm/mon.sock", "socket")]


def test_configured_addresses_follow_the_files(tree: Path) -> None:
    configured = ["localhost:4444", "qmp.sock", "/run/vm.sock"]
    assert candidates("", configured)[-2:] == [
        Candidate("localhost:4444", "configured"),
        Candidate("/run/vm.sock", "configured"),
    ]
    assert candidates("loc", configured) == [Candidate("localhost:4444", "configured")]


def write_config(home: Path, text: str) -> None:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "qmpsh" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_config_file_addresses(private_dirs: Path) -> None:
    assert addrcomplete.configured_addresses() == ()
    write_config(private_dirs, 'addresses = ["localhost:4444", "[::1]:5555"]\n')
    assert addrcomplete.configured_addresses() == ("localhost:4444", "[::1]:5555")
    write_config(private_dirs, "addresses = 4444\n")  # wrong type: none
    assert addrcomplete.configured_addresses() == ()
    write_config(private_dirs, "addresses = [\n")  # not TOML: none
    assert addrcomplete.configured_addresses() == ()
    # completion never writes the config file (the shell's first run does)
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "qmpsh" / "config.toml"
    path.unlink()
    addrcomplete.configured_addresses()
    assert not path.exists()


def test_target_names_come_first_with_their_address(tree: Path) -> None:
    targets = {"qmp-prod": "/run/prod.sock", "web3": "libvirt:web3"}
    assert candidates("q", ["qemu-host:4444"], targets) == [
        Candidate("qmp-prod", "target", "/run/prod.sock"),
        Candidate("qmp.sock", "socket"),
        Candidate("qemu-host:4444", "configured"),
    ]
    assert candidates("", (), targets)[:2] == [
        Candidate("qmp-prod", "target", "/run/prod.sock"),
        Candidate("web3", "target", "libvirt:web3"),
    ]
    # a word with / or : is never a name
    assert candidates("vm/", (), {"vm": "/x"}) == [Candidate("vm/mon.sock", "socket")]


TARGETS = """
[targets.web3]
address = "/run/web3.sock"

[targets.web4]
libvirt = "web4"

[targets.wrong]
adress = "/typo"
"""


def test_config_file_targets(private_dirs: Path) -> None:
    assert addrcomplete.configured_targets() == {}
    write_config(private_dirs, TARGETS)
    # a target with a mistake is not offered
    assert addrcomplete.configured_targets() == {
        "web3": "/run/web3.sock",
        "web4": "libvirt:web4",
    }
    write_config(private_dirs, "[targets\n")  # not TOML: none
    assert addrcomplete.configured_targets() == {}


# -- the command line, through click ----------------------------------------


def test_first_word_offers_subcommands_and_sockets(tree: Path) -> None:
    found = completions(cli, "qmpsh ")
    assert [i.value for i in found] == [
        "events",
        "ls",
        "proxy",
        "qom",
        "wrap",
        "link.sock",
        "qmp.sock",
        "empty/",
        "vm/",
    ]
    kinds = {i.value: (i.type, i.help) for i in found}
    assert kinds["qmp.sock"] == ("path", "socket")
    assert kinds["vm/"] == ("path", "dir")
    wrap_help = kinds["wrap"][1]
    assert wrap_help is not None and wrap_help.startswith("Start QEMU")
    assert "open" not in kinds  # the hidden command behind ADDRESS


def test_first_word_prefixes(tree: Path, private_dirs: Path) -> None:
    write_config(private_dirs, 'addresses = ["qemu-host:4444"]\n')
    assert values("qmpsh w") == ["wrap"]
    assert values("qmpsh q") == ["qom", "qmp.sock", "qemu-host:4444"]
    assert values("qmpsh vm/") == ["vm/mon.sock"]
    assert values("qmpsh -p -c query-status q") == ["qom", "qmp.sock", "qemu-host:4444"]


def test_target_names_wherever_an_address_goes(tree: Path, private_dirs: Path) -> None:
    write_config(private_dirs, TARGETS)
    assert values("qmpsh w") == ["wrap", "web3", "web4"]
    assert values("qmpsh -p we") == ["web3", "web4"]
    assert values("qmpsh events we") == ["web3", "web4"]
    assert values("qmpsh qom get -s we") == ["web3", "web4"]
    assert values("qmpsh qom tree --socket=web") == ["web3", "web4"]
    helps = {i.value: i.help for i in completions(cli, "qmpsh web")}
    assert helps == {"web3": "target: /run/web3.sock", "web4": "target: libvirt:web4"}


def test_options_and_their_values(tree: Path) -> None:
    assert values("qmpsh --col") == ["--color"]
    assert values("qmpsh --color ") == ["auto", "always", "never"]
    assert values("qmpsh --color=al") == ["always"]
    assert values("qmpsh --show-events ") == ["pane", "inline", "off"]
    assert {"-c", "--command", "--completion", "--version"} <= set(values("qmpsh -"))
    assert [i.type for i in completions(cli, "qmpsh -f ")] == ["file"]
    assert [i.type for i in completions(cli, "qmpsh -l ")] == ["file"]
    assert values("qmpsh --completion ") == ["bash", "zsh", "fish"]


def test_after_the_address(tree: Path) -> None:
    # several addresses open one shell on all of them
    assert values("qmpsh qmp.sock ") == ["link.sock", "qmp.sock", "empty/", "vm/"]
    assert "--pretty" in values("qmpsh qmp.sock -")
    assert values("qmpsh qmp.sock --no-") == [
        "--no-validate",
        "--no-pager",
        "--no-case",
    ]


def test_subcommands(tree: Path) -> None:
    assert values("qmpsh qom ") == ["fuse", "get", "list", "set", "tree"]
    assert values("qmpsh qom get -s ") == ["link.sock", "qmp.sock", "empty/", "vm/"]
    assert values("qmpsh qom tree --socket vm/") == ["vm/mon.sock"]
    assert values("qmpsh qom set --") == [
        "--socket",
        "--timeout",
        "--connect-timeout",
        "--tls-ca",
        "--tls-cert",
        "--tls-key",
        "--tls-hostname",
        "--libvirt-uri",
        "--read-only",
        "--allow",
        "--deny",
        "--verbose",
        "--help",
    ]
    assert values("qmpsh events vm/") == ["vm/mon.sock"]
    assert {"-e", "--count", "--timestamp"} <= set(values("qmpsh events -"))
    assert "--pretty" in values("qmpsh wrap -")
    assert values("qmpsh wrap -- ") == []  # QEMU's own arguments


# -- the protocol the scripts speak -----------------------------------------


def run_completion(shell: str, line: str, cwd: Path) -> list[str]:
    """qmpsh as the scripts call it, in a fresh process (the fast path must
    step aside)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "_QMPSH_COMPLETE": f"{shell}_complete",
        "COMP_LINE": line,
        "COMP_WORDBREAKS": BASH_BREAKS,
    }
    done = subprocess.run(
        [sys.executable, "-m", "qmpsh"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.splitlines()


def test_bash_protocol(tree: Path, private_dirs: Path) -> None:
    write_config(private_dirs, 'addresses = ["localhost:4444"]\n')
    assert run_completion("bash", "qmpsh vm", tree) == ["path,vm"]
    assert run_completion("bash", "qmpsh l", tree) == [
        "plain,ls",
        "path,link.sock",
        "plain,localhost:4444",
    ]
    assert run_completion("bash", "qmpsh localhost:4", tree) == ["plain,4444"]
    assert run_completion("bash", "qmpsh --color=n", tree) == ["plain,never"]
    write_config(private_dirs, TARGETS)
    assert run_completion("bash", "qmpsh events web", tree) == [
        "plain,web3",
        "plain,web4",
    ]


def test_zsh_protocol(tree: Path) -> None:
    assert run_completion("zsh", "qmpsh --color=n", tree) == [
        "plain",
        "--color=never",
        "_",
    ]
    out = run_completion("zsh", "qmpsh w", tree)
    assert out[:2] == ["plain", "wrap"]
    assert out[2].startswith("Start QEMU")


def test_fish_protocol(tree: Path) -> None:
    assert run_completion("fish", "qmpsh vm/", tree) == ["path,vm/mon.sock\tsocket"]
    assert run_completion("fish", "qmpsh --color=n", tree) == ["plain,--color=never"]


def test_completion_option_prints_the_scripts() -> None:
    for shell in shellcomplete.SHELLS:
        done = subprocess.run(
            [sys.executable, "-m", "qmpsh", "--completion", shell],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == shellcomplete.script(cli, shell)
        assert "_QMPSH_COMPLETE=" in done.stdout
        assert "%(" not in done.stdout  # every placeholder filled
