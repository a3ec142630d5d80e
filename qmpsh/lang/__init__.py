"""The shorthand language, pure: one tolerant tokenizer feeding the parser,
the lexer and the completion cursor; literals, sizes, unparse, HMP lines,
the ``| cmd`` / ``> FILE`` splitter (`qmpsh.lang.sink`), and what counts
as a secret.

May import `qmpsh.core` only.  No I/O.
"""
