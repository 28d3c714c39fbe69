"""`event`: Reflex's `rx.event` decorator, with every handler kept off the event loop.

Reflex calls a plain (synchronous) handler directly on its asyncio event loop, so one slow handler
(an argon2 check, a query, a payment provider thinking for 20 s, an image decoded) would freeze
every connection of the process. `event` therefore turns a plain handler into an async one that
runs the original in a thread of this module's pool, and a plain generator handler into an async
generator stepping it there. The state stays locked for the event while the thread works, so the
handler changes `self` as safely as before. Async handlers are left as they are: they push their
own blocking work to `run_in_thread`.

Typing: Reflex types `rx.event` through `EventNamespace.__new__`, whose return annotations name the
class attribute `EventNamespace.EventCallback`; mypy cannot use that attribute as a type, so it
would type every decorated handler as `EventNamespace`, and calling one (`State.ban(user.id)`)
would fail to type-check. The overloads below say what `event` returns.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import os
from collections.abc import AsyncIterator, Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar, TypeVarTuple, overload

import reflex as rx

# Threads for handlers' blocking work, per process. A payment provider that hangs holds its thread
# for up to ~45 s (a 20 s timeout, one retry), while database work can use at most the engine's
# pool (PostgreSQL: 10 + 20 overflow connections): 64 threads leave room for a full pool of
# database work even while 30 checkouts hang. An idle thread costs next to nothing.
HANDLER_THREADS = 64

_T = TypeVar("_T")
_pool: ThreadPoolExecutor | None = None


def _handler_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(HANDLER_THREADS, thread_name_prefix="luckyclub-handler")
    return _pool


def _forget_pool() -> None:
    # Reflex's production server forks its workers: a child gets its own threads, on first use.
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool)


async def run_in_thread(work: Callable[[], _T]) -> _T:
    """`work()` in a handler thread, with this task's context variables; the loop stays free.

    A thread cannot be stopped: when the awaiting event is cancelled (its tab closed, a newer
    event superseded it), this still waits for `work` to finish before giving up, so the state
    `work` changes stays locked for as long as it runs.
    """
    loop = asyncio.get_running_loop()
    thread = loop.run_in_executor(_handler_pool(), contextvars.copy_context().run, work)
    try:
        return await asyncio.shield(thread)
    except asyncio.CancelledError:
        while not thread.done():
            try:
                await asyncio.wait([thread])
            except asyncio.CancelledError:
                continue
        if not thread.cancelled():
            thread.exception()  # said by the cancellation instead, not logged as never retrieved
        raise


def _step(updates: Generator[Any, None, Any]) -> tuple[bool, Any]:
    """The generator's next update as (finished, value); its return value once finished."""
    try:
        return False, next(updates)
    except StopIteration as stop:
        return True, stop.value


def off_loop(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` as a handler that never blocks the event loop (async handlers come back unchanged).

    functools.wraps keeps what Reflex reads from a handler: its name, its signature (through
    `__wrapped__`) and its annotations, which convert the browser's arguments.
    """
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        return fn
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        async def stepped(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            updates = fn(self, *args, **kwargs)  # runs nothing of the body yet
            try:
                while True:
                    finished, update = await run_in_thread(functools.partial(_step, updates))
                    if finished:
                        if update is not None:
                            yield update  # what Reflex does with a generator's return value
                        return
                    yield update
            finally:
                updates.close()

        return stepped

    @functools.wraps(fn)
    async def threaded(self: Any, *args: Any, **kwargs: Any) -> Any:
        return await run_in_thread(functools.partial(fn, self, *args, **kwargs))

    return threaded


if TYPE_CHECKING:
    from reflex.state import BaseState
    from reflex_base.event import EventCallback

    _State = TypeVar("_State", bound=BaseState)
    _Args = TypeVarTuple("_Args")

    @overload
    def event(func: Callable[[_State, *_Args], Any], /) -> EventCallback[*_Args]: ...

    @overload
    def event(
        *,
        background: bool | None = None,
        supersedes: bool | None = None,
        stop_propagation: bool | None = None,
        prevent_default: bool | None = None,
        throttle: int | None = None,
        debounce: int | None = None,
        temporal: bool | None = None,
    ) -> Callable[[Callable[[_State, *_Args], Any]], EventCallback[*_Args]]: ...

    def event(func: Any = None, /, **options: Any) -> Any: ...

else:

    def event(func=None, /, **options):
        """`rx.event(off_loop(func), **options)`, bare or with options like `rx.event`."""
        if func is None:
            return lambda fn: rx.event(off_loop(fn), **options)
        return rx.event(off_loop(func), **options)
