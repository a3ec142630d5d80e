"""Settings: defaults < config file < environment < flags; the config file;
each setting declared once, and found everywhere its declaration says."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path

import click
import pytest

from qmpsh.core import config, targets
from qmpsh.core.setting import Setting
from qmpsh.core.settings import DEFAULTS, SETTINGS, Settings, build_settings


def test_precedence_defaults_file_env_flags() -> None:
    assert build_settings({}, env={}).color == "auto"
    file = {"color": "always", "pager": "more", "pretty": True, "retries": 2}
    assert build_settings({}, file, env={}).color == "always"
    env = {"NO_COLOR": "1", "QMPSH_PAGER": "cat"}
    s = build_settings({}, file, env=env)
    assert (s.color, s.pager, s.pretty, s.retries) == ("never", "cat", True, 2)
    s = build_settings({"color": "always", "retries": 7, "pager": None}, file, env=env)
    assert (s.color, s.pager, s.retries) == ("always", "cat", 7)


def test_empty_no_color_does_not_count(monkeypatch: pytest.MonkeyPatch) -> None:
    assert build_settings({}, env={"NO_COLOR": ""}).color == "auto"
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("NO_COLOR", "")
    assert Settings(color="auto").use_color(True)
    monkeypatch.setenv("NO_COLOR", "1")  # --color=auto given: NO_COLOR still counts
    assert not Settings(color="auto").use_color(True)


def test_settings_are_frozen() -> None:
    s = Settings()
    with pytest.raises(AttributeError):
        s.pretty = True  # type: ignore[misc]


def test_template_lists_every_setting_at_its_default() -> None:
    text = config.template()
    entry = re.compile(r"# ([a-z_]+ = |\[)")  # a key, a table (not the prose)
    uncommented = "\n".join(
        line[2:] if entry.match(line) else line for line in text.splitlines()
    )
    raw = tomllib.loads(uncommented)
    values, warnings = config.check(raw)
    assert warnings == []
    assert set(values) == {key for key, _ in config.DOCUMENTED}
    assert build_settings({}, values, env={}) == Settings()
    # and its example of a target and a group holds no mistake
    found = targets.read(raw)
    assert [t.problem for t in found.targets.values()] == [""]
    assert found.problems == ()
    assert found.groups == {"web": ("web3",)}
    # as written, everything is commented out
    assert tomllib.loads(text) == {}


def test_written_on_first_run_only(private_dirs: Path) -> None:
    path = config.config_path()
    assert not path.exists()
    assert config.shell_config() == {}
    assert path.read_text() == config.template()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    path.write_text('pretty = true\nevent_display = "inline"\n')
    assert config.shell_config() == {"pretty": True, "event_display": "inline"}
    assert "pretty = true" in path.read_text()  # not overwritten


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        ("pretty = 1", "pretty: expected true or false, not 1"),
        ('event_display = "side"', "event_display: expected one of pane, inline"),
        ("event_pane_height = 0", "event_pane_height: expected 1 to 100, not 0"),
        ("retries = 2.5", "retries: expected a whole number"),
        ('confirm_commands = "quit"', "confirm_commands: expected a list"),
        ('style = "nosuch"', "no pygments style is called"),
        ("prety = true", "unknown setting 'prety' (did you mean pretty?)"),
        ("pretty = ", "not valid TOML"),
    ],
)
def test_bad_entries_cost_one_warning_and_that_setting(
    tmp_path: Path, text: str, warning: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'key_mode = "vi"\n{text}\n' if "TOML" not in warning else text)
    values, warnings = config.load(path)
    assert len(warnings) == 1 and warning in warnings[0]
    if "TOML" not in warning:
        assert values == {"key_mode": "vi"}


def test_warnings_go_to_stderr_with_the_path(
    private_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("pretty = 1\n")
    assert config.shell_config() == {}
    err = capsys.readouterr().err
    assert (
        err
        == f"qmpsh: {path}: pretty: expected true or false, not 1; using the default\n"
    )


def test_style_accepts_any_pygments_style(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('style = "monokai"\nconfirm_commands = ["quit"]\n')
    assert config.load(path) == (
        {"style": "monokai", "confirm_commands": ("quit",)},
        [],
    )


# -- one declaration per setting (qmpsh.core.settings) ----------------------


def test_the_declarations_are_the_fields_of_settings() -> None:
    """No setting is declared apart from its field: the table is `Settings`."""
    assert [s.name for s in SETTINGS] == list(Settings._fields)
    assert all(getattr(Settings(), s.name) == s.default for s in SETTINGS)
    assert Settings() == DEFAULTS
    # the defaults the wire layer uses are the settings' own
    from qmpsh.wire import connection, eventlog

    assert DEFAULTS.connect_timeout == connection.DEFAULT_CONNECT_TIMEOUT
    assert DEFAULTS.read_limit == connection.DEFAULT_READ_LIMIT
    assert DEFAULTS.event_history == eventlog.DEFAULT_HISTORY


def _click_options() -> dict[str, click.Option]:
    from qmpsh.cli.command import cli

    return {
        opt: param
        for param in cli.params
        if isinstance(param, click.Option)
        for opt in (*param.opts, *param.secondary_opts)
    }


@pytest.mark.parametrize("s", SETTINGS, ids=[s.name for s in SETTINGS])
def test_every_setting_shows_up_where_its_declaration_says(s: Setting) -> None:
    from qmpsh import __version__
    from qmpsh.cli.command import cli
    from tools import manpage

    page = manpage.render(cli, __version__).replace("\\-", "-")
    template = config.template()
    if s.flags:
        option = _click_options()[s.flags[0]]
        assert {*s.flags, *filter(None, [s.negative])} <= {
            *option.opts,
            *option.secondary_opts,
        }
        assert option.help == s.help_text()
        assert f"\\fB{s.flags[-1]}\\fR" in page
    if "{default}" in s.help:
        assert f"default: {s.shown}" in s.help_text()
    # a default the help shows is the table's, never typed by hand
    assert not re.search(r"default: (?!\{default\})", s.help), s.help
    if s.flags and s.takes_value() and not s.choices and s.default not in (None, ()):
        assert "{default}" in s.help, "the help should show the default"
    if s.config:
        entry = f"# {s.config}\n# {s.name} = {config.toml_value(s.default)}\n"
        assert entry in template
        assert f"\\fB{s.name}\\fR = {config.toml_value(s.default)}\n" in page
        assert s.config.replace("\\-", "-") in page
    else:
        assert f"# {s.name} = " not in template
    if s.env:
        header = template.split("\n\n")[0]
        assert s.env in header
        environment = page.split(".SH ENVIRONMENT")[1].split(".SH")[0]
        assert f".B {s.env}\n{s.env_help}" in environment


def test_a_limit_holds_in_the_config_file_as_on_the_command_line() -> None:
    """--retry-delay 99999 is refused as ``retry_delay = 99999`` is (the
    command line's side: tests/unit/cli/test_options.py)."""
    values, warnings = config.check({"retry_delay": 99999, "retries": 1001})
    assert values == {}
    assert warnings == [
        "retry_delay: expected 0 to 3600, not 99999; using the default",
        "retries: expected 0 to 1000, not 1001; using the default",
    ]
    assert config.check({"retry_delay": 3600, "retries": 1000})[1] == []
    _, warnings = config.check({"retry_delay": float("inf")})
    assert warnings == ["retry_delay: expected 0 to 3600, not inf; using the default"]
