"""What the server offers: the model of ``query-qmp-schema`` (and of the guest
agent's ``guest-info``), its on-disk cache, typing values by it, validation,
signatures.

May import `qmpsh.core`, `qmpsh.lang` and `qmpsh.wire`.
"""
