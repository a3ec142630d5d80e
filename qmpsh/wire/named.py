"""`Named`: a transport reached through a named target (``qmpsh web3``).

It is the transport the target's ADDRESS reads into (any row of
`qmpsh.wire.transport.SCHEMES`), under the name the user typed: the
banner, the messages and the wire log say ``web3 (/run/qemu/web3.sock)``,
and a failure that does not name it says whose it is (``web3: no socket
at ...``).  Everything else is the inner transport's.

`transport_of` reads a target's ADDRESS, saying so when it is of a form a
target's table makes for a transport this qmpsh does not have (yet):
``libvirt:web3`` before the libvirt transport is no TCP address.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from qmpsh.core.errors import QmpshError
from qmpsh.wire.address import AddressError
from qmpsh.wire.transport import SCHEMES, Transport, transport_for

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable

    from qmpsh.core.settings import Settings


class Named(Transport):
    def __init__(self, inner: Transport, target: str) -> None:
        self.inner = inner
        self.target = target
        self.reopens = inner.reopens
        self.may_be_agent = inner.may_be_agent

    # what the inner transport knows once configured (libvirt: the URI)
    @property
    def fd_passing(self) -> bool:  # type: ignore[override]
        return self.inner.fd_passing

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.inner.kind

    @property
    def notes(self) -> tuple[str, ...]:
        return self.inner.notes

    def lost(self, reason: str) -> str:
        return self.inner.lost(reason)

    def on_note(self, listener: Callable[[str], None] | None) -> None:
        self.inner.on_note(listener)  # the inner transport is the one that notes

    @property
    def name(self) -> str:
        return f"{self.target} ({self.inner.name})"

    def __repr__(self) -> str:
        return f"Named({self.inner!r}, {self.target!r})"

    def configure(self, settings: Settings, interactive: bool = False) -> None:
        self.inner.configure(settings, interactive)

    def prestart(self) -> None:
        self.inner.prestart()

    async def open(self, timeout: float | None, agent: bool = False) -> socket.socket:
        return await self.inner.open(timeout, agent)

    async def failed(self, error: QmpshError) -> QmpshError:
        error = await self.inner.failed(error)
        if self.name in error.message:
            return error
        named = copy.copy(error)
        named.message = f"{self.target}: {error.message}"
        named.args = (named.message,)
        return named

    async def close(self) -> None:
        await self.inner.close()


def transport_of(address: str) -> Transport:
    """The transport of a target's *address* (`transport_for`); an
    `AddressError` naming the transport when the address is in the form of
    one that `SCHEMES` has no row for (``libvirt:DOMAIN``, ``ssh://...``)."""
    from qmpsh.core.targets import VIAS

    for via in VIAS:
        head = via.scheme + ":"
        if (
            via.scheme
            and via.scheme not in SCHEMES
            and address.lower().startswith(head)
            and not address[len(head) :].isdigit()  # HOST:PORT, the host "ssh"
        ):
            raise AddressError(
                f"{address!r} needs the {via.scheme}: transport, which this "
                "qmpsh does not have (yet)"
            )
    return transport_for(address)
