"""The interactive shell (prompt_toolkit): state, key table and bindings,
layout, toolbar, event pane, history, completion, and the line modes.

May import every layer up to `qmpsh.builtins`; never `qmpsh.batch` or `qmpsh.cli`.
"""
