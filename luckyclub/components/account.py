"""Fields the account pages share: joining and the profile both ask for a timezone."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.layout import SELECT_STYLE
from luckyclub.platform import accounts


def timezone_select(value, on_change) -> rx.Component:
    return rx.vstack(
        rx.el.label(
            "Timezone", html_for="timezone", style={"fontWeight": "500", "fontSize": "0.9rem"}
        ),
        rx.el.select(
            *[rx.el.option(name, value=name) for name in accounts.timezones()],
            id="timezone",
            name="timezone",
            value=value,
            on_change=on_change,
            style=SELECT_STYLE,
        ),
        spacing="1",
        width="100%",
    )
