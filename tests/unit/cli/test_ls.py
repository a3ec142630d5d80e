"""``qmpsh ls``'s output ends (qmpsh.cli.ls.show): nothing found, on a
terminal and off it."""

from __future__ import annotations

import io
import os
import sys

import pytest

from qmpsh.cli.ls import show
from qmpsh.discover.rows import Row


def test_nothing_found_is_said_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    master, slave = os.openpty()
    terminal = open(slave, "w")  # noqa: SIM115 - closed below
    try:
        monkeypatch.setattr(sys, "stdout", terminal)
        assert show([], as_json=False, color=False) == 0
        assert capsys.readouterr().err == "qmpsh: nothing found\n"
        # --json prints nothing, and says nothing
        assert show([], as_json=True, color=False) == 0
        assert capsys.readouterr().err == ""
    finally:
        terminal.close()
        os.close(master)


def test_nothing_found_off_a_terminal_is_no_output(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    assert show([], as_json=False, color=False) == 0
    assert (out.getvalue(), capsys.readouterr().err) == ("", "")
    assert show([Row("/a", "qemu")], as_json=True, color=False) == 0
    assert out.getvalue().startswith('{"name": null, "address": "/a", "kind": "qemu"')


def test_json_escapes_every_control_character(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    name = "vm\x1b[2J\x7f\x9b\u202e"
    assert show([Row("/a", "qemu", vm=name)], as_json=True, color=False) == 0
    text = out.getvalue()
    assert text.isascii() and all(c == "\n" or c.isprintable() for c in text)
    assert json.loads(text)["vm"] == name
