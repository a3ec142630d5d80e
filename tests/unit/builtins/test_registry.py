"""The built-in registry: the lazy table matches what the modules register."""

from __future__ import annotations

import importlib

from qmpsh.builtins import registry as builtins


def test_module_table_matches_registrations() -> None:
    for module in set(builtins.MODULES.values()):
        importlib.import_module(module)
    registered = set(builtins.REGISTRY)
    assert registered == set(builtins.MODULES), (
        "a built-in is registered but missing from MODULES, or the reverse"
    )
    for name, module in builtins.MODULES.items():
        assert builtins.REGISTRY[name].run.__module__ == module


def test_lookup() -> None:
    found = builtins.lookup("  events --clear ")
    assert found is not None
    assert found[0].name == "events"
    assert found[1] == "--clear"
    assert builtins.lookup("query-status") is None
    assert builtins.lookup("") is None
    found = builtins.lookup("wait\tSTOP")  # a tab, as in a script file
    assert found is not None and found[1] == "STOP"


def test_every_builtin_has_help() -> None:
    for name, item in builtins.load_all().items():
        assert item.summary, name
        assert item.doc, name


def test_the_builtins_that_run_without_the_connection() -> None:
    offline = {name for name, item in builtins.load_all().items() if item.offline}
    # the event history and help: wait finds an event that came before QEMU
    # closed the connection (e.g. SHUTDOWN); the variables and forgetting an
    # alias (defining one checks the server's command names)
    assert offline == {"events", "filter", "wait", "help", "vars", "unalias"}


def test_the_readme_gives_watch_the_usage_help_gives() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[3] / "README.md").read_text()
    watch = builtins.load_all()["watch"]
    assert f"`watch {watch.usage}`" in readme
