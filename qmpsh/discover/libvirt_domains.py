"""``qmpsh ls``'s libvirt source: the domains a libvirt knows, as
``libvirt:NAME`` rows.

It asks libvirt (libvirt-python, the ``libvirt`` extra) over a read-only
connection for its domains and their states, and never sends a monitor
command: one through libvirt's passthrough would mark the domain
"tainted", so these rows are not probed.  Their STATE is libvirt's: "free"
while the domain's QEMU runs (running, paused, being shut down, suspended:
qmpsh reaches it as ``libvirt:NAME``), "down" when it is shut off or
crashed.  Without the binding, or with the default URI and no libvirt
socket on this machine, the source gives nothing (libvirt is not in use
here); a libvirt that is there but refuses or does not answer within the
time given is one warning.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

from qmpsh.discover.rows import Row, Scan, SourceProblem

#: the system daemon's sockets (the monolithic libvirtd's, the modular
#: virtqemud's); without one, the default URI has nothing to reach
SYSTEM_SOCKETS = (
    "run/libvirt/libvirt-sock-ro",
    "run/libvirt/libvirt-sock",
    "run/libvirt/virtqemud-sock-ro",
    "run/libvirt/virtqemud-sock",
)

#: libvirt's domain states (virDomainState) in a word, and whether its
#: QEMU runs then
STATES: dict[int, tuple[str, bool]] = {
    0: ("in no state", True),
    1: ("running", True),
    2: ("blocked", True),
    3: ("paused", True),
    4: ("shutting down", True),
    5: ("shut off", False),
    6: ("crashed", False),
    7: ("suspended by the guest", True),
}

#: the least time given to libvirt to answer (a remote URI logs in first)
LEAST_WAIT = 2.0


def libvirt_rows(scan: Scan) -> Iterator[Row]:
    """A row per domain of the libvirt at ``scan.libvirt_uri``."""
    uri = scan.libvirt_uri
    if not uri:
        return
    try:
        import libvirt
    except ImportError:
        return
    if uri in ("qemu:///system", "") and not any(
        os.path.exists(os.path.join(scan.root, p)) for p in SYSTEM_SOCKETS
    ):
        return
    conn = _open(libvirt, uri, max(scan.timeout, LEAST_WAIT))
    try:
        version = _version(conn)
        domains = sorted(conn.listAllDomains(0), key=lambda d: d.name())
        for dom in domains:
            yield row_of(dom.name(), dom.ID(), dom.state()[0], uri, version)
    except libvirt.libvirtError as err:
        raise SourceProblem(f"libvirt at {uri}: {err.get_error_message()}") from None
    finally:
        conn.close()


def row_of(name: str, number: int, state: int, uri: str, version: str | None) -> Row:
    """The row of a domain *name* (*number*: libvirt's id, -1 when shut
    off) in libvirt's *state*."""
    word, runs = STATES.get(state, (f"in state {state}", True))
    where = f"domain {number}" if number >= 0 else "domain"
    note = f"{where}, {word}, at {uri}"
    if runs:
        note += "; not probed (a monitor command would taint it)"
    return Row(
        f"libvirt:{name}",
        "libvirt",
        vm=name,
        note=note,
        expect="none",
        state="free" if runs else "down",
        version=version if runs else None,
    )


def _version(conn: Any) -> str | None:
    """The QEMU version libvirt's driver runs (major * 1000000 + minor *
    1000 + micro), or None when it does not say."""
    try:
        number = int(conn.getVersion())
    except Exception:
        return None
    if number <= 0:
        return None
    return f"{number // 1000000}.{number // 1000 % 1000}.{number % 1000}"


def _open(libvirt: Any, uri: str, wait: float) -> Any:
    """A read-only connection to *uri*, or `SourceProblem` when libvirt
    refuses it or takes longer than *wait* seconds (the attempt is left to
    end on its own thread)."""
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)  # no stderr
    got: list[Any] = []
    failed: list[str] = []

    def connect() -> None:
        try:
            got.append(libvirt.openReadOnly(uri))
        except libvirt.libvirtError as err:
            failed.append(str(err.get_error_message()))

    thread = threading.Thread(target=connect, name="qmpsh-ls-libvirt", daemon=True)
    thread.start()
    thread.join(wait)
    if failed:
        raise SourceProblem(f"cannot reach libvirt at {uri}: {failed[0]}")
    if not got:
        raise SourceProblem(f"libvirt at {uri} did not answer within {wait:g} s")
    return got[0]
