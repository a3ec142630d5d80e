"""SIGTERM and SIGHUP end a session the way Ctrl-D does.

``kill PID``, a closed terminal window or ``tmux kill-session`` would
otherwise kill qmpsh on the spot: the terminal left in raw mode under the
shell's toolbar, and under ``qmpsh wrap`` QEMU killed by PR_SET_PDEATHSIG
(no clean shutdown) and its socket directory left behind.  Instead the
running session is cancelled (the shell puts the terminal back, batch mode
stops reading), its target is closed as always (QEMU asked to quit, its
directory removed), and qmpsh exits with 128 + the signal's number, as
shells report a command a signal ended.  Only SIGKILL is left to
PR_SET_PDEATHSIG.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from types import TracebackType

from qmpsh.core.exitcodes import Exit

#: the signals that stop a session: the exit code, and the line qmpsh leaves
STOP_SIGNALS: dict[signal.Signals, tuple[Exit, str]] = {
    signal.SIGHUP: (Exit.HANGUP, "hung up (SIGHUP)"),
    signal.SIGTERM: (Exit.TERMINATED, "terminated (SIGTERM)"),
}


class StopOnSignal:
    """While in force, the first of `STOP_SIGNALS` calls *stop* (which
    cancels the session) and is remembered in `signum`; later ones are
    ignored, so that they do not cut the cleanup short (it is bounded: QEMU
    gets a few seconds before SIGKILL).  A signal qmpsh was started with
    ignored (``nohup``) stays ignored.
    """

    def __init__(self, stop: Callable[[], object]) -> None:
        self.stop = stop
        self.signum: signal.Signals | None = None
        self._installed: list[signal.Signals] = []

    def __enter__(self) -> StopOnSignal:
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) == signal.SIG_IGN:
                continue
            loop.add_signal_handler(signum, self._received, signum)
            self._installed.append(signum)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        loop = asyncio.get_running_loop()
        for signum in self._installed:
            loop.remove_signal_handler(signum)
        self._installed.clear()

    def _received(self, signum: signal.Signals) -> None:
        if self.signum is None:
            self.signum = signum
            self.stop()
