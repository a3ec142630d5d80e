"""The shell's sinks (qmpsh.shell.sinks): what Enter does with ``| cmd``
and ``> FILE``, and how the file is written."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, cast

import pytest

from qmpsh.builtins.linemode import Check, Problem, Run, ShellApi
from qmpsh.lang.parser import Incomplete
from qmpsh.lang.sink import Sink
from qmpsh.shell.sinks import Sinking, file_problem, write_file
from tests.unit.core.test_privfile import NOBODY, need_root


async def _job(api: ShellApi) -> int:
    return 0


class Lines:
    """A line mode that runs any text but ``bad`` and ``open(``."""

    mode = "qmp"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def prompt(self) -> str | None:
        return None

    def check(self, text: str) -> Check:
        self.seen.append(text)
        if text.strip() == "bad":
            return Problem("1:1: bad", 0)
        if text.strip() == "warned":
            return Problem("1:1: warned", 0, force=Run(_job, "warned"))
        if text.endswith("open("):
            return Incomplete("transaction")
        if not text.strip():
            return Run(None)
        return Run(_job, text.split()[0])


def sinking() -> tuple[Sinking, Lines]:
    inner = Lines()
    return Sinking(inner, cast(Any, None)), inner


def test_the_command_goes_to_the_line_mode_without_its_sink() -> None:
    mode, inner = sinking()
    check = mode.check("query-block | wc -l")
    assert isinstance(check, Run) and check.label == "query-block"
    assert inner.seen == ["query-block "]
    check = mode.check("query-block")
    assert isinstance(check, Run) and inner.seen[-1] == "query-block"


def test_problems() -> None:
    mode, inner = sinking()
    assert mode.check("bad | wc") == Problem("1:1: bad", 0)
    assert isinstance(mode.check("x open("), Incomplete)
    check = mode.check("x |")
    assert isinstance(check, Problem) and check.message.startswith(
        "1:4: nothing after |"
    )
    assert check.offset == 3
    check = mode.check("warned > /dev/null")
    assert isinstance(check, Problem) and check.force is not None
    assert check.force.label == "warned" and check.force.job is not _job
    mode.check("x # a comment | wc")  # no sink: the line mode has it all
    assert inner.seen[-1] == "x # a comment | wc"


def test_the_sink_follows_the_prefixes() -> None:
    """Where the sink is, and that a command is before it, the line's
    anatomy says: after ``!`` and ``NAME =``."""
    mode, inner = sinking()
    check = mode.check("! h = query-block flat=true | wc -l")
    assert isinstance(check, Run) and inner.seen[-1] == "! h = query-block flat=true "
    for text in ("h = | wc", "! | wc", "alias m = | wc"):
        check = mode.check(text)
        assert isinstance(check, Problem), text
        assert "no command before |" in check.message, text
        assert check.offset == text.index("|"), text


def test_a_file_in_a_missing_directory_is_refused_before_sending(
    tmp_path: Path,
) -> None:
    mode, inner = sinking()
    text = f"query-block > {tmp_path}/no/x.json"
    check = mode.check(text)
    assert check == Problem(
        f"1:15: {tmp_path}/no/x.json: no directory {tmp_path}/no; nothing sent", 14
    )
    assert inner.seen == []  # not even checked, let alone sent
    assert file_problem(str(tmp_path)) == f"{tmp_path} is a directory"
    assert file_problem(str(tmp_path / "new.json")) is None


def test_write_truncate_append(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    assert write_file(Sink(">", str(path), 0), "one\n") is None
    assert write_file(Sink(">>", str(path), 0), "two\n") is None
    assert path.read_text() == "one\ntwo\n"
    assert write_file(Sink(">", str(path), 0), "three\n") is None
    assert path.read_text() == "three\n"
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    assert write_file(Sink(">", "/dev/null", 0), "x\n") is None


def test_another_users_file_or_link_is_not_written(tmp_path: Path) -> None:
    need_root()
    theirs = tmp_path / "theirs"
    theirs.write_text("keep\n")
    os.chmod(theirs, 0o666)
    os.chown(theirs, NOBODY, NOBODY)
    said = write_file(Sink(">", str(theirs), 0), "x\n")
    assert said is not None and "belongs to nobody" in said
    assert theirs.read_text() == "keep\n"  # not even truncated
    mine = tmp_path / "mine"
    mine.write_text("keep\n")
    link = tmp_path / "link"
    link.symlink_to(mine)
    os.lchown(link, NOBODY, NOBODY)
    said = write_file(Sink(">", str(link), 0), "x\n")
    assert said is not None and "symbolic link that belongs to nobody" in said
    assert mine.read_text() == "keep\n"


@pytest.mark.parametrize("kind", [">", ">>"])
def test_a_file_that_cannot_be_opened_is_one_line(tmp_path: Path, kind: str) -> None:
    said = write_file(Sink(kind, str(tmp_path / "gone" / "x"), 0), "x\n")
    assert said == "cannot open: no such file or directory"
