"""A libvirt domain's QEMU monitor, as libvirt-python lets a client use it.

`Monitor` holds one libvirt connection and one domain.  Its methods are
blocking libvirt calls: they run on the libvirt thread only
(`qmpsh.wire.libvirt_thread`), and so do the callbacks it registers.
libvirt's errors come out as `LibvirtFailed` (the error's code and
message), which `qmpsh.wire.libvirt_errors` words.

What it uses of libvirt: ``libvirt_qemu.qemuMonitorCommand`` (and
``qemuMonitorCommandWithFiles`` when descriptors go along), which sends a
QMP command as JSON text and returns QEMU's reply as JSON text, error
replies included; ``qemuMonitorEventRegister`` for every QMP event of the
domain; the domain's lifecycle events and the connection's close callback,
to know when the session is over; ``virDomain.messages`` for libvirt's
taint.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

import libvirt
import libvirt_qemu

from qmpsh.wire.libvirt_errors import LibvirtFailed, NotRunning

#: a QMP event as libvirt hands it over: name, seconds, microseconds, and
#: the event's data as JSON text (None when it has none)
EventSink = Callable[[str, int, int, "str | None"], None]
#: told once why the session is over (the domain stopped, libvirtd left)
EndSink = Callable[[str], None]

_UUID = re.compile(r"[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}")

#: libvirt's virDomainState, as virsh words it
STATES = {
    0: "in no state",
    1: "running",
    2: "blocked",
    3: "paused",
    4: "being shut down",
    5: "shut off",
    6: "crashed",
    7: "suspended by guest power management",
}

#: why a domain stopped: VIR_DOMAIN_EVENT_STOPPED's details
_STOPPED = {
    0: "was shut down",
    1: "was destroyed",
    2: "crashed",
    3: "was migrated away",
    4: "was saved",
    5: "failed",
    6: "was stopped to restore a snapshot",
}


def _failed(err: Any) -> LibvirtFailed:
    code = err.get_error_code()
    origin = err.get_error_domain()
    message = err.get_error_message() or str(err)
    return LibvirtFailed(
        int(code) if code is not None else 0,
        str(message),
        int(origin) if origin is not None else 0,
    )


class Monitor:
    """One domain's monitor over one libvirt connection."""

    def __init__(self, conn: Any, dom: Any) -> None:
        self._conn = conn
        self._dom = dom
        #: the URI as libvirt reports it (aliases resolved)
        self.uri = str(conn.getURI())
        self._callbacks: list[Callable[[], None]] = []

    @classmethod
    def open(cls, uri: str, domain: str) -> Monitor:
        """Connect to *uri* and find *domain* (a name or UUID) running.

        Raises `LibvirtFailed`, or `NotRunning` for a domain that is shut
        off (the caller says so and lets go).
        """
        try:
            conn = libvirt.open(uri)
        except libvirt.libvirtError as err:
            raise _failed(err) from None
        try:
            dom = _lookup(conn, domain)
            state = int(dom.state()[0])
            if not dom.isActive():
                del dom
                raise NotRunning(STATES.get(state, f"in state {state}"))
            return cls(conn, dom)
        except BaseException:
            with contextlib.suppress(libvirt.libvirtError):
                conn.close()
            raise

    def command(self, text: str, fds: list[int]) -> str:
        """Send one QMP command (JSON text, without an id); QEMU's reply
        as JSON text.  *fds* go along with SCM_RIGHTS (a local URI only)."""
        try:
            if fds:
                reply, files = libvirt_qemu.qemuMonitorCommandWithFiles(
                    self._dom, text, fds, 0
                )
                for file in files:
                    with contextlib.suppress(Exception):
                        file.close()
                return str(reply)
            return str(libvirt_qemu.qemuMonitorCommand(self._dom, text, 0))
        except libvirt.libvirtError as err:
            raise _failed(err) from None

    def taint(self) -> list[str]:
        """libvirt's taint messages for the domain ("tainted: custom
        monitor control commands issued"...); [] when it cannot tell."""
        try:
            found = self._dom.messages(libvirt.VIR_DOMAIN_MESSAGE_TAINTING)
        except (libvirt.libvirtError, AttributeError):  # older libvirt
            return []
        return [str(m) for m in found]

    def subscribe(self, on_event: EventSink, on_end: EndSink) -> None:
        """Have every QMP event of the domain go to *on_event*, and why
        the session ends to *on_end* (the domain stopped, the connection to
        libvirt closed).  Callbacks run on the libvirt thread."""
        conn, dom = self._conn, self._dom

        def monitor_event(
            _conn: Any,
            _dom: Any,
            event: str,
            seconds: int,
            micros: int,
            details: str | None,
            _opaque: object,
        ) -> None:
            on_event(event, seconds, micros, details)

        def lifecycle(_conn: Any, _dom: Any, event: int, detail: int, _o: Any) -> None:
            if event == libvirt.VIR_DOMAIN_EVENT_STOPPED:
                on_end(f"the domain {_STOPPED.get(detail, 'stopped')}")

        def closed(_conn: Any, reason: int, _opaque: object) -> None:
            if reason != libvirt.VIR_CONNECT_CLOSE_REASON_CLIENT:
                on_end(f"the connection to libvirt at {self.uri} closed")

        try:
            ident = libvirt_qemu.qemuMonitorEventRegister(
                conn, dom, None, monitor_event, None, 0
            )
            self._callbacks.append(
                lambda: libvirt_qemu.qemuMonitorEventDeregister(conn, ident)
            )
            life = conn.domainEventRegisterAny(
                dom, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, lifecycle, None
            )
            self._callbacks.append(lambda: conn.domainEventDeregisterAny(life))
            conn.registerCloseCallback(closed, None)
            self._callbacks.append(conn.unregisterCloseCallback)
        except libvirt.libvirtError as err:
            raise _failed(err) from None

    def close(self) -> None:
        """Deregister, let go of the domain and close the connection."""
        for undo in reversed(self._callbacks):
            with contextlib.suppress(libvirt.libvirtError):
                undo()
        self._callbacks.clear()
        # the domain holds a reference on the connection: without letting
        # go of it first, close() would leave the connection open
        self._dom = None
        with contextlib.suppress(libvirt.libvirtError):
            self._conn.close()


def _lookup(conn: Any, domain: str) -> Any:
    """The domain named *domain*, or with that UUID."""
    if _UUID.fullmatch(domain):
        try:
            return conn.lookupByUUIDString(domain)
        except libvirt.libvirtError as err:
            if err.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                raise _failed(err) from None
    try:
        return conn.lookupByName(domain)
    except libvirt.libvirtError as err:
        raise _failed(err) from None
