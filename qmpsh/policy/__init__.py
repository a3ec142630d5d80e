"""What may be sent: ``--read-only``, ``--allow`` and ``--deny`` (pure).

Owns `qmpsh.policy.rules.Policy`, the one judge of whether a request may
go to the server, and the list of commands known to change nothing
(`qmpsh.policy.readonly.changes_nothing`, which batch mode's pipelining
uses too).  The
connection asks it before each request (`qmpsh.wire.connection.Connection`
takes it as a plain callable, so the wire layer knows no policy); the same
object is meant to serve a proxy.
"""
