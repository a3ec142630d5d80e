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
import functools
import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

#: what the caller's loop is handed: the result, or the error
Then = Callable[[T | None, BaseException | None], object]

#: calls run back to back before the thread's own loop gets a turn (to
#: dispatch libvirt's events and timers) during a burst of requests
BURST = 16

#: turns of this thread's loop that results wait for events to be
#: dispatched, after the last call asked (libvirtaio's timer takes two)
EVENT_TURNS = 3

#: the longest the session's thread holds the GIL while this one waits for
#: it (Python's default is 5 ms): a libvirt call needs the GIL back when it
#: returns, and a call takes 2-5 ms itself
SWITCH_INTERVAL = 0.0005

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
    """An asyncio loop in a daemon thread, with libvirtaio registered on it,
    and the calls asked of it, run in order.

    Calls wait in one queue that the thread works through, `BURST` at a
    time between turns of its loop; results wait in one outbox per caller's
    loop, handed over at the end of each turn (at once when no other call
    waits).  So a burst of pipelined requests wakes each thread once per
    turn, not once per request, which keeps the two threads from trading
    the GIL and the CPU at every reply; a lone request is answered as soon
    as it is done.
    """

    def __init__(self) -> None:
        # With the session's thread busy in Python (a burst of replies to
        # parse and print), each libvirt call waited up to the switch
        # interval for the GIL, several times: 20 ms a call instead of 4
        # when measured against a thread spinning in Python, 10 ms with this.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self.loop = asyncio.new_event_loop()
        self._lock = threading.Lock()
        self._calls: deque[Callable[[], object]] = deque()
        self._working = False
        self._outboxes: dict[asyncio.AbstractEventLoop, list[_Delivery]] = {}
        #: loops with an outbox that no wake-up has been sent for yet
        self._unwoken: list[asyncio.AbstractEventLoop] = []
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
        _coalescing(libvirtaio.virEventAsyncIOImpl)(self.loop).register()
        self.loop.call_soon(started.set)
        self.loop.run_forever()

    # -- asking --------------------------------------------------------------

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
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()

        def then(result: T | None, error: BaseException | None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)  # type: ignore[arg-type]

        self.post(function, args, then, skip=future.cancelled)
        return future

    def post(
        self,
        function: Callable[..., T],
        args: tuple[object, ...],
        then: Then[T],
        skip: Callable[[], bool] | None = None,
    ) -> None:
        """Run ``function(*args)`` on this thread, in turn (unless *skip*
        says so by then), then ``then(result, None)`` or ``then(None,
        error)`` on the caller's (running) loop."""
        loop = asyncio.get_running_loop()

        def run() -> None:
            if skip is not None and skip():
                return
            try:
                result = function(*args)
            except BaseException as err:  # handed to the caller
                self._hand(loop, functools.partial(then, None, err))
            else:
                self._hand(loop, functools.partial(then, result, None))

        self._ask(run)

    def soon(self, function: Callable[..., object], *args: object) -> None:
        """Run ``function(*args)`` on this thread, in turn, for nothing
        back (letting go of a connection)."""
        self._ask(lambda: function(*args))

    # -- on this thread --------------------------------------------------------

    def _ask(self, call: Callable[[], object]) -> None:
        with self._lock:
            self._calls.append(call)
            if self._working:
                return
            self._working = True
        self.loop.call_soon_threadsafe(self._work)

    def _work(self) -> None:
        if self._unwoken:  # results waiting for events: not behind more calls
            self._wake()
        for _ in range(BURST):
            with self._lock:
                if not self._calls:
                    self._working = False
                    break
                call = self._calls.popleft()
            call()
        else:  # more to do: libvirt's events first, then on
            self.loop.call_soon(self._work)
            self._wake()
            return
        # Nothing more to do: the results wait for libvirt's events that
        # came with them to be dispatched (a timer of libvirtaio's, two
        # turns of this loop), so that an event QEMU sent before its reply
        # (STOP before stop's) reaches the session before the reply, as on
        # QEMU's own socket, and is not lost when the session ends with it.
        self._wake(turns=EVENT_TURNS)

    def _hand(self, loop: asyncio.AbstractEventLoop, delivery: _Delivery) -> None:
        """Put a result in *loop*'s outbox; it goes at the end of the turn."""
        with self._lock:
            box = self._outboxes.get(loop)
            if box is None:  # none on its way: this one needs a wake-up
                self._outboxes[loop] = box = []
                self._unwoken.append(loop)
            box.append(delivery)

    def _wake(self, turns: int = 0) -> None:
        """Have the callers' loops take their outboxes, after *turns* turns
        of this thread's loop."""
        if turns:
            self.loop.call_soon(self._wake, turns - 1)
            return
        with self._lock:
            loops, self._unwoken = self._unwoken, []
        for loop in loops:
            try:
                loop.call_soon_threadsafe(self._deliver, loop)
            except RuntimeError:  # the caller's loop is closed: nobody waits
                with self._lock:
                    self._outboxes.pop(loop, None)

    # -- on the caller's loop ----------------------------------------------------

    def _deliver(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            box = self._outboxes.pop(loop, [])
        for delivery in box:
            try:
                delivery()
            except Exception as err:  # one failing must not lose the others
                loop.call_exception_handler(
                    {
                        "message": "a libvirt call's result handler failed",
                        "exception": err,
                    }
                )


#: a result on its way to the caller: its handler, called with it
_Delivery = Callable[[], object]


def _coalescing(base: Any) -> Any:
    """libvirtaio's implementation (*base*), with a handle's updates applied
    once per turn of the loop, the last one winning.

    libvirt turns its connection's socket handle off and on again around
    every call (two updates, each a selector change); in a burst the loop
    does not poll between the calls, so only the state it polls with
    counts.  Applied at the next turn, the first poll of which may still
    see the state before the burst: the handle on, which is what libvirt
    wants whenever no call runs (and the selector is level-triggered).
    """

    class Coalescing(base):  # type: ignore[misc]
        def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
            super().__init__(loop)
            self._updates: dict[int, int] = {}

        def _update_handle(self, watch: int, event: int) -> None:
            if not self._updates:
                self.loop.call_soon(self._apply)
            self._updates[watch] = event

        def _remove_handle(self, watch: int) -> int:
            self._updates.pop(watch, None)
            return int(super()._remove_handle(watch))

        def _apply(self) -> None:
            updates, self._updates = self._updates, {}
            for watch, event in updates.items():
                if watch in self.callbacks:
                    super()._update_handle(watch, event)

    return Coalescing
