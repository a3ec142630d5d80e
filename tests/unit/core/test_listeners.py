from __future__ import annotations

from qmpsh.core.listeners import Listeners


def test_listeners_are_called_in_order_with_the_arguments() -> None:
    heard: list[tuple[str, int, str]] = []
    listeners: Listeners[[int]] = Listeners()
    listeners.add(lambda n: heard.append(("a", n, "")))
    listeners.add(lambda n: heard.append(("b", n, "")))
    listeners(7)
    assert heard == [("a", 7, ""), ("b", 7, "")]
    assert len(listeners) == 2


def test_a_listener_may_remove_itself_while_being_called() -> None:
    heard: list[str] = []
    listeners: Listeners[[]] = Listeners()

    def once() -> None:
        heard.append("once")
        remove_once()

    remove_once = listeners.add(once)
    listeners.add(lambda: heard.append("always"))
    listeners()
    listeners()
    assert heard == ["once", "always", "always"]
    remove_once()  # a second removal changes nothing
    assert len(listeners) == 1


def test_the_same_callable_twice_is_two_listeners() -> None:
    heard: list[str] = []

    def hear() -> None:
        heard.append("x")

    listeners: Listeners[[]] = Listeners()
    remove = listeners.add(hear)
    listeners.add(hear)
    listeners()
    remove()
    listeners()
    assert heard == ["x", "x", "x"]
