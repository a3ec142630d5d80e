"""A private libvirtd (QEMU driver, also on TCP) for the session, and
transient TCG domains started on it for each test (tests/libvirtd.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.libvirt_domain import Domain
from tests.libvirtd import LibvirtDaemon, daemon


@pytest.fixture(scope="session")
def libvirtd() -> Iterator[LibvirtDaemon]:
    with daemon(tcp=True) as started:
        yield started


@pytest.fixture
def domain(libvirtd: LibvirtDaemon) -> Iterator[Domain]:
    """A running transient domain: 64 MiB, no disk."""
    dom = Domain(libvirtd)
    try:
        yield dom
    finally:
        dom.close()


@pytest.fixture
def disk_domain(libvirtd: LibvirtDaemon) -> Iterator[Domain]:
    """A running transient domain with a virtio qcow2 disk, ``vda``: a
    16 MiB pattern in its backing file, under an empty top image."""
    dom = Domain(libvirtd, disk=True)
    try:
        yield dom
    finally:
        dom.close()
