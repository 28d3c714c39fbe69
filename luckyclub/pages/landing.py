"""The landing page: what LuckyClub is, for a first-time visitor; and the friendly 404."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.layout import link_button, page
from luckyclub.core import routes
from luckyclub.state.community.listing import CommunityListState
from luckyclub.state.session import SessionState

_MODES = [
    (
        "users",
        "Club raffles",
        "Members earn monthly entries, plus bonus entries for approved proofs.",
    ),
    (
        "trophy",
        "Prize competitions",
        "Numbered tickets, a skill question, a free postal route, 18+ only.",
    ),
    (
        "list_checks",
        "Signup lotteries",
        "Fair places for families on popular events, with waitlists.",
        routes.LISTS,
    ),
    ("tv", "Community raffles", "Viewers earn tickets from chat time, gifted subs and wagers."),
]

_STEPS = [
    (
        "lock",
        "Committed before",
        "Each draw publishes a fingerprint of its secret seed before entries close.",
    ),
    (
        "camera",
        "Frozen at close",
        "The entries are frozen; anyone can check their own entry is in.",
    ),
    (
        "dices",
        "Drawn in the open",
        "Public randomness that nobody knew in advance picks the winners.",
    ),
    (
        "badge_check",
        "Checked by anyone",
        "The proof lets anyone re-run the draw and get the same result.",
    ),
]


def _tile(icon: str, title: str, text: str, href: str = "") -> rx.Component:
    """A mode or a step; a mode with pages of its own links to them."""
    return rx.card(
        rx.vstack(
            rx.icon(icon, size=28, color=rx.color("accent", 9)),
            rx.heading(title, size="4", as_="h3"),
            rx.text(text, size="2", color_scheme="gray"),
            *([rx.link(f"Open {title.lower()}", href=href, size="2")] if href else []),
            spacing="2",
        ),
        height="100%",
    )


def _competitions_card() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.icon("trophy", size=36, color=rx.color("accent", 9)),
            rx.vstack(
                rx.heading("Competitions", size="5", as_="h2"),
                rx.text(
                    "Win prizes with numbered tickets: answer one question, pick your tickets, "
                    "watch the draw live. Free postal entry too. 18+ only.",
                    size="2",
                    color_scheme="gray",
                ),
                spacing="1",
                flex="1",
            ),
            link_button("See the competitions", routes.COMPETITIONS, size="3"),
            direction=rx.breakpoints(initial="column", sm="row"),
            align=rx.breakpoints(initial="start", sm="center"),
            gap="4",
            width="100%",
        ),
        width="100%",
    )


def _communities() -> rx.Component:
    """Each streamer's community raffle, with a link to its public page."""
    return rx.cond(
        CommunityListState.communities.length() > 0,
        rx.card(
            rx.el.section(
                rx.vstack(
                    rx.heading("Community raffles", size="5", as_="h2"),
                    rx.hstack(
                        rx.foreach(
                            CommunityListState.communities,
                            lambda c: rx.hstack(
                                rx.link(c.name, href=c.url, size="3", weight="medium"),
                                rx.cond(c.is_live, rx.badge("Live", color_scheme="green")),
                                align="center",
                                spacing="1",
                            ),
                        ),
                        spacing="4",
                        wrap="wrap",
                    ),
                    spacing="2",
                ),
                aria_label="Community raffles",
            ),
            width="100%",
        ),
    )


@rx.page(
    route=routes.HOME,
    title="LuckyClub — fair prize draws anyone can check",
    on_load=[SessionState.refresh, CommunityListState.load],
)
def landing_page() -> rx.Component:
    return page(
        rx.vstack(
            rx.vstack(
                rx.heading(
                    "Prize draws you can check for yourself",
                    size="9",
                    as_="h1",
                    text_align="center",
                ),
                rx.text(
                    "LuckyClub runs members' raffles, prize competitions, family signup lotteries "
                    "and streamer community raffles on one platform — and every draw comes with "
                    "a public proof that anyone can re-run.",
                    size="5",
                    text_align="center",
                    color_scheme="gray",
                    max_width="44rem",
                ),
                rx.cond(
                    SessionState.signed_in,
                    link_button("Go to your dashboard", routes.DASHBOARD, size="4"),
                    rx.hstack(
                        link_button("Join LuckyClub", routes.REGISTER, size="4"),
                        link_button("Sign in", routes.LOGIN, size="4", variant="soft"),
                        spacing="3",
                        wrap="wrap",
                        justify="center",
                    ),
                ),
                align="center",
                spacing="5",
                padding_y=["1rem", "3rem"],
                width="100%",
            ),
            _competitions_card(),
            _communities(),
            rx.heading("Four kinds of draw", size="6", as_="h2"),
            rx.grid(
                *[_tile(*mode) for mode in _MODES],
                columns=rx.breakpoints(initial="1", sm="2", lg="4"),
                spacing="4",
                width="100%",
            ),
            rx.heading("Why you can trust the result", size="6", as_="h2", padding_top="1rem"),
            rx.grid(
                *[_tile(*step) for step in _STEPS],
                columns=rx.breakpoints(initial="1", sm="2", lg="4"),
                spacing="4",
                width="100%",
            ),
            spacing="5",
            width="100%",
        )
    )


def not_found_page() -> rx.Component:
    return page(
        rx.center(
            rx.vstack(
                rx.icon("map_pin_off", size=48, color=rx.color("accent", 9)),
                rx.heading("We could not find that page", size="7", as_="h1", text_align="center"),
                rx.text("The link may be old, or the address mistyped.", text_align="center"),
                link_button("Back to the home page", routes.HOME),
                align="center",
                spacing="3",
            ),
            padding_y="4rem",
        )
    )
