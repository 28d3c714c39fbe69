"""/my-signups: the family's signups, pending offers, lottery entries and waitlist places on every
list (state/lists/my_signups.py)."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.layout import error_callout, page, success_callout
from luckyclub.components.live import reload_on, short_countdown
from luckyclub.core import routes
from luckyclub.state.lists.my_signups import (
    MySignupsState,
)
from luckyclub.state.session import SessionState

S = MySignupsState


def _signup(r) -> rx.Component:
    what = r.member + ": " + r.element
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(rx.text.strong(r.member), " — ", r.element, size="3"),
                rx.link(r.list_title, href=r.list_url, size="2"),
                rx.cond(
                    r.pending,
                    rx.vstack(
                        rx.text(
                            rx.badge("Offer: accept by " + r.deadline, color_scheme="amber"),
                            size="2",
                        ),
                        short_countdown(r.deadline_ts, "Time left to accept", on_zero=S.ask),
                        spacing="1",
                    ),
                    rx.badge("Confirmed", color_scheme="green"),
                ),
                spacing="1",
                flex="1",
            ),
            rx.hstack(
                rx.cond(
                    r.pending,
                    rx.fragment(
                        rx.button(
                            "Accept", on_click=S.accept(r.token), aria_label="Accept " + what
                        ),
                        rx.button(
                            "Decline",
                            variant="soft",
                            color_scheme="red",
                            on_click=S.decline(r.token),
                            aria_label="Decline " + what,
                        ),
                    ),
                    rx.cond(
                        r.can_cancel,
                        rx.button(
                            "Cancel",
                            size="1",
                            variant="soft",
                            color_scheme="red",
                            on_click=S.cancel(r.id),
                            aria_label="Cancel " + what,
                        ),
                    ),
                ),
                spacing="2",
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            gap="3",
            align=rx.breakpoints(initial="start", sm="center"),
            width="100%",
        ),
        width="100%",
    )


def _entry(e) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.text(rx.text.strong(e.member), " — ", e.element, size="2"),
            rx.cond(
                e.can_remove,
                rx.button(
                    "Remove",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=S.remove_entry(e.id),
                    aria_label="Remove the entry of " + e.member + " for " + e.element,
                ),
            ),
            align="center",
            spacing="2",
            wrap="wrap",
        )
    )


def _group(g) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.link(rx.heading(g.list_title, size="4", as_="h3"), href=g.list_url),
            rx.text("Lottery on ", g.lottery_at, size="2"),
            short_countdown(g.lottery_ts, "Time until the lottery", on_zero=S.ask),
            rx.el.ul(
                rx.foreach(g.entered, _entry), style={"margin": "0", "paddingLeft": "1.25rem"}
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _place(w) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.text(
                rx.text.strong(w.member),
                " — ",
                w.element,
                " · waitlist position ",
                w.position.to_string(),
                size="2",
            ),
            rx.link(w.list_title, href=w.list_url, size="2"),
            rx.spacer(),
            rx.cond(
                w.can_leave,
                rx.button(
                    "Leave the waitlist",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=S.leave_waitlist(w.id),
                    aria_label="Leave the waitlist: " + w.member + " for " + w.element,
                ),
            ),
            align="center",
            wrap="wrap",
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _section(title: str, rows, render, empty: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="5", as_="h2"),
        rx.foreach(rows, render),
        rx.cond(rows.length() == 0, rx.text(empty, size="2", color_scheme="gray")),
        spacing="2",
        width="100%",
    )


@rx.page(
    route=routes.MY_SIGNUPS,
    title="My signups · LuckyClub",
    on_load=[SessionState.require_sign_in, MySignupsState.load, MySignupsState.follow],
)
def my_signups_page() -> rx.Component:
    return page(
        reload_on(SessionState.live_version, MySignupsState.changed),
        rx.cond(
            SessionState.signed_in & S.loaded,
            rx.vstack(
                rx.heading("My signups", size="8", as_="h1"),
                rx.text(
                    "Everything your family holds on every list. Deadlines are in your timezone (",
                    SessionState.user_timezone,
                    "); a lottery's time is in its list's. ",
                    rx.link("Your family", href=routes.FAMILY),
                    " · ",
                    rx.link("Lists", href=routes.LISTS),
                    size="2",
                    color_scheme="gray",
                ),
                error_callout(S.error),
                success_callout(S.notice),
                _section("Signups", S.signups, _signup, "No signups yet."),
                _section("Lottery entries", S.groups, _group, "No entries in lotteries to come."),
                _section("Waitlists", S.places, _place, "Not on any waitlist."),
                spacing="5",
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        ),
    )
