"""A form's button shows that its action runs: the handler sets a flag on its state, sends it to the
browser at once, does its work in a thread (never on the event loop) and clears the flag."""

from __future__ import annotations

import functools
from collections.abc import Callable

from luckyclub.state.events import run_in_thread


def shows_busy(flag: str = "busy") -> Callable[[Callable], Callable]:
    """Turn a plain handler into one that sets the state's bool var `flag` while it runs, off the
    event loop; what the handler returns (a redirect…) follows. A click meanwhile does nothing."""

    def decorate(work: Callable) -> Callable:
        @functools.wraps(work)
        async def handler(self, *args, **kwargs):
            if getattr(self, flag):
                return
            setattr(self, flag, True)
            yield
            try:
                result = await run_in_thread(lambda: work(self, *args, **kwargs))
            finally:
                setattr(self, flag, False)
            if result is not None:
                yield result

        return handler

    return decorate
