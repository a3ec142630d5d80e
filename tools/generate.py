"""Regenerate the files written from the click definition:

    python -m tools.generate            # write them
    python -m tools.generate --check    # exit 1 if one is out of date

completions/qmpsh.bash, completions/_qmpsh (zsh), completions/qmpsh.fish
(qmpsh.cli.shellcomplete) and docs/qmpsh.1 (tools.manpage), under the source
tree this package sits in (or the directory given with --root).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: file (relative to the source tree) -> what writes it
TARGETS: dict[str, str] = {
    "completions/qmpsh.bash": "bash",
    "completions/_qmpsh": "zsh",
    "completions/qmpsh.fish": "fish",
    "docs/qmpsh.1": "man",
}


def contents(what: str) -> str:
    from qmpsh.cli.command import cli

    if what == "man":
        from qmpsh import __version__
        from tools.manpage import render

        return render(cli, __version__)
    from qmpsh.cli.shellcomplete import script

    return script(cli, what)


def _changes(root: Path) -> dict[str, str]:
    """The targets under *root* that differ from what would be written,
    with what would be written."""
    out = {}
    for name, what in TARGETS.items():
        path = root / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        wanted = contents(what)
        if current != wanted:
            out[name] = wanted
    return out


def stale(root: Path) -> list[str]:
    """The targets under *root* that differ from what would be written."""
    return list(_changes(root))


def write(root: Path) -> list[str]:
    """Write every target that changed; return their names."""
    changed = _changes(root)
    for name, text in changed.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(changed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.generate",
        description="Write the shell completion scripts and the man page.",
    )
    parser.add_argument(
        "--check", action="store_true", help="Only report stale files (exit 1)."
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parents[1],
        help="The source tree (default: the one this qmpsh is in).",
    )
    args = parser.parse_args(argv)
    if not (args.root / "pyproject.toml").exists():
        parser.error(f"{args.root} is not qmpsh's source tree (no pyproject.toml)")
    if args.check:
        changed = stale(args.root)
        for name in changed:
            sys.stderr.write(f"{name} is out of date: run python -m tools.generate\n")
        return 1 if changed else 0
    for name in write(args.root):
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
