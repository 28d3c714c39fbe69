"""Pieces for pages that change while you look at them: a countdown that ticks in the browser, the
hook that reloads a page when the server says its data changed, and a share bar."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.components.component import field
from reflex_base.event import EventHandler, no_args_event_spec, passthrough_event_spec


class Countdown(rx.Component):
    """assets/live.jsx: counts down to `deadline` (Unix seconds) in the browser, one render a
    second and nothing sent to the server; at zero it shows `zero_text` and fires `on_zero` once
    (only when zero is crossed while the page is open)."""

    library = "$/public/live.jsx"
    tag = "Countdown"

    deadline: rx.Var[int]
    label: rx.Var[str]
    variant: rx.Var[str]  # "full" (days, hours, min, sec) or "short" ("2d 04:05:06")
    zero_text: rx.Var[str]

    # Declared as Reflex's own components declare triggers; EventHandler is generic in its stubs.
    on_zero: EventHandler[no_args_event_spec] = field(  # type: ignore[type-arg, valid-type]
        doc="Fired once, at zero."
    )


def countdown(
    deadline: Any,
    label: Any = "Time left until the raffle closes",
    *,
    zero_text: str = "any moment now",
    on_zero: Any = None,
) -> rx.Component:
    """Days, hours, minutes and seconds until `deadline` (an int var of Unix seconds)."""
    props: dict[str, Any] = {"on_zero": on_zero} if on_zero is not None else {}
    return Countdown.create(
        deadline=deadline, label=label, variant="full", zero_text=zero_text, **props
    )


def short_countdown(deadline: Any, label: Any, *, on_zero: Any = None) -> rx.Component:
    """ "2d 04:05:06" until `deadline` (Unix seconds), in one line, for a card."""
    props: dict[str, Any] = {"on_zero": on_zero} if on_zero is not None else {}
    return Countdown.create(deadline=deadline, label=label, variant="short", **props)


class WhenChanged(rx.Component):
    """assets/live.jsx: renders nothing; fires `on_change(value)` each time `value` changes."""

    library = "$/public/live.jsx"
    tag = "WhenChanged"

    value: rx.Var[str]

    on_change: EventHandler[passthrough_event_spec(str)] = field(  # type: ignore[type-arg, valid-type]
        doc="Fired with the new value."
    )


def reload_on(version: Any, on_change: Any) -> rx.Component:
    """Calls `on_change(version)` whenever the server changes `version` (a room's var). The
    handler also ignores a version the tab has loaded already (see state/live.py)."""
    return WhenChanged.create(value=version, on_change=on_change)


def share_bar(basis_points, label) -> rx.Component:
    """A bar showing a share of a whole (in hundredths of a percent), with its words beside it."""
    return rx.vstack(
        rx.progress(value=basis_points, max=10_000, width="100%", aria_label=label),
        rx.text(label, size="2"),
        width="100%",
        spacing="1",
    )
