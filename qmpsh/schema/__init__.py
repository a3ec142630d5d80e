"""What the server offers: the model of ``query-qmp-schema`` (and of the guest
agent's ``guest-info``, the base64 of its replies decoded, what
``guest-exec`` ran and how it ended), its on-disk cache, typing values by it, validation,
signatures, what a request uses that is deprecated; and QEMU's QMP reference
manual, read from the installed man pages (`qmpsh.schema.manual`).

May import `qmpsh.core`, `qmpsh.lang` and `qmpsh.wire`.
"""
