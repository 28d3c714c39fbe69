"""`event`: Reflex's `rx.event` decorator, typed so that mypy reads what it returns.

Reflex types `rx.event` through `EventNamespace.__new__`, whose return annotations name the
class attribute `EventNamespace.EventCallback`; mypy cannot use that attribute as a type, so it
types every decorated handler as `EventNamespace`, and calling one (`State.ban(user.id)`) fails
to type-check. Pyright reads the same annotations fine. At runtime `event` is `rx.event` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, TypeVarTuple, overload

import reflex as rx

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
    event = rx.event
