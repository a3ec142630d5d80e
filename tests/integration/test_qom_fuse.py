"""``qmpsh qom fuse``: the QOM tree mounted read-only, against a real q35 QEMU."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.procs import ROOT, Qemu, qmpsh, wait_for


def _fuse_unusable() -> str | None:
    """Why FUSE cannot be mounted here, or None."""
    try:
        import mfusepy  # noqa: F401
    except ImportError:
        return "mfusepy is not installed (pip install 'qmpsh[fuse]')"
    except OSError as err:
        return f"libfuse 3 is missing (apt-get install fuse3): {err}"
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse does not exist (no FUSE in this kernel or container)"
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        return "/dev/fuse is not readable and writable by this user"
    if os.geteuid() != 0 and shutil.which("fusermount3") is None:
        return "fusermount3 is missing (apt-get install fuse3)"
    return None


class Mount:
    def __init__(self, sock: Path, point: Path) -> None:
        self.point = point
        self.stderr = point.parent / "fuse.stderr"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        with open(self.stderr, "wb") as err:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "qmpsh",
                    "qom",
                    "fuse",
                    "-s",
                    str(sock),
                    str(point),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
            )
        wait_for(lambda: os.path.ismount(point), what="the FUSE mount", proc=self.proc)

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=15)

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if os.path.ismount(self.point):
            subprocess.run(["fusermount3", "-u", "-z", str(self.point)], check=False)


@pytest.fixture
def mounted(q35: Qemu, tmp_path: Path) -> Iterator[Mount]:
    reason = _fuse_unusable()
    if reason is not None:
        pytest.skip(f"cannot mount FUSE here: {reason}")
    point = tmp_path / "qom"
    point.mkdir()
    mount = Mount(q35.sock, point)
    try:
        yield mount
    finally:
        mount.cleanup()


def _get(q35: Qemu, path: str, prop: str) -> object:
    reply = q35.qmp(
        {"execute": "qom-get", "arguments": {"path": path, "property": prop}}
    )
    return reply[0]["return"]


def test_ls_cat_readlink_then_unmount_on_sigterm(q35: Qemu, mounted: Mount) -> None:
    root = mounted.point
    assert sorted(os.listdir(root)) == ["chardevs", "machine", "objects", "type"]
    listing = q35.qmp({"execute": "qom-list", "arguments": {"path": "/machine"}})[0][
        "return"
    ]
    assert sorted(os.listdir(root / "machine")) == sorted(p["name"] for p in listing)

    # properties are files holding the value as qom-get prints it
    assert (
        root / "machine" / "type"
    ).read_text() == f"{_get(q35, '/machine', 'type')}\n"
    assert (root / "machine" / "smp").read_text() == f"{_get(q35, '/machine', 'smp')}\n"
    cpu = root / "machine" / "unattached" / "device[0]"
    assert (cpu / "realized").read_text() == "True\n"
    assert (root / "machine" / "q35").is_dir()
    assert (root / "machine" / "type").is_file()

    # links are relative symlinks that resolve inside the mount
    link = root / "machine" / "q35" / "ioapic" / "parent_bus"
    target = _get(q35, "/machine/q35/ioapic", "parent_bus")
    assert os.readlink(link) == "../../.." + str(target)
    assert link.resolve() == root / str(target).lstrip("/")
    assert "type" in os.listdir(link)

    # an unreadable property says so; nothing can be written
    with pytest.raises(PermissionError):
        (cpu / "crash-information").read_text()
    with pytest.raises(OSError) as info:
        (root / "machine" / "type").write_text("x")
    assert info.value.errno == errno.EROFS
    with pytest.raises(FileNotFoundError):
        (root / "machine" / "nothing-here").read_text()

    assert mounted.stop(signal.SIGTERM) == 0
    assert not os.path.ismount(root)
    assert "unmounted" in mounted.stderr.read_text()


def test_ctrl_c_unmounts(mounted: Mount) -> None:
    assert "machine" in os.listdir(mounted.point)
    assert mounted.stop(signal.SIGINT) == 0
    assert not os.path.ismount(mounted.point)
    assert os.listdir(mounted.point) == []


def test_bad_mountpoint(q35: Qemu, tmp_path: Path) -> None:
    done = qmpsh("qom", "fuse", "-s", str(q35.sock), str(tmp_path / "absent"))
    assert done.returncode == 2
    assert "not a directory" in done.stderr and done.stderr.count("\n") == 1
