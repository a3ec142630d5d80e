"""Several ADDRESS words: globs, groups, targets and paths (resolve_many)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from qmpsh.cli.targets import TargetError, resolve_many
from qmpsh.wire.named import Named
from qmpsh.wire.stream import UnixSocket


def write_config(text: str) -> None:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "qmpsh" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_sockets(where: Path, *names: str) -> list[socket.socket]:
    made = []
    for name in names:
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(where / name))
        made.append(s)
    return made


def test_globs_groups_targets_and_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    keep = make_sockets(tmp_path, "b.sock", "a.sock", "c.qga")
    write_config(
        f'[targets.web1]\naddress = "{tmp_path}/a.sock"\n'
        f'[targets.web2]\naddress = "{tmp_path}/b.sock"\n'
        '[groups]\nweb = ["web1", "web2"]\n'
    )
    many = resolve_many([f"{tmp_path}/*.sock", "web", "web1", "./c.qga"])
    assert [m.label for m in many] == [
        f"{tmp_path}/a.sock",
        f"{tmp_path}/b.sock",
        "web1",
        "web2",
        "./c.qga",
    ]
    assert many[0].resolved.transport == UnixSocket(f"{tmp_path}/a.sock")
    assert isinstance(many[2].resolved.transport, Named)
    assert many[2].resolved.target is not None
    del keep


def test_what_names_nothing_is_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(
        '[targets.web1]\naddress = "/nowhere.sock"\n[groups]\nweb = ["web1"]\n'
    )
    with pytest.raises(TargetError, match=r"/none/\*\.sock: no file matches"):
        resolve_many(["/none/*.sock"])
    with pytest.raises(TargetError, match=r"no target 'wbe' in .*\(targets: web1\)"):
        resolve_many(["web1", "wbe"])


def test_an_ipv6_address_or_a_remote_path_is_no_glob(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    many = resolve_many(["[::1]:4444", "ssh://h/run/vm[12].sock"])
    assert [m.label for m in many] == ["[::1]:4444", "ssh://h/run/vm[12].sock"]
    keep = make_sockets(tmp_path, "x.sock")
    assert [m.label for m in resolve_many([f"unix:{tmp_path}/*.sock"])] == [
        f"{tmp_path}/x.sock"
    ]
    del keep
