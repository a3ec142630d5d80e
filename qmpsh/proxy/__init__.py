"""The shared monitor (``qmpsh proxy TARGET --listen PATH``): one QMP
connection to a server, served to many QMP clients on unix sockets.

`qmpsh.proxy.framing` splits a client's byte stream into JSON texts,
`qmpsh.proxy.spec` reads ``--listen`` values (a path and its policy),
`qmpsh.proxy.answers` is what the proxy itself answers a client (greeting,
negotiation, refusals), `qmpsh.proxy.upstream` holds the one connection to
the server (ids rewritten), `qmpsh.proxy.client` one client's session and
`qmpsh.proxy.server` puts them together: listening, routing, reconnecting,
stopping.  Used by ``qmpsh.cli.proxy`` only.
"""
