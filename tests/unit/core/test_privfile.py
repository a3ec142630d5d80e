"""Private files: modes, tightening with a warning, write errors as warnings."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from qmpsh.core.privfile import (
    AppendFile,
    Unsafe,
    make_private_dir,
    open_private,
    read_owned,
)
from qmpsh.wire.wirelog import WireLog


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_file_and_missing_parents_are_private(tmp_path: Path) -> None:
    warnings: list[str] = []
    path = tmp_path / "a" / "b" / "wire.jsonl"
    os.close(open_private(path, warnings.append))
    assert mode(path) == 0o600
    assert mode(tmp_path / "a") == 0o700 and mode(tmp_path / "a" / "b") == 0o700
    assert warnings == []


def test_xdg_directories_are_created_private(tmp_path: Path) -> None:
    from qmpsh.core.paths import private_dir

    # Path.mkdir(parents=True) would make the missing "cache" 0755
    private_dir(tmp_path / "cache" / "qmpsh")
    assert mode(tmp_path / "cache") == 0o700
    assert mode(tmp_path / "cache" / "qmpsh") == 0o700


def test_loose_file_is_tightened_with_one_warning(tmp_path: Path) -> None:
    path = tmp_path / "wire.jsonl"
    path.write_text("old line\n")
    path.chmod(0o644)
    warnings: list[str] = []
    log = AppendFile(path, warnings.append)
    log.append(b"new line\n")
    log.close()
    assert mode(path) == 0o600
    assert warnings == [f"{path} was readable by others (mode 0644): set to 0600"]
    assert path.read_text() == "old line\nnew line\n"  # appended, not replaced


def test_a_chosen_directory_is_left_alone_but_our_own_is_tightened(
    tmp_path: Path,
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    warnings: list[str] = []
    os.close(open_private(shared / "log", warnings.append))
    assert mode(shared) == 0o755 and warnings == []
    make_private_dir(shared, warnings.append)
    assert mode(shared) == 0o700
    assert warnings == [f"{shared} was readable by others (mode 0755): set to 0700"]


def test_device_files_are_not_chmodded(tmp_path: Path) -> None:
    warnings: list[str] = []
    os.close(open_private("/dev/null", warnings.append))
    assert warnings == [] and mode(Path("/dev/null")) == 0o666


def test_full_disk_is_one_warning_and_a_count(tmp_path: Path) -> None:
    warnings: list[str] = []
    full = AppendFile("/dev/full", warnings.append)
    for _ in range(5):
        assert full.append(b"x\n") is False
    assert full.lost == 5
    assert warnings == [
        "cannot write /dev/full: no space left on device; going on without it"
    ]


def test_recovery_writes_a_gap_marker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wire.jsonl"
    warnings: list[str] = []
    log = WireLog(str(path), warn=warnings.append)
    log.write("in", b'{"return": {}}\n')
    real_write = os.write
    monkeypatch.setattr(
        os,
        "write",
        lambda fd, data: (_ for _ in ()).throw(OSError(28, "No space left on device")),
    )
    log.write("in", b'{"lost": 1}\n')
    log.write("in", b'{"lost": 2}\n')
    monkeypatch.setattr(os, "write", real_write)
    log.write("in", b'{"back": true}\n')
    log.close()
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e.get("msg") or e.get("note") for e in entries] == [
        {"return": {}},
        "2 lines could not be written here",
        {"back": True},
    ]
    assert len(warnings) == 2 and "no space left" in warnings[0]
    assert "works again; 2 records could not be written" in warnings[1]


def test_one_write_per_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole line goes in one write(2): a kill cannot leave half of it."""
    calls: list[bytes] = []
    real_write = os.write

    def spy(fd: int, data: bytes) -> int:
        calls.append(bytes(data))
        return real_write(fd, data)

    log = WireLog(str(tmp_path / "w"))
    monkeypatch.setattr(os, "write", spy)
    log.write("out", b'{"execute":"query-status"}', message={"execute": "query-status"})
    log.write("in", b"not json\n", valid=False)
    log.note("connected")
    log.close()
    assert len(calls) == 3 and all(
        c.endswith(b"\n") and c.count(b"\n") == 1 for c in calls
    )


def test_wire_log_redacts_outgoing_secrets(tmp_path: Path) -> None:
    request = {
        "execute": "set_password",
        "arguments": {"protocol": "vnc", "password": "hunter2"},
    }
    data = json.dumps(request).encode()
    for redact, shown in ((True, "<redacted>"), (False, "hunter2")):
        path = tmp_path / f"w{redact}"
        log = WireLog(str(path), redact=redact)
        log.write("out", data, message=request)
        log.close()
        entry = json.loads(path.read_text())
        assert entry["msg"]["arguments"]["password"] == shown
        assert ("hunter2" in path.read_text()) is not redact


# -- files another user could have planted ---------------------------------------

NOBODY = 65534


def need_root() -> None:
    """Giving a file to another user (chown) needs root, as CI has."""
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("these tests chown files: they need root")
        pytest.skip("these tests chown files: they need root")


def test_my_own_link_is_followed(tmp_path: Path) -> None:
    """A link of the user's (dotfiles kept elsewhere) still works."""
    real = tmp_path / "real"
    link = tmp_path / "history"
    link.symlink_to(real)
    os.close(open_private(link))
    assert real.exists() and mode(real) == 0o600


def test_another_users_link_is_refused(tmp_path: Path) -> None:
    need_root()
    target = tmp_path / "roots"
    target.write_text("mine\n")
    os.chmod(target, 0o644)
    link = tmp_path / "planted"
    link.symlink_to(target)
    os.lchown(link, NOBODY, NOBODY)
    with pytest.raises(Unsafe) as caught:
        open_private(link)
    assert caught.value.strerror == (
        f"{link} is a symbolic link that belongs to nobody (uid {NOBODY}): not used"
    )
    assert target.read_text() == "mine\n" and mode(target) == 0o644


def test_another_users_file_is_neither_written_nor_tightened(tmp_path: Path) -> None:
    need_root()
    path = tmp_path / "history"
    path.write_text("theirs\n")
    os.chmod(path, 0o666)
    os.chown(path, NOBODY, NOBODY)
    warnings: list[str] = []
    with pytest.raises(Unsafe, match="belongs to nobody"):
        open_private(path, warnings.append)
    with pytest.raises(Unsafe):
        read_owned(path)
    assert path.read_text() == "theirs\n" and mode(path) == 0o666
    assert warnings == []


def test_another_users_directory_is_not_tightened(tmp_path: Path) -> None:
    need_root()
    theirs = tmp_path / "qmpsh"
    theirs.mkdir()
    os.chmod(theirs, 0o777)
    os.chown(theirs, NOBODY, NOBODY)
    with pytest.raises(Unsafe, match="belongs to nobody"):
        make_private_dir(theirs)
    assert mode(theirs) == 0o777
    linked = tmp_path / "linked"
    linked.symlink_to(tmp_path / "mine")
    (tmp_path / "mine").mkdir(mode=0o755)
    os.chmod(tmp_path / "mine", 0o755)
    os.lchown(linked, NOBODY, NOBODY)
    with pytest.raises(Unsafe, match="symbolic link"):
        make_private_dir(linked)
    assert mode(tmp_path / "mine") == 0o755  # never chmod-ed through the link


def test_devices_and_roots_links_still_work(tmp_path: Path) -> None:
    """``-l /dev/stderr`` (root's link to /proc/self/fd/2), ``/dev/null``."""
    for path in ("/dev/null", "/dev/stderr"):
        os.close(open_private(path))
