"""Named targets and groups in the config file (qmpsh.core.targets): what a
table means, every mistake as one line, and the settings' target layer."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from qmpsh.core import targets
from qmpsh.core.settings import SETTING, Settings, build_settings
from qmpsh.core.targets import PER_TARGET, Target, may_name, read


def target(text: str, name: str = "web3") -> Target:
    found = read(tomllib.loads(text), "config.toml", reserved=("ls", "wrap"))
    return found.targets[name]


@pytest.mark.parametrize(
    ("table", "address"),
    [
        ('address = "/run/web3.sock"', "/run/web3.sock"),
        ('address = "localhost:4444"', "localhost:4444"),
        ('address = "unix:rel.sock"', "unix:rel.sock"),
        ('libvirt = "web3"', "libvirt:web3"),
        ('ssh = "ops@host"\npath = "/run/qmp.sock"', "ssh://ops@host/run/qmp.sock"),
        ('ssh = "host:2222"\npath = "/q.sock"', "ssh://host:2222/q.sock"),
        ('tls = "host:4444"', "tls://host:4444"),
        ('address = "tls://host:4444"', "tls://host:4444"),
    ],
)
def test_where_the_server_is(table: str, address: str) -> None:
    found = target(f"[targets.web3]\n{table}\n")
    assert found == Target("web3", address, {})


def test_a_string_is_the_address_alone() -> None:
    assert target('[targets]\nweb3 = "/run/web3.sock"\n').address == "/run/web3.sock"


def test_a_tilde_is_the_home_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/ops")
    assert target('[targets]\nweb3 = "~/vm/q.sock"\n').address == "/home/ops/vm/q.sock"
    found = target('[targets.web3]\naddress = "/a"\nlogfile = "~/web3.log"\n')
    assert found.settings == {"logfile": "/home/ops/web3.log"}


def test_settings_of_a_target() -> None:
    found = target(
        "[targets.web3]\n"
        'address = "/run/web3.sock"\n'
        "pretty = true\n"
        "timeout = 5\n"
        "negotiate = false\n"
        'confirm_commands = ["quit", "stop"]\n'
    )
    assert found.settings == {
        "pretty": True,
        "timeout": 5,
        "negotiate": False,
        "confirm_commands": ("quit", "stop"),
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            '[targets.web3]\naddress = "/a"\nhmpp = true',
            '[targets.web3]: unknown key "hmpp" (did you mean hmp?)',
        ),
        (
            '[targets.web3]\naddress = "/a"\nlibvirt = "web3"',
            '[targets.web3]: gives both address and libvirt: give one of address = "ADDRESS", libvirt = "DOMAIN"',
        ),
        (
            "[targets.web3]\npretty = true",
            "[targets.web3]: says nowhere to connect: give one of address",
        ),
        (
            '[targets.web3]\naddress = ""',
            "[targets.web3]: address: expected a string like",
        ),
        (
            "[targets.web3]\naddress = 4444",
            "[targets.web3]: address: expected a string",
        ),
        (
            '[targets.web3]\naddress = "/a"\ntimeout = -1',
            "[targets.web3]: timeout: expected more than 0, not -1",
        ),
        (
            '[targets.web3]\naddress = "/a"\npretty = "yes"',
            '[targets.web3]: pretty: expected true or false, not "yes"',
        ),
        (
            '[targets.web3]\naddress = "/a"\nhistory_size = 5',
            "[targets.web3]: history_size is the user's, not a target's: set it at the top",
        ),
        (
            '[targets.web3]\naddress = "/a"\npath = "/b"',
            "[targets.web3]: path goes with ssh",
        ),
        (
            '[targets.web3]\nssh = "host"',
            '[targets.web3]: ssh needs path = "/PATH"',
        ),
        (
            '[targets.web3]\nssh = "host"\npath = "run/q.sock"',
            '[targets.web3]: path: expected an absolute path "/...", not "run/q.sock"',
        ),
        (
            '[targets.web3]\nssh = "host/x"\npath = "/q"',
            '[targets.web3]: ssh = "host/x": expected "[user@]host[:port]"',
        ),
        (
            '[targets.web3]\naddress = "/a"\nhmp = true\nnegotiate = false',
            "[targets.web3]: hmp = true needs a QEMU monitor, and negotiate = false",
        ),
        (
            '[targets.web3]\naddress = "/a\\u001b[2J"',
            '[targets.web3]: address: "/a\\\\x1b[2J" holds control characters',
        ),
        (
            "[targets]\nweb3 = 5",
            "[targets.web3]: expected a table of keys or an address string",
        ),
        (
            '[targets.ls]\naddress = "/a"',
            "[targets.ls]: 'ls' is a qmpsh subcommand (qmpsh ls): choose another name",
        ),
        (
            '[targets."a/b"]\naddress = "/a"',
            '[targets]: "a/b" cannot be a name: use letters, digits and _ . + -',
        ),
        (
            '[targets."-x"]\naddress = "/a"',
            '[targets]: "-x" cannot be a name',
        ),
    ],
)
def test_each_mistake_is_one_line_naming_the_target(text: str, problem: str) -> None:
    name = next(iter(tomllib.loads(text)["targets"]))
    found = target(text, name)
    assert found.problem.startswith(problem), found.problem
    assert "\n" not in found.problem and "\x1b" not in found.problem
    assert found.address == ""


def test_a_transports_settings_go_with_its_addresses_once_declared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a transport setting this qmpsh does not declare: refused, naming it
    monkeypatch.delitem(SETTING, "tls_ca", raising=False)
    monkeypatch.delitem(SETTING, "libvirt_uri", raising=False)
    assert "tls_ca" not in SETTING
    found = target('[targets.web3]\ntls = "host:4444"\ntls_ca = "/ca.pem"\n')
    assert found.problem == (
        "[targets.web3]: tls_ca is not a setting of this qmpsh (yet): it cannot "
        "reach tls: addresses with it"
    )
    found = target('[targets.web3]\nlibvirt = "web3"\nlibvirt_uri = "qemu:///system"\n')
    assert "libvirt_uri is not a setting of this qmpsh (yet)" in found.problem


def test_a_declared_transport_setting_goes_with_its_scheme_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Once the tls transport declares tls_ca, a tls target takes it, and
    only a tls one."""
    monkeypatch.setitem(SETTING, "tls_ca", SETTING["logfile"]._replace(name="tls_ca"))
    good = target('[targets.web3]\ntls = "host:4444"\ntls_ca = "/ca.pem"\n')
    assert good == Target("web3", "tls://host:4444", {"tls_ca": "/ca.pem"})
    also = target('[targets.web3]\naddress = "tls://h:1"\ntls_ca = "/ca.pem"\n')
    assert also.settings == {"tls_ca": "/ca.pem"}
    bad = target('[targets.web3]\naddress = "/run/q.sock"\ntls_ca = "/ca.pem"\n')
    assert bad.problem == (
        '[targets.web3]: tls_ca goes with a tls: address (tls = "HOST:PORT"), '
        'not "/run/q.sock"'
    )


def test_every_per_target_setting_reads_in_a_table() -> None:
    """A target takes each setting it lists, as the top level would (the
    defaults read back)."""
    from qmpsh.core.config import toml_value

    lines = ['address = "/a"']
    transports_own = {name for via in targets.VIAS for name in via.settings}
    for name in PER_TARGET:
        default = SETTING[name].default
        # a transport's own settings go with its addresses only (tested above)
        if default is not None and name not in transports_own:
            lines.append(f"{name} = {toml_value(default)}")
    found = target("[targets.web3]\n" + "\n".join(lines) + "\n")
    assert found.problem == ""
    for name, value in found.settings.items():
        assert value == SETTING[name].default
    # what is the user's stays at the top level
    assert not {"key_mode", "history_size", "addresses", "pager"} & set(PER_TARGET)
    assert {"hmp", "negotiate", "timeout", "pretty", "confirm"} <= set(PER_TARGET)


def test_groups() -> None:
    text = (
        '[targets]\nweb3 = "/a"\nweb4 = "/b"\n'
        "[groups]\n"
        'web = ["web3", "web4"]\n'
        'typo = ["web3", "wbe4"]\n'
        'web3 = ["web4"]\n'
        "empty = []\n"
        'twice = ["web3", "web3"]\n'
    )
    found = read(tomllib.loads(text), "config.toml")
    assert found.groups == {"web": ("web3", "web4")}
    assert found.problems == (
        '[groups] typo: no target is called "wbe4" (did you mean web4?)',
        "[groups] web3: a target has that name: a group needs its own",
        '[groups] empty: expected a list of target names like ["web3", "web4"], not []',
        "[groups] twice: names web3 twice",
    )


def test_tables_of_the_wrong_shape() -> None:
    found = read({"targets": "x", "groups": 3})
    assert found.problems == (
        'targets: expected tables [targets.NAME], not "x"',
        'groups: expected a table, as [groups] web = ["web3"], not 3',
    )


def test_load_never_fails(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    assert targets.load(str(path)) == targets.Targets(str(path))
    path.write_text("[targets\n")
    assert targets.load(str(path)).unreadable.startswith("not valid TOML")
    path.write_text('[targets]\nweb3 = "/a"\n')
    assert targets.load(str(path)).targets["web3"].address == "/a"


def test_suggest() -> None:
    found = read(tomllib.loads('[targets]\nweb3 = "/a"\ndb1 = "/b"\n'))
    assert found.suggest("wbe3") == " (did you mean web3?)"
    assert found.suggest("zzz") == " (targets: db1, web3)"
    assert read({}).suggest("x") == ""


@pytest.mark.parametrize(
    ("word", "name"),
    [
        ("web3", True),
        ("./web3", False),
        ("web3:1", False),
        ("unix:x", False),
        ("", False),
    ],
)
def test_what_may_name_a_target(word: str, name: bool) -> None:
    assert may_name(word) is name


def test_the_command_line_reads_names_as_may_name_does() -> None:
    """qmpsh.cli.targets keeps the config file unread for paths and
    HOST:PORTs, with the same rule."""
    import inspect

    from qmpsh.cli import targets as cli_targets

    assert '"/" in text or ":" in text' in inspect.getsource(cli_targets._resolve)


def test_precedence_file_target_env_flags() -> None:
    file: dict[str, Any] = {"pretty": True, "color": "always", "retries": 2}
    table: dict[str, Any] = {"color": "never", "retries": 3, "timeout": 5.0}
    s = build_settings({}, file, env={}, target=table)
    assert (s.pretty, s.color, s.retries, s.timeout) == (True, "never", 3, 5.0)
    # the environment over the target's table, options over both
    s = build_settings({}, file, env={"NO_COLOR": "1"}, target={"color": "always"})
    assert s.color == "never"
    s = build_settings({"retries": 9}, file, env={}, target=table)
    assert s.retries == 9
    assert build_settings({}, env={}, target={}) == Settings()
