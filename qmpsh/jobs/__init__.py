"""Block and other jobs: the model, the tracker fed by events, progress and
the table view.

May import the layers below `qmpsh.builtins` (core, lang, wire, schema).
"""
