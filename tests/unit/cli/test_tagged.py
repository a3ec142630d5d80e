"""Fan-out's tagging of output lines (qmpsh.cli.tagged) and the order of
exit codes across targets (qmpsh.core.exitcodes.worst): pure functions."""

from __future__ import annotations

import json

import pytest

from qmpsh.cli.tagged import about, tag_error, tag_json, tag_text
from qmpsh.core.exitcodes import SEVERITY, Exit, worst


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"return": {}}', {"target": "web1", "return": {}}),
        ("{}", {"target": "web1"}),
        ("[1, 2]", {"target": "web1", "value": [1, 2]}),
        ('"none-machine"', {"target": "web1", "value": "none-machine"}),
        # a value with a "target" of its own is not merged into
        ('{"target": "x86_64"}', {"target": "web1", "value": {"target": "x86_64"}}),
    ],
)
def test_tag_json(text: str, expected: dict[str, object]) -> None:
    tagged = tag_json("web1", text + "\n")
    assert "\n" not in tagged
    assert json.loads(tagged) == expected
    assert tagged.startswith('{"target": "web1"')


def test_tag_json_indented_keeps_the_indentation() -> None:
    text = json.dumps({"return": {"a": 1}}, indent=2)
    tagged = tag_json("web1", text)
    assert tagged.startswith('{\n  "target": "web1",\n  "return"')
    assert json.loads(tagged) == {"target": "web1", "return": {"a": 1}}


def test_a_label_cannot_drive_the_terminal() -> None:
    tagged = tag_json("/run/\x1b[2Jvm.sock", '{"return": {}}')
    assert "\x1b" not in tagged
    assert json.loads(tagged)["target"] == "/run/^[[2Jvm.sock"
    assert "\x1b" not in tag_error("a\x1bb", "qmpsh: x")


def test_tag_text() -> None:
    assert json.loads(tag_text("w", "VM status: running")) == {
        "target": "w",
        "text": "VM status: running",
    }
    two = tag_text("w", "line 1\nline 2\x1b")
    assert "\n" not in two and "\x1b" not in two
    assert json.loads(tag_text("w", '{"a": 1}')) == {"target": "w", "a": 1}


def test_tag_error_names_the_target_once() -> None:
    assert tag_error("web1", "qmpsh: -c:2: stop: x") == "qmpsh: web1: -c:2: stop: x"
    assert about("web1", "web1: cannot connect") == "web1: cannot connect"
    assert about("web1", "cannot connect") == "web1: cannot connect"


def test_every_stderr_line_names_the_target() -> None:
    from qmpsh.cli.tagged import tag_lines

    assert tag_error("w", "qmpsh: a\nb") == "qmpsh: w: a\nw: b"
    # another program's lines: each tagged, whatever it says
    assert tag_lines("w", "x\nqmpsh: y\n") == "w: x\nw: qmpsh: y\nw: "
    assert "\x1b" not in tag_lines("a\x1bb", "x")


def test_worst() -> None:
    assert worst([]) == 0
    assert worst([0, 1, 0]) == 1
    assert worst([1, 3, 2]) == 2
    assert worst([1, 6, 4]) == 4
    assert worst([4, 5, 0]) == 5
    assert worst([5, 143]) == 143
    assert set(SEVERITY) == set(Exit)  # every code has its place


def test_what_is_a_glob() -> None:
    from qmpsh.cli.targets import is_glob

    assert is_glob("/run/vms/*.sock") and is_glob("unix:vm?.sock")
    assert is_glob("./[ab]*.sock") and is_glob("[ab]*.sock")
    assert not is_glob("[::1]:4444") and not is_glob("[::1")
    assert not is_glob("ssh://host/run/*.sock") and not is_glob("vm1.sock")


def test_text_that_only_looks_like_json_is_text() -> None:
    import json as _json

    from qmpsh.cli.tagged import tag_text

    forged = '{"ok": 1}\n{"target": "vm2", "return": {"status": "paused"}}'
    (line,) = tag_text("vm1", forged).splitlines()
    assert _json.loads(line) == {"target": "vm1", "text": forged}
    assert _json.loads(tag_text("vm1", "[not json")) == {
        "target": "vm1",
        "text": "[not json",
    }
    assert _json.loads(tag_text("vm1", '{"a": 1}')) == {"target": "vm1", "a": 1}


def test_a_line_written_in_pieces_is_tagged_once() -> None:
    import io
    import json as _json

    from qmpsh.cli.tagged import _Out
    from qmpsh.core.output import emit_json
    from qmpsh.core.sanitize import PIECE

    sink = io.StringIO()
    out = _Out("vm1", sink, lambda: None)
    value = {"return": "A" * (3 * PIECE)}
    emit_json(out, value)  # type: ignore[arg-type]
    (line,) = sink.getvalue().splitlines()
    assert _json.loads(line) == {"target": "vm1", **value}
