"""The yes/no question the shell asks on its prompt line.

`Question` owns the question being asked (one at a time: a dangerous
command to confirm, ``commit`` asking to complete its job), the window the
layout shows it in, and the answer awaited.  While it is asked, that window
has the keyboard focus, so that no key edits the input; the keys
(`qmpsh.shell.bindings`) answer it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from prompt_toolkit.application import Application
from prompt_toolkit.layout import Window


class Question:
    """The question on the prompt line, while one is asked."""

    def __init__(
        self,
        app: Callable[[], Application[int] | None],
        invalidate: Callable[[], None],
    ) -> None:
        #: the shell's application, None while it does not run
        self._app = app
        self._invalidate = invalidate
        #: the question, while one is asked
        self.text: str | None = None
        #: the window showing the question (the layout sets it): it takes the
        #: keyboard focus while a question is asked, so that no key edits the
        #: input then
        self.window: Window | None = None
        self._answer: asyncio.Future[bool] | None = None
        #: the window that had the focus before the question took it
        self._focused: Window | None = None

    async def ask(self, question: str) -> bool:
        """Ask *question*; True for yes."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bool] = loop.create_future()
        self._answer = answer
        self.text = question
        self._focus()
        self._invalidate()
        try:
            return await answer
        finally:
            if self._answer is answer:
                self._close()

    def answer(self, yes: bool) -> None:
        """Answer the question; the keys typed after the answer go to the
        input at once, even before the job asking has gone on."""
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(yes)
            self._close()

    def _focus(self) -> None:
        app = self._app()
        if app is None or self.window is None:
            return
        layout = app.layout
        self._focused = layout.current_window
        layout.focus(self.window)

    def _close(self) -> None:
        self.text = None
        self._answer = None
        focused, self._focused = self._focused, None
        app = self._app()
        if app is not None and focused is not None:
            app.layout.focus(focused)
        self._invalidate()
