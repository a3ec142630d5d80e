"""The ground floor: exit codes and errors, settings and the config file, XDG
paths and private files, rendering, output shaping (``-o``, ``--query``)
and the output gate.

Imports nothing else of qmpsh; every other layer may import it.
"""
