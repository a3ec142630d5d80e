"""The files written from the click definition are current, and sound.

``python -m tools.generate`` writes completions/ and docs/qmpsh.1; when a
help text or an option changes, these tests fail until it is run again.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from qmpsh import __version__
from qmpsh.cli import command as cli
from qmpsh.core.exitcodes import Exit
from tests.procs import ROOT, need
from tools import generate, manpage


def test_regenerating_changes_nothing() -> None:
    assert generate.stale(ROOT) == [], "run: python -m tools.generate"


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "qmpsh.1").write_text("old\n")
    run = [sys.executable, "-m", "tools.generate", "--root", str(tmp_path)]
    done = subprocess.run([*run, "--check"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1
    assert "docs/qmpsh.1 is out of date" in done.stderr
    done = subprocess.run(run, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0
    assert sorted(done.stdout.split()) == sorted(
        ["wrote", "wrote", "wrote", "wrote", *generate.TARGETS]
    )
    done = subprocess.run([*run, "--check"], capture_output=True, text=True, cwd=ROOT)
    assert (done.returncode, done.stderr) == (0, "")


def all_options(group: click.Group) -> list[str]:
    """Every option name of every command (the man page must show them)."""
    names: list[str] = []

    def walk(command: click.Command, ctx: click.Context) -> None:
        names.extend(o for p in command.params for o in (*p.opts, *p.secondary_opts))
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                if not sub.hidden:
                    walk(sub, click.Context(sub, info_name=name, parent=ctx))

    walk(group, click.Context(group, info_name="qmpsh"))
    return [n for n in names if n.startswith("-")]


def test_man_page_shows_every_option_and_subcommand() -> None:
    page = manpage.render(cli.cli, __version__)
    text = page.replace("\\-", "-")
    for option in all_options(cli.cli):
        assert f"\\fB{option}\\fR" in text, option
    for usage in ("qmpsh wrap", "qmpsh events", "qmpsh qom get", "qmpsh qom fuse"):
        assert f".SS {usage} [OPTIONS]" in text
    assert f'"qmpsh {__version__}"' in page


def test_man_page_exit_codes_are_qmpsh_exit_codes() -> None:
    assert set(manpage.EXIT_STATUS) == set(Exit)


def test_man_page_renders_without_warnings() -> None:
    groff = need("groff")
    done = subprocess.run(
        [groff, "-man", "-Tutf8", "-ww", "-z", str(ROOT / "docs" / "qmpsh.1")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_escape() -> None:
    assert manpage.escape("a-b \\n") == "a\\-b \\en"
    assert manpage.escape("x\n.y\n'z") == "x\n\\&.y\n\\&'z"
