"""``qmpsh --help`` and every subcommand's help are complete.

Walks the click tree (the hidden ``open`` command behind ADDRESS included):
every command explains itself, names its arguments, and every option has a
help text that is a sentence ending with a period.
"""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from qmpsh.cli.command import cli


def commands() -> list[tuple[list[str], click.Command]]:
    """(path, command) of every command, hidden ones too."""
    out: list[tuple[list[str], click.Command]] = []

    def walk(path: list[str], command: click.Command, ctx: click.Context) -> None:
        out.append((path, command))
        if isinstance(command, click.Group):
            for name in sorted({*command.list_commands(ctx), *command.commands}):
                sub = command.get_command(ctx, name)
                assert sub is not None, name
                walk([*path, name], sub, click.Context(sub, info_name=name, parent=ctx))

    walk([], cli, click.Context(cli, info_name="qmpsh"))
    return out


COMMANDS = commands()
IDS = [" ".join(["qmpsh", *path]) for path, _ in COMMANDS]


def test_the_tree_is_what_the_readme_describes() -> None:
    assert set(IDS) == {
        "qmpsh",
        "qmpsh open",
        "qmpsh wrap",
        "qmpsh events",
        "qmpsh ls",
        "qmpsh proxy",
        "qmpsh qom",
        "qmpsh qom get",
        "qmpsh qom set",
        "qmpsh qom list",
        "qmpsh qom tree",
        "qmpsh qom fuse",
    }


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_every_command_explains_itself(path: list[str], command: click.Command) -> None:
    assert command.help, "no help text"
    first = command.help.strip().splitlines()[0]
    assert first.endswith("."), f"the first line is not a sentence: {first!r}"
    for param in command.params:
        if isinstance(param, click.Argument):
            metavar = (param.metavar or param.name or "").upper().strip("[]")
            named = metavar.replace("-- ", "").removesuffix("...")
            assert named in command.help, f"the help does not mention {named}"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_every_option_has_a_sentence(path: list[str], command: click.Command) -> None:
    for param in command.params:
        if not isinstance(param, click.Option):
            continue
        name = param.opts[-1]
        assert param.help, f"{name} has no help"
        text = param.help.strip()
        assert text.endswith("."), f"{name}: {text!r} does not end with a period"
        assert text[0].isupper(), f"{name}: {text!r} does not start a sentence"
        assert not re.search(r"\s\s\S", text.replace(".  ", ". ")), name


VISIBLE = [(path, command) for path, command in COMMANDS if not command.hidden]


@pytest.mark.parametrize(
    ("path", "command"), VISIBLE, ids=[" ".join(["qmpsh", *p]) for p, _ in VISIBLE]
)
def test_help_option_prints_usage(path: list[str], command: click.Command) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="qmpsh")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: {' '.join(['qmpsh', *path])} ")
    assert "Options:" in result.output
    assert "-h, --help" in result.output


@pytest.mark.parametrize("stdout", ["full", "gone"])
@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("-V",),
        ("--completion", "bash"),
        ("qom", "--help"),
        ("qom", "tree", "-h"),
        ("events", "--help"),
        ("wrap", "--help"),
    ],
    ids=" ".join,
)
def test_output_that_cannot_be_written(args: tuple[str, ...], stdout: str) -> None:
    """Help, the version and the completion script: one line on a full disk
    (exit 1), nothing when the reader went away (exit 0); no traceback."""
    from tests.procs import qmpsh_unwritable

    done = qmpsh_unwritable(stdout, *args)
    if stdout == "full":
        assert (done.returncode, done.stderr) == (
            1,
            "qmpsh: cannot write the output: no space left on device\n",
        )
    else:
        assert (done.returncode, done.stderr) == (0, "")


def test_version_text() -> None:
    from qmpsh import __version__

    result = CliRunner().invoke(cli, ["-V"], prog_name="qmpsh")
    assert (result.exit_code, result.output) == (0, f"qmpsh, version {__version__}\n")
