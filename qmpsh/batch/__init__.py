"""Batch mode: numbered input lines from ``-c``, ``-f`` or stdin, run in order
with exit codes a script can trust; replies shaped by ``-o``, ``--query``
and the ``output`` built-in (`qmpsh.batch.shaping`); variables bound from
replies and aliases expanded (`qmpsh.batch.bindings`).

May import every layer up to `qmpsh.builtins`; never `qmpsh.shell` or `qmpsh.cli`.
"""
