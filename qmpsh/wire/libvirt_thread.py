"""The one thread that talks to libvirt: every libvirt-python call qmpsh
makes, and libvirt's event loop.

libvirt's calls block (a monitor command waits for QEMU's answer, opening
a ``qemu+ssh://`` URI waits for ssh), so they do not run on the session's
loop: a slow QEMU would freeze the shell, and neither ``--timeout`` nor
Ctrl-C could act.  They run here, one at a time in the order asked, which
keeps the order of a connection's requests.

libvirt's events come through libvirt-python's asyncio integration
(``libvirtaio``), registered on an asyncio loop that this thread runs, not
on the session's: libvirt calls its event implementation from whichever
thread makes a call (a connection's socket handle is updated around every
call), and libvirtaio may only be called from its own loop's thread; and
libvirt takes one implementation per process for good ("Event loop is
already registered"), where a process may run several session loops one
after the other.  Blocking calls and event dispatch share this thread, so
libvirtaio is only ever called from it.  What a callback receives is
handed to the session's loop with ``call_soon_threadsafe``.

The thread is a daemon: a call that never returns (a monitor that hangs)
does not keep qmpsh from exiting.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_thread: LibvirtThread | None = None


def libvirt_thread() -> LibvirtThread:
    """The thread (started on first use); the caller has imported
    libvirt-python successfully."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = LibvirtThread()
        return _thread


class LibvirtThread:
    """An asyncio loop in a daemon thread, with libvirtaio registered on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(started,), name="qmpsh-libvirt", daemon=True
        )
        self.thread.start()
        started.wait()

    def _run(self, started: threading.Event) -> None:
        import libvirt
        import libvirtaio

        asyncio.set_event_loop(self.loop)
        # errors are raised as libvirtError; libvirt would also print each
        # one on stderr ("libvirt: QEMU Driver error : ...") without this
        libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
        libvirtaio.virEventRegisterAsyncIOImpl(loop=self.loop)
        self.loop.call_soon(started.set)
        self.loop.run_forever()

    async def call(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)`` run on this thread, after the calls asked
        before it: its result (or exception)."""
        return await self.submit(function, *args)

    def submit(self, function: Callable[..., T], *args: object) -> asyncio.Future[T]:
        """Ask for ``function(*args)`` on this thread, after the calls asked
        before it; the future of its result, in the caller's (running) loop.

        Cancelling the future before the call has started drops the call;
        once started, it runs to its end and its result is dropped.
        """
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            if not done.set_running_or_notify_cancel():
                return
            try:
                done.set_result(function(*args))
            except BaseException as err:  # handed to the caller
                done.set_exception(err)

        self.loop.call_soon_threadsafe(run)
        return asyncio.wrap_future(done)

    def post(
        self,
        function: Callable[..., T],
        args: tuple[object, ...],
        then: Callable[[T | None, BaseException | None], object],
    ) -> None:
        """Run ``function(*args)`` on this thread, in turn, then
        ``then(result, None)`` or ``then(None, error)`` on the caller's
        (running) loop: `submit` with one hop less, for the requests."""
        loop = asyncio.get_running_loop()

        def run() -> None:
            try:
                result = function(*args)
            except BaseException as err:  # handed to the caller
                _hand(loop, then, None, err)
            else:
                _hand(loop, then, result, None)

        self.loop.call_soon_threadsafe(run)

    def soon(self, function: Callable[..., object], *args: object) -> None:
        """Run ``function(*args)`` on this thread, in turn, for nothing
        back (letting go of a connection)."""
        self.loop.call_soon_threadsafe(function, *args)


def _hand(
    loop: asyncio.AbstractEventLoop,
    then: Callable[[T | None, BaseException | None], object],
    result: T | None,
    error: BaseException | None,
) -> None:
    with contextlib.suppress(RuntimeError):  # the caller's loop is closed
        loop.call_soon_threadsafe(then, result, error)
