"""Reaching a server: addresses and transports, the `Connection` over
qemu.qmp, custom ids, the guest agent's sync protocol and its detection (with what
answered at an address before, `qmpsh.wire.answered`), the wire log, the event
log, reconnecting, and the failures said when a session ends.

May import `qmpsh.core` and `qmpsh.lang`.
"""
