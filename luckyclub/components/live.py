"""Pieces for pages that change while you look at them: a heartbeat, a countdown, a share bar."""

from __future__ import annotations

import reflex as rx
from reflex.vars import StringVar


def heartbeat(on_tick, every_ms: int = 1000) -> rx.Component:
    """Calls on_tick every few seconds while the page is open; stops when the tab closes."""
    return rx.moment(interval=every_ms, on_change=on_tick, display="none")


def _unit(value, label: str) -> rx.Component:
    return rx.vstack(
        rx.text(value, size="6", weight="bold", style={"fontVariantNumeric": "tabular-nums"}),
        rx.text(label, size="1", color_scheme="gray"),
        align="center",
        spacing="0",
        min_width="3.2rem",
    )


def countdown(seconds_left, label: str = "Time left until the raffle closes") -> rx.Component:
    """Days, hours, minutes and seconds until a moment (seconds_left is an int state var)."""
    days = seconds_left // 86400
    hours = (seconds_left % 86400) // 3600
    minutes = (seconds_left % 3600) // 60
    seconds = seconds_left % 60
    return rx.cond(
        seconds_left > 0,
        rx.hstack(
            _unit(days, "days"),
            _unit(hours, "hours"),
            _unit(minutes, "min"),
            _unit(seconds, "sec"),
            spacing="2",
            role="timer",
            aria_label=label,
        ),
        rx.badge("Closed", color_scheme="gray", size="2"),
    )


def _two_digits(number) -> StringVar:
    return rx.cond(number < 10, "0" + number.to_string(), number.to_string()).to(str)


def short_countdown(seconds_left, label) -> rx.Component:
    """ "2d 04:05:06" until a moment, in one line, for a card (seconds_left: an int var)."""
    days = seconds_left // 86400
    clock = (
        _two_digits((seconds_left % 86400) // 3600)
        + ":"
        + _two_digits((seconds_left % 3600) // 60)
        + ":"
        + _two_digits(seconds_left % 60)
    )
    return rx.text(
        rx.cond(
            seconds_left > 0,
            rx.cond(days > 0, days.to_string() + "d " + clock, clock),
            "any moment now",
        ),
        role="timer",
        aria_label=label,
        size="2",
        weight="medium",
        style={"fontVariantNumeric": "tabular-nums"},
    )


def share_bar(basis_points, label) -> rx.Component:
    """A bar showing a share of a whole (in hundredths of a percent), with its words beside it."""
    return rx.vstack(
        rx.progress(value=basis_points, max=10_000, width="100%", aria_label=label),
        rx.text(label, size="2"),
        width="100%",
        spacing="1",
    )
