"""Small text helpers shared by every layer.

`os_text` words an OS error the way qmpsh's one-line messages quote it.
"""

from __future__ import annotations


def os_text(err: BaseException) -> str:
    """*err* as the tail of a one-line message: the OS's own words in lower
    case ("no such file or directory"), else the error's text or class."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.lower() if err.strerror[0].isupper() else err.strerror
    return str(err) or type(err).__name__
