"""The interactive shell (prompt_toolkit): state, key table and bindings,
layout, toolbar, event pane, history, completion, the line modes, and
where a command's output goes (``| cmd``, ``> FILE``: `qmpsh.shell.sinks`).

May import every layer up to `qmpsh.builtins`; never `qmpsh.batch` or `qmpsh.cli`.
"""
