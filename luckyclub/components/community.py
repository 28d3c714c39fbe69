"""Pieces the community pages share: the heading with the live badge, tickets by source, the
leaderboard, the page shown for an unknown community."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.layout import link_button
from luckyclub.core import routes


def community_header(name, is_live, subtitle: str = "") -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(name, size="8", as_="h1"),
            rx.cond(
                is_live,
                rx.badge("Live on Kick", color_scheme="green", size="2"),
                rx.badge("Offline", color_scheme="gray", size="2"),
            ),
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        *([rx.text(subtitle, size="3", color_scheme="gray")] if subtitle else []),
        spacing="1",
    )


def source_totals(totals) -> rx.Component:
    """Tickets by source ("Chat time 120 · Gifted subs 45 …") as a small definition list."""
    return rx.cond(
        totals.length() > 0,
        rx.el.dl(
            rx.foreach(
                totals,
                lambda t: rx.hstack(
                    rx.el.dt(t.source, style={"fontWeight": "500"}),
                    rx.el.dd(t.tickets, style={"margin": "0"}),
                    justify="between",
                    width="100%",
                ),
            ),
            style={"width": "100%", "margin": "0"},
            aria_label="Tickets by source",
        ),
        rx.text("No tickets yet this period.", size="2"),
    )


def leaderboard(leaders) -> rx.Component:
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.heading("Leaderboard", size="4", as_="h2"),
                rx.cond(
                    leaders.length() > 0,
                    rx.el.ol(
                        rx.foreach(
                            leaders,
                            lambda r: rx.el.li(
                                rx.hstack(
                                    rx.text(r.rank, ".", width="2rem", color_scheme="gray"),
                                    rx.text(r.name, weight=rx.cond(r.is_me, "bold", "regular")),
                                    rx.spacer(),
                                    rx.text(r.tickets, " tickets"),
                                    width="100%",
                                ),
                            ),
                        ),
                        style={"listStyle": "none", "margin": "0", "padding": "0", "width": "100%"},
                    ),
                    rx.text("Nobody has tickets yet this period.", size="2"),
                ),
                spacing="2",
                width="100%",
            ),
            aria_label="Leaderboard",
        ),
        width="100%",
    )


def missing_community() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("search_x", size=48, color=rx.color("accent", 9)),
            rx.heading("There is no such community", size="7", as_="h1"),
            rx.text("The link may be mistyped."),
            link_button("Go to the home page", routes.HOME),
            align="center",
            spacing="3",
        ),
        padding_y="4rem",
    )
