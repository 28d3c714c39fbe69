"""Pieces the competition pages share: the prize picture, the badges, the tickets-sold bar."""

from __future__ import annotations

import reflex as rx


def competition_picture(url, alt, height="14rem") -> rx.Component:
    """The prize picture, or a plain placeholder when the competition has none."""
    return rx.cond(
        url != "",
        rx.image(
            src=url,
            alt=alt,
            width="100%",
            height=height,
            object_fit="cover",
            border_radius="var(--radius-3)",
        ),
        rx.center(
            rx.icon("gift", size=40, color=rx.color("accent", 9)),
            width="100%",
            height=height,
            border_radius="var(--radius-3)",
            background_color=rx.color("accent", 3),
            aria_hidden="true",
        ),
    )


def competition_badges(card) -> rx.Component:
    """Featured, closing soon, sold out, and the phase when it is not on sale."""
    return rx.flex(
        rx.cond(card.featured, rx.badge("Featured", color_scheme="violet", size="2")),
        rx.cond(card.closing_soon, rx.badge("Closing soon", color_scheme="orange", size="2")),
        rx.cond(card.sold_out, rx.badge("Sold out", color_scheme="red", size="2")),
        rx.cond(
            card.phase != "active",
            # The status palette every page uses, at the size of the badges beside it.
            rx.badge(card.phase_words, size="2", color_scheme=card.phase_colour),
        ),
        wrap="wrap",
        gap="2",
    )


def sold_progress(percent, words, title) -> rx.Component:
    """How many of the tickets are sold, as a bar and as words ("3 of 100 sold")."""
    return rx.vstack(
        rx.progress(value=percent, max=100, width="100%", aria_label="Tickets sold: " + title),
        rx.text(words, size="2", color_scheme="gray"),
        spacing="1",
        width="100%",
    )
