"""Argument parsing of the getfd/add-fd built-ins and their CLI options."""

from __future__ import annotations

import os

import pytest

from qmpsh.builtins.fds import MODES, FdArgsError, FdRequest, cli_lines, parse_args


def test_getfd() -> None:
    req = parse_args("getfd", ["/tmp/f", "fdname=mine"])
    assert req == FdRequest("getfd", "/tmp/f", "r", {"fdname": "mine"})
    assert req.message == {"execute": "getfd", "arguments": {"fdname": "mine"}}
    assert req.own_fd is None


def test_add_fd_with_options() -> None:
    req = parse_args("add-fd", ["--mode", "rw", "/x", "fdset-id=3", "opaque=a b"])
    assert req.mode == "rw"
    assert req.message == {
        "execute": "add-fd",
        "arguments": {"fdset-id": 3, "opaque": "a b"},
    }
    assert parse_args("add-fd", ["fd:4", "--mode=a"]).own_fd == 4
    assert parse_args("add-fd", ["/x"]).message == {"execute": "add-fd"}


@pytest.mark.parametrize(
    ("command", "words", "phrase"),
    [
        ("getfd", ["fdname=x"], "give the FILE to pass first"),
        ("getfd", ["/x"], "needs fdname=NAME"),
        ("getfd", [], "no FILE"),
        ("add-fd", ["/x", "/y"], "more than one FILE"),
        ("add-fd", ["/x", "fdname=n"], "add-fd takes fdset-id, opaque, not 'fdname'"),
        ("add-fd", ["/x", "fdset-id=a"], "fdset-id takes a number"),
        ("add-fd", ["/x", "opaque=1", "opaque=2"], "opaque is given twice"),
        ("add-fd", ["/x", "--mode"], "--mode takes r, rw, w or a, not ''"),
        ("getfd", ["/x", "fdname=n", "--mode", "rwx"], "not 'rwx'"),
    ],
)
def test_refused(command: str, words: list[str], phrase: str) -> None:
    with pytest.raises(FdArgsError) as info:
        parse_args(command, words)
    assert phrase in str(info.value)


def test_modes() -> None:
    assert MODES["r"] == os.O_RDONLY
    assert MODES["rw"] & os.O_ACCMODE == os.O_RDWR
    assert MODES["w"] & os.O_TRUNC and MODES["a"] & os.O_APPEND


def test_cli_lines() -> None:
    assert cli_lines(("n=/a b",), ("2=/c", "/d")) == [
        ("--pass-fd n=/a b", "getfd '/a b' fdname=n"),
        ("--add-fd 2=/c", "add-fd /c fdset-id=2"),
        ("--add-fd /d", "add-fd /d"),
    ]
    with pytest.raises(FdArgsError, match="NAME=FILE"):
        cli_lines(("noequals",), ())
    with pytest.raises(FdArgsError):
        cli_lines((), ("",))
