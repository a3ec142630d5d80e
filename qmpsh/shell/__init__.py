"""The interactive shell (prompt_toolkit): state, key table and bindings,
layout, toolbar, event pane, history, completion, the line modes, where a
command's output goes (``| cmd``, ``> FILE``: `qmpsh.shell.sinks`), and one
shell on several targets (fleet, fleet_lines, fleet_hooks: ``@NAME``).

May import every layer up to `qmpsh.builtins`; never `qmpsh.batch` or `qmpsh.cli`.
"""
