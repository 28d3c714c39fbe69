"""/offers/<token>: Accept or Decline a spot offered by email (state/lists/offer.py)."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.layout import error_callout, link_button, narrow_page
from luckyclub.core import routes
from luckyclub.state.lists.offer import GONE, OfferState
from luckyclub.state.session import SessionState

S = OfferState


def _offer() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text("A spot for ", rx.text.strong(S.offer.member), size="3"),
            rx.heading(S.offer.element, size="5", as_="h2"),
            rx.link(S.offer.list_title, href=S.offer.list_url, size="2"),
            rx.text(
                rx.text.strong("Accept by "),
                S.offer.deadline,
                ". If you do not, it goes to the next person.",
                size="2",
            ),
            rx.hstack(
                rx.button("Accept", on_click=S.accept, size="3"),
                rx.button(
                    "Decline", on_click=S.decline, size="3", variant="soft", color_scheme="red"
                ),
                spacing="3",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _answered() -> rx.Component:
    return rx.callout(
        rx.cond(
            S.answered == "accepted",
            rx.text(
                "Accepted: the spot is yours. See it on ",
                rx.link("My signups", href=routes.MY_SIGNUPS),
                ".",
            ),
            rx.text("Declined: the spot goes to the next person. Thank you for saying so."),
        ),
        icon="circle_check",
        color_scheme="green",
        role="status",
        width="100%",
    )


@rx.page(
    route=routes.OFFER,
    title="Your offer · LuckyClub",
    on_load=[SessionState.refresh, OfferState.load],
)
def offer_page() -> rx.Component:
    return narrow_page(
        rx.cond(
            S.loaded,
            rx.vstack(
                rx.heading("Your offer", size="8", as_="h1"),
                error_callout(S.error),
                rx.cond(
                    ~SessionState.signed_in,
                    rx.vstack(
                        rx.text(
                            "Sign in to accept or decline this spot; you come straight back here."
                        ),
                        link_button("Sign in", S.sign_in_url, size="3"),
                        spacing="3",
                    ),
                    rx.cond(
                        S.answered != "",
                        _answered(),
                        rx.cond(
                            S.found,
                            _offer(),
                            rx.callout(GONE, icon="info", width="100%"),
                        ),
                    ),
                ),
                spacing="4",
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        )
    )
