"""Built-in commands: one module per family (events, wait and filter, help,
jobs, watch, qom, hmp, fds), one registry that feeds dispatch, help and
completion.

May import every layer below: core, lang, wire, schema, qom, jobs.
"""
