"""The rows of libvirt's domains (pure parts), and when the source is quiet."""

from __future__ import annotations

from pathlib import Path

from qmpsh.core.targets import Targets
from qmpsh.discover.libvirt_domains import libvirt_rows, row_of
from qmpsh.discover.procs import UnixTable
from qmpsh.discover.rows import Scan


def test_a_running_domain_is_free_and_not_probed() -> None:
    row = row_of("web3", 7, 1, "qemu:///system", "7.2.22")
    assert (row.address, row.kind, row.state, row.expect) == (
        "libvirt:web3",
        "libvirt",
        "free",
        "none",
    )
    assert row.version == "7.2.22"
    assert row.note == (
        "domain 7, running, at qemu:///system; not probed (a monitor command "
        "would taint it)"
    )


def test_a_shut_off_domain_is_down() -> None:
    row = row_of("db1", -1, 5, "qemu:///system", "7.2.22")
    assert (row.state, row.version, row.note) == (
        "down",
        None,
        "domain, shut off, at qemu:///system",
    )
    assert row_of("x", 3, 99, "u", None).note.startswith("domain 3, in state 99, at u")


def test_no_libvirt_socket_here_means_no_rows_and_no_wait(tmp_path: Path) -> None:
    scan = Scan(
        Targets(), UnixTable(), root=str(tmp_path), libvirt_uri="qemu:///system"
    )
    assert list(libvirt_rows(scan)) == []
    assert list(libvirt_rows(scan._replace(libvirt_uri=None))) == []
