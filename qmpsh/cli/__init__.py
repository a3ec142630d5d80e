"""The command line: the fast path and the click command, invocation, the
session runner that picks batch or shell, fan-out over several targets
(``fanout``, ``tagged``, ``events_many``), subcommands (``events``, ``qom``),
and the completion scripts.

The top floor: may import everything.
"""
