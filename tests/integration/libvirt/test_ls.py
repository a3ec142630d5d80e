"""``qmpsh ls`` lists a real libvirtd's domains as ``libvirt:NAME`` rows,
over a read-only connection and without tainting them."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.libvirt_domain import Domain, domain_xml, unique
from tests.libvirtd import LibvirtDaemon
from tests.procs import qmpsh


def ls(uri: str, *args: str) -> tuple[list[dict[str, Any]], str]:
    done = qmpsh("ls", "--json", "--libvirt-uri", uri, *args)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()], done.stderr


@pytest.fixture
def shut_off(libvirtd: LibvirtDaemon) -> Iterator[str]:
    """A persistent domain, defined and never started."""
    import libvirt

    conn = libvirtd.connect()
    name = unique("off")
    dom = conn.defineXML(domain_xml(name))
    try:
        yield name
    finally:
        with contextlib.suppress(libvirt.libvirtError):
            dom.undefine()
        del dom
        conn.close()


def test_running_and_shut_off_domains_are_rows(
    libvirtd: LibvirtDaemon, domain: Domain, shut_off: str
) -> None:
    rows, stderr = ls(libvirtd.uri)
    assert stderr == ""
    by_address = {row["address"]: row for row in rows}
    running = by_address[f"libvirt:{domain.name}"]
    assert running["kind"] == "libvirt"
    assert running["state"] == "free"
    assert running["vm"] == domain.name
    assert running["version"] and running["version"][0].isdigit()
    assert "running" in running["note"] and "not probed" in running["note"]
    off = by_address[f"libvirt:{shut_off}"]
    assert (off["state"], off["version"]) == ("down", None)
    assert "shut off" in off["note"]
    # listing sent nothing through the monitor passthrough
    assert not [t for t in domain.taint() if "monitor" in t], domain.taint()
    # and what the row names is what qmpsh reaches
    done = qmpsh(
        "-r",
        "-c",
        "query-name",
        running["address"],
        env={"LIBVIRT_DEFAULT_URI": libvirtd.uri},
    )
    assert json.loads(done.stdout) == {"name": domain.name}, done.stderr


def test_the_table_names_the_address_to_give(
    libvirtd: LibvirtDaemon, domain: Domain
) -> None:
    done = qmpsh("ls", "--no-probe", "--libvirt-uri", libvirtd.uri)
    assert done.returncode == 0, done.stderr
    (line,) = [
        x for x in done.stdout.splitlines() if x.startswith(f"libvirt:{domain.name} ")
    ]
    assert line.split()[:3] == [f"libvirt:{domain.name}", "libvirt", "free"]


def test_a_libvirt_that_refuses_is_one_warning(libvirtd: LibvirtDaemon) -> None:
    nobody = "qemu+tcp://127.0.0.1:1/system"
    rows, stderr = ls(nobody)
    assert not any(
        row["kind"] == "libvirt" and row["address"].startswith("libvirt:")
        for row in rows
    )
    (line,) = stderr.splitlines()
    assert line.startswith(f"qmpsh: warning: cannot reach libvirt at {nobody}: ")
