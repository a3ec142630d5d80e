"""Finding and reading a page; every failure is one line, naming the file
(or the page) and the Debian package that ships it."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from qmpsh.core.errors import QmpshError
from qmpsh.schema.manual import find
from qmpsh.schema.manual.find import ManualError, locate, man_dirs, read_page
from tests.unit.schema.manual import synthetic

TEXT = synthetic.page()


def write(root: Path, name: str, data: bytes) -> Path:
    path = root / "man7" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def error_of(call: Callable[[], object]) -> ManualError:
    with pytest.raises(ManualError) as caught:
        call()
    message = caught.value.message
    assert isinstance(caught.value, QmpshError)
    assert "\n" not in message and "Debian package:" in message
    return caught.value


@pytest.fixture
def nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No usual man directory holds anything."""
    empty = tmp_path / "usual"
    monkeypatch.setattr(find, "USUAL_DIRS", (str(empty),))
    return empty


@pytest.mark.parametrize(
    ("name", "pack"),
    [
        ("p.7", lambda b: b),
        ("p.7.gz", gzip.compress),
        ("p.7.bz2", bz2.compress),
        ("p.7.xz", lzma.compress),
        ("p.7.lzma", lambda b: lzma.compress(b, format=lzma.FORMAT_ALONE)),
        ("named-wrongly.7", gzip.compress),  # by magic number, not by name
    ],
)
def test_read_formats(
    tmp_path: Path, name: str, pack: Callable[[bytes], bytes]
) -> None:
    assert read_page(write(tmp_path, name, pack(TEXT.encode()))) == TEXT


@pytest.mark.parametrize(
    "pack", [gzip.compress, bz2.compress, lzma.compress], ids=["gz", "bz2", "xz"]
)
def test_truncated(tmp_path: Path, pack: Callable[[bytes], bytes]) -> None:
    data = pack(TEXT.encode() * 20)
    path = write(tmp_path, "qemu-qmp-ref.7.gz", data[: len(data) // 2])
    error = error_of(lambda: read_page(path, "qemu"))
    assert error.message == (
        f"{path}: truncated {error.problem.split()[1]} file (reinstall the "
        "package) (Debian package: qemu-system-common)"
    )
    assert error.path == path


def test_damaged_empty_binary_huge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corrupt = write(tmp_path, "c.7.gz", b"\x1f\x8b\x08\x00" + b"\xff" * 64)
    assert "corrupt gzip file" in error_of(lambda: read_page(corrupt)).message
    directory = tmp_path / "man7" / "d.7"
    directory.mkdir(parents=True)
    assert "cannot read" in error_of(lambda: read_page(directory)).message
    empty = write(tmp_path, "e.7", b"")
    assert "empty file" in error_of(lambda: read_page(empty)).message
    binary = write(tmp_path, "b.7", b"\x00\x01" * 50)
    assert "binary data" in error_of(lambda: read_page(binary)).message
    monkeypatch.setattr(find, "MAX_BYTES", 1000)
    bomb = write(tmp_path, "bomb.7.gz", gzip.compress(b"x" * 100_000))
    assert "larger than" in error_of(lambda: read_page(bomb)).message
    zstd = write(tmp_path, "z.7.zst", b"\x28\xb5\x2f\xfd....")
    assert "zstd" in error_of(lambda: read_page(zstd)).message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever the mode")
def test_permission_denied(tmp_path: Path) -> None:
    path = write(tmp_path, "p.7", b".TH X\n")
    path.chmod(0)
    assert "cannot read: Permission denied" in error_of(lambda: read_page(path)).message


def test_manpath_as_man_reads_it(nowhere: Path, tmp_path: Path) -> None:
    assert man_dirs({}) == [nowhere]
    assert man_dirs({"MANPATH": "/a:/b"}) == [Path("/a"), Path("/b")]
    # an empty entry stands for the usual directories
    assert man_dirs({"MANPATH": "/a:"}) == [Path("/a"), nowhere]
    assert man_dirs({"MANPATH": ":/a"}) == [nowhere, Path("/a")]
    page = write(tmp_path / "mine", "qemu-qmp-ref.7.gz", gzip.compress(b".TH X"))
    other = write(nowhere, "qemu-qmp-ref.7", b".TH Y")
    env = {"MANPATH": str(tmp_path / "mine")}
    assert locate("qemu", env=env, use_man=False) == page
    assert locate("qemu", env={}, use_man=False) == other


def test_not_installed(nowhere: Path) -> None:
    error = error_of(lambda: locate("guest-agent", env={}, use_man=False))
    assert error.message == (
        "qemu-ga-ref(7): not installed (searched MANPATH and the usual man dirs) "
        "(Debian package: qemu-guest-agent)"
    )
    write(nowhere, "qemu-qmp-ref.7.zst", b"\x28\xb5\x2f\xfd....")
    error = error_of(lambda: locate("qemu", env={}, use_man=False))
    assert "compressed in a format qmpsh cannot read" in error.message


def test_a_file_given(tmp_path: Path) -> None:
    missing = tmp_path / "nope.7.gz"
    assert error_of(lambda: locate("qemu", path=missing)).message == (
        f"{missing}: no such file (Debian package: qemu-system-common)"
    )
    page = write(tmp_path, "x.7", b".TH X")
    assert locate("qemu", path=page) == page


def test_control_characters_are_shown_not_sent(tmp_path: Path) -> None:
    """A page could hold an escape sequence; the terminal must not get it."""
    path = write(tmp_path, "evil.7", b"text \x1b]0;owned\x07 \x9b2J \xc2\x9b done\n")
    text = read_page(path)
    assert text == "text ^[]0;owned^G \ufffd2J \ufffd done\n"
    assert "\x1b" not in read_page(path) and "\x9b" not in text
    from qmpsh.schema.manual.escapes import unescape

    assert unescape(r"a\[u001B]b\N'27'c\[u00E9]") == "a?b?c\u00e9"
