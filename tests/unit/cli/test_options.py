"""The option table: the click-free fast path reads command lines as click
does; what each option sets, and within which limits, comes from its
setting's declaration."""

from __future__ import annotations

from typing import Any

import pytest

from qmpsh.cli import command as cli
from qmpsh.cli import invoke
from qmpsh.cli.options import ALL, defaults, fast_parse
from qmpsh.core.config import check
from qmpsh.core.setting import Setting
from qmpsh.core.settings import SETTINGS, Settings


def click_reading(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[str | None, dict[str, Any]]:
    seen: list[tuple[str | None, dict[str, Any]]] = []

    def record(address: str | None, opts: dict[str, Any]) -> int:
        seen.append((address, dict(opts)))
        return 0

    monkeypatch.setattr(invoke, "open_session", record)
    cli.cli.main(args=argv, prog_name="qmpsh", standalone_mode=False)
    assert len(seen) == 1
    return seen[0]


AGREE = [
    [],
    ["SOCK"],
    ["-c", "query-status", "SOCK"],
    ["SOCK", "-c", "query-status"],
    ["-cquery-status", "-pv", "SOCK"],
    ["-pvr", "-c", "a", "-c", "b", "SOCK", "-c", "c", "-k"],
    ["--command=x y", "--timeout", "2.5", "localhost:4444"],
    ["-l", "/tmp/log", "--connect-timeout=0.5", "[::1]:4"],
    ["--no-validate", "SOCK", "--validate"],
    ["--validate", "SOCK", "--no-validate"],
    ["--color", "never", "--max-inflight", "1", "SOCK"],
    ["-N", "SOCK"],
    ["-H", "SOCK", "--no-pager", "--vi"],
    [
        "--event",
        "STOP",
        "--event",
        "RES*",
        "--regex",
        "--no-case",
        "--match",
        "device=x",
        "SOCK",
    ],
    ["--exclude-event", "X", "--events", "SOCK"],
    [
        "--show-events",
        "inline",
        "--pane-height",
        "3",
        "--retries",
        "0",
        "--retry-delay",
        "0.5",
        "SOCK",
    ],
    ["--read-limit", "2048", "--log-secrets", "SOCK"],
    ["--pass-fd", "a=/dev/null", "--add-fd", "1=/dev/null", "SOCK"],
    ["--listen", "/tmp/l.sock"],
    ["-f", "script.qmp", "-f", "other.qmp", "SOCK"],
    ["-f", "a.qmp", "-c", "x", "SOCK", "-f", "b.qmp", "-c", "y"],
    ["--file=a.qmp", "-pcx", "-f", "-", "SOCK", "--command", "y", "-f", "a.qmp"],
    ["-", "-p"],
]


@pytest.mark.parametrize("argv", AGREE, ids=[" ".join(a) or "(none)" for a in AGREE])
def test_fast_path_agrees_with_click(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = fast_parse(argv)
    assert fast is not None, "the fast path should read this"
    assert fast == click_reading(argv, monkeypatch)


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["-h"],
        ["--version"],
        ["wrap"],
        ["wrap", "-c", "x"],
        ["events", "SOCK"],
        ["qom", "list", "/"],
        ["open", "SOCK"],
        ["--bogus", "SOCK"],
        ["-Z", "SOCK"],
        ["SOCK", "EXTRA"],
        ["--timeout", "-1", "SOCK"],
        ["--timeout", "0", "SOCK"],
        ["--timeout", "soon", "SOCK"],
        ["--timeout", "nan", "SOCK"],
        ["--timeout", "inf", "SOCK"],
        ["--connect-timeout", "NaN", "SOCK"],
        ["--retry-delay", "1e400", "SOCK"],
        ["--color", "purple", "SOCK"],
        ["--pane-height", "101", "SOCK"],
        ["--read-limit", "10", "SOCK"],
        ["-c"],
        ["SOCK", "--timeout"],
        ["--pretty=yes", "SOCK"],
        ["-l", "/", "SOCK"],
        ["--", "SOCK"],
    ],
)
def test_fast_path_steps_aside(argv: list[str]) -> None:
    """Help, subcommands and every mistake go to click (and its messages)."""
    assert fast_parse(argv) is None


def test_shell_completion_goes_to_click(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_QMPSH_COMPLETE", "bash_complete")
    assert fast_parse(["SOCK"]) is None


def test_every_option_is_in_the_help() -> None:
    from click.testing import CliRunner

    text = CliRunner().invoke(cli.cli, ["--help"]).output
    for opt in ALL:
        assert opt.flags[-1] in text, opt.dest


def test_defaults_cover_every_option() -> None:
    assert set(defaults()) == {o.dest for o in ALL}


def test_inputs_keep_the_command_line_order() -> None:
    parsed = fast_parse(["-f", "a", "-c", "x", "SOCK", "-f", "-", "-c", "y"])
    assert parsed is not None
    order = parsed[1]["input_order"]
    assert order == ("files", "commands", "files", "commands")
    assert invoke.ordered_sources(("x", "y"), ("a", "-"), order) == (
        ("-f", "a"),
        ("-c", "x"),
        ("-f", "-"),
        ("-c", "y"),
    )
    # an order that does not account for every value: -c first, as before
    assert invoke.ordered_sources(("x",), ("a",), ()) == (("-c", "x"), ("-f", "a"))
    assert invoke.ordered_sources(("x",), ("a",), ("files",)) == (
        ("-c", "x"),
        ("-f", "a"),
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--timeout", "nan", "SOCK"],
        ["--timeout", "inf", "SOCK"],
        ["--connect-timeout", "nan", "SOCK"],
        ["--retry-delay", "inf", "SOCK"],
        ["events", "-t", "nan", "SOCK"],
        ["events", "--connect-timeout", "inf", "SOCK"],
        ["qom", "get", "--timeout", "nan", "-s", "SOCK", "/machine.type"],
        ["qom", "list", "--connect-timeout", "nan", "-s", "SOCK"],
    ],
)
def test_not_a_finite_number_is_a_usage_error(argv: list[str]) -> None:
    """click's FloatRange lets nan (never below a minimum) and inf through."""
    from click.testing import CliRunner

    done = CliRunner().invoke(cli.cli, argv)
    assert done.exit_code == 2, done.output
    assert "is not a finite number in the range " in done.output


def given(s: Setting) -> tuple[list[str], Any]:
    """A use of the setting *s*'s option, and the value it should give."""
    if s.negative:
        return [s.negative], False
    if not s.takes_value():
        return [s.flags[-1]], s.flag_value()
    value: Any = "some text"
    if s.choices:
        value = next(c for c in s.choices if c != s.default)
    elif s.file:
        value = "/tmp/qmpsh-test.log"
    elif s.kind in (int, float):
        value = s.kind(s.max if s.max is not None else (s.min or 0) + 7)
    elif s.kind is tuple:  # repeatable: each use adds one
        return [s.flags[-1], "a", s.flags[-1], "b"], ("a", "b")
    return [s.flags[-1], str(value)], value


FLAGGED = [s for s in SETTINGS if s.flags]


@pytest.mark.parametrize("s", FLAGGED, ids=[s.flags[-1] for s in FLAGGED])
def test_every_option_sets_its_setting_without_a_mapping(
    s: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What an option sets comes from its declaration: a setting added to
    the table needs no line in qmpsh.cli.invoke."""
    args, value = given(s)
    assert value != s.default
    argv = [*args, "SOCK"]
    fast = fast_parse(argv)
    assert fast is not None
    assert fast == click_reading(argv, monkeypatch)
    settings = invoke.settings(fast[1])
    assert getattr(settings, s.name) == value
    assert settings == Settings().replace(**{s.name: value})


def test_the_event_filter_is_made_of_its_options() -> None:
    fast = fast_parse(["--event", "STOP", "SOCK"])
    assert fast is not None
    flt = invoke.settings(fast[1]).event_filter
    assert flt is not None and flt.matches({"event": "STOP"})
    assert not flt.matches({"event": "RESUME"})


LIMITED = [s for s in FLAGGED if s.max is not None or s.min is not None]


@pytest.mark.parametrize("s", LIMITED, ids=[s.flags[-1] for s in LIMITED])
def test_a_limit_holds_on_both_paths(s: Setting) -> None:
    """Beyond its limits, a value is refused by the fast path and click,
    and by the config file when the setting is a key there."""
    from click.testing import CliRunner

    outside = []
    if s.max is not None:
        outside.append(s.max * 100)
    if s.min is not None:
        outside.append(s.min if s.min_open else s.min - 1)
    for value in outside:
        text = str(s.kind(value))
        argv = [s.flags[-1], text, "SOCK"]
        assert fast_parse(argv) is None, argv
        done = CliRunner().invoke(cli.cli, argv)
        assert done.exit_code == 2, argv
        assert f"Invalid value for '{s.flags[-1]}'" in done.output
        if s.config:
            _, warnings = check({s.name: s.kind(value)})
            assert warnings == [
                f"{s.name}: expected {s.limits()}, not {s.kind(value)}; "
                "using the default"
            ]


def test_retry_delay_beyond_the_config_files_limit_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """As ``retry_delay = 99999`` in the config file: one line, exit 2."""
    from qmpsh.cli.main import main

    with pytest.raises(SystemExit) as done:
        main(["--retry-delay", "99999", "SOCK"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err == (
        "qmpsh: Invalid value for '--retry-delay': 99999.0 is not in the range "
        "0<=x<=3600. (see qmpsh --help)\n"
    )
