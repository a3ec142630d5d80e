"""guest-run's pure parts: its words, the guest-exec request, how a
program ended (`qmpsh.schema.agent_exec`)."""

from __future__ import annotations

from typing import Any

import pytest

from qmpsh.schema.agent_exec import (
    RunArgs,
    exec_pid,
    exec_request,
    outcome,
    parse_run,
    result_json,
    truncated,
)


@pytest.mark.parametrize(
    ("words", "options", "run"),
    [
        (["/bin/true"], {}, RunArgs("/bin/true")),
        (
            ["/bin/ls", "-l", "--timeout", "3"],
            {},
            RunArgs("/bin/ls", ("-l", "--timeout", "3")),
        ),
        (
            ["--timeout", "3", "--text", "/bin/ls"],
            {"timeout": "3", "text": True},
            RunArgs("/bin/ls"),
        ),
        (["--timeout=2.5", "--", "-weird"], {"timeout": "2.5"}, RunArgs("-weird")),
        (["--env", "A=1", "--env=B=", "/x"], {}, RunArgs("/x", (), ("A=1", "B="))),
        (["--input", "", "/bin/cat"], {}, RunArgs("/bin/cat", input="")),
    ],
)
def test_parse_run(words: list[str], options: dict[str, Any], run: RunArgs) -> None:
    assert parse_run(words) == (options, run)


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ([], "the program to run is missing: guest-run PATH [ARG ...]"),
        (["--text"], "the program to run is missing: guest-run PATH [ARG ...]"),
        (["--timeout"], "--timeout needs a value"),
        (["--env", "=x", "/x"], "--env wants NAME=VALUE, not '=x'"),
        (
            ["-l", "/bin/ls"],
            "unknown option '-l' (known: --env, --input, --text, "
            "--timeout; the program's own options go after its path)",
        ),
    ],
)
def test_parse_run_refuses(words: list[str], said: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_run(words)
    assert str(err.value) == said


def test_exec_request() -> None:
    assert exec_request(RunArgs("/bin/true")) == {
        "execute": "guest-exec",
        "arguments": {"path": "/bin/true", "capture-output": True},
    }
    run = RunArgs("/bin/cat", ("-A",), ("X=1",), "hé")
    assert exec_request(run)["arguments"] == {
        "path": "/bin/cat",
        "arg": ["-A"],
        "env": ["X=1"],
        "input-data": "aMOp",
        "capture-output": True,
    }


@pytest.mark.parametrize(
    ("value", "pid"),
    [({"pid": 12}, 12), ({"pid": True}, None), ({}, None), (12, None)],
)
def test_exec_pid(value: object, pid: int | None) -> None:
    assert exec_pid(value) == pid


@pytest.mark.parametrize(
    ("status", "ok", "line"),
    [
        ({"exited": True, "exitcode": 0}, True, "/p exited with code 0"),
        ({"exited": True, "exitcode": 3}, False, "/p exited with code 3"),
        ({"exited": True, "signal": 15}, False, "/p was killed by signal 15 (SIGTERM)"),
        ({"exited": True, "signal": 99}, False, "/p was killed by signal 99"),
        (
            {"exited": True},
            False,
            "/p ended, and the agent said neither an exit code nor a signal",
        ),
    ],
)
def test_outcome(status: dict[str, Any], ok: bool, line: str) -> None:
    assert outcome("/p", status) == (ok, line)


def test_truncated_and_result_json() -> None:
    status = {"exited": True, "exitcode": 0, "out-data": "aGkK", "out-truncated": True}
    assert truncated(status) == [
        "the agent cut the program's stdout at its limit (16 MiB in qemu-ga)"
    ]
    assert truncated({"exited": True, "err-truncated": False}) == []
    assert result_json(7, status, raw=False) == {
        "pid": 7,
        "exited": True,
        "exitcode": 0,
        "out-data": "aGkK",
        "out-text": "hi\n",
        "out-truncated": True,
    }
    assert result_json(7, status, raw=True) == {"pid": 7, **status}
