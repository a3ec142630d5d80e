"""The QOM tree: the model of paths and properties, and fetching it.

May import the layers below `qmpsh.builtins` (core, lang, wire, schema).
"""
