"""Built-in commands: one module per family (events, wait and filter, help,
jobs, watch, qom, hmp, fds, output, vars and aliases), one registry that feeds dispatch, help and
completion; the `Context` they work with and the session's typed state
(`qmpsh.builtins.context`); and the line-mode interface the shell's modes
implement (`qmpsh.builtins.linemode`), here because HMP mode is also a
built-in's.

May import every layer below: core, lang, wire, schema, qom, jobs.
"""
