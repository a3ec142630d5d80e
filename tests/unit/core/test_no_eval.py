"""No eval anywhere: no call to eval/exec/compile in the package (by its syntax tree)."""

from __future__ import annotations

import ast
from pathlib import Path

import qmpsh

FORBIDDEN = {"eval", "exec", "compile", "__import__"}
PACKAGE = Path(qmpsh.__file__).parent


def calls_in(source: str) -> list[tuple[int, str]]:
    """(line, name) of every call to a forbidden builtin, however it is spelled."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in FORBIDDEN:
            found.append((node.lineno, func.id))
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in FORBIDDEN
            and isinstance(func.value, ast.Name)
            and func.value.id in ("builtins", "__builtins__")
        ):  # builtins.eval(...), but not re.compile(...)
            found.append((node.lineno, func.attr))
    return found


def test_the_checker_sees_every_spelling() -> None:
    source = (
        "import builtins\n"
        "# eval(x) in a comment is fine\n"
        "s = 'exec(y)'\n"
        "eval(a)\n"
        "builtins.exec(b)\n"
        "import re\n"
        "re.compile('x')\n"
    )
    assert calls_in(source) == [(4, "eval"), (5, "exec")]


def test_no_eval_in_qmpsh() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10
    found = {
        str(path.relative_to(PACKAGE)): hits
        for path in files
        if (hits := calls_in(path.read_text(encoding="utf-8")))
    }
    assert found == {}
