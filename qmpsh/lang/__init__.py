"""The shorthand language, pure: one tolerant tokenizer feeding the parser,
the lexer and the completion cursor; literals, sizes, unparse, HMP lines,
the ``| cmd`` / ``> FILE`` splitter (`qmpsh.lang.sink`), what counts as
a secret; variables (``NAME = COMMAND``, ``$NAME``) and aliases, applied
to a line before it is parsed (`qmpsh.lang.bound`).

May import `qmpsh.core` only.  No I/O.
"""
