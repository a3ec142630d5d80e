"""The QMP reference man pages installed with QEMU, read at run time.

Nothing of QEMU's documentation is stored in this repository: the tests that
need a page read the installed one (Debian's qemu-system-common ships
``qemu-qmp-ref(7)`` and ``qemu-storage-daemon-qmp-ref(7)``, qemu-guest-agent
``qemu-ga-ref(7)``).  A missing page skips the test, except with ``CI=true``,
where it is a failure (``.ci/setup`` installs them).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest

from qmpsh.schema.manual.find import ManualError, locate, read_page
from qmpsh.schema.manual.model import Reference, ServerKind
from qmpsh.schema.manual.parse import parse_reference
from qmpsh.schema.manual.view import Manual

KINDS: tuple[ServerKind, ...] = ("qemu", "storage-daemon", "guest-agent")


def need_page(kind: ServerKind) -> Path:
    """The installed page of *kind*; skip (fail under CI=true) without it."""
    try:
        return locate(kind, use_man=False)
    except ManualError as error:
        message = f"{error.message} (.ci/setup installs what the tests need)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@cache
def _text(path: Path) -> str:
    return read_page(path)


def page_text(kind: ServerKind) -> str:
    """The roff text of the installed page of *kind*."""
    return _text(need_page(kind))


@cache
def _reference(path: Path) -> Reference:
    return parse_reference(_text(path), path.name.split(".", 1)[0])


def reference(kind: ServerKind) -> Reference:
    """The whole page of *kind*, parsed at once (parsed once per test run)."""
    return _reference(need_page(kind))


def manual(kind: ServerKind) -> Manual:
    """A `Manual` over the whole parsed page of *kind*."""
    path = need_page(kind)
    return Manual.from_reference(_reference(path), str(path))
