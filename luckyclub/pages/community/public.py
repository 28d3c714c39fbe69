"""/community/<slug>: a community's public page, for anyone (no sign-in) — the period and a
countdown to its end, tickets by source, the leaderboard, how to earn, past winners with their
proofs. It updates without a reload (state/community/public.py)."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.community import (
    community_header,
    leaderboard,
    missing_community,
    source_totals,
)
from luckyclub.components.layout import data_table, link_button, page
from luckyclub.components.live import countdown, reload_on
from luckyclub.core import routes
from luckyclub.state.community.public import CommunityPageState
from luckyclub.state.session import SessionState

S = CommunityPageState


def _period() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("This month's raffle", size="4", as_="h2"),
            rx.cond(S.prize != "", rx.text("Prize: ", rx.text.strong(S.prize))),
            rx.text(
                S.period_words,
                ": ends ",
                rx.text.strong(S.ends_words),
                ".",
                size="2",
            ),
            countdown(
                S.ends_ts,
                "Time left in this period",
                zero_text="the period has ended: the draw follows",
                on_zero=S.ask,
            ),
            rx.text(
                rx.text.strong(S.total_tickets.to_string()),
                " tickets held by ",
                rx.text.strong(S.participants.to_string()),
                rx.cond(S.participants == 1, " viewer", " viewers"),
                ".",
                size="2",
            ),
            source_totals(S.totals),
            rx.cond(
                S.live_url != "",
                link_button("Watch the draw live", S.live_url, size="2", color_scheme="green"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _how_to_earn() -> rx.Component:
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.heading("How to earn tickets", size="4", as_="h2"),
                rx.el.ul(
                    rx.el.li(
                        rx.text.strong("Chat time: "),
                        S.chat_rate_words,
                        " ",
                        S.chat_time_means,
                        " Watching without chatting earns no chat time.",
                    ),
                    rx.el.li(rx.text.strong("Gifted subs: "), S.gift_rate_words),
                    rx.cond(
                        S.wager_rate_words != "",
                        rx.el.li(rx.text.strong("Wagers: "), S.wager_rate_words),
                    ),
                    rx.el.li(
                        rx.text.strong("Link your Kick account "),
                        "on your page so your tickets reach you. Tickets earned before you link "
                        "are kept for you until the end of the month.",
                    ),
                    style={"margin": "0", "paddingLeft": "1.25rem", "lineHeight": "1.6"},
                ),
                spacing="2",
                width="100%",
            ),
            aria_label="How to earn tickets",
        ),
        width="100%",
    )


def _winners() -> rx.Component:
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.heading("Past winners", size="4", as_="h2"),
                rx.cond(
                    S.winners.length() > 0,
                    data_table(
                        ["Period", "Winner", "Winner's tickets", "Proof"],
                        S.winners,
                        lambda w: rx.table.row(
                            rx.table.cell(w.period),
                            rx.table.cell(w.name),
                            rx.table.cell(w.odds),
                            rx.table.cell(
                                rx.link("Proof of the draw", href=w.proof_url),
                            ),
                        ),
                    ),
                    rx.text("No period has been drawn yet.", size="2"),
                ),
                spacing="2",
                width="100%",
            ),
            aria_label="Past winners",
        ),
        width="100%",
    )


def _viewer_links() -> rx.Component:
    return rx.hstack(
        rx.cond(
            SessionState.signed_in,
            link_button("My tickets and Kick link", S.mine_url, size="2"),
            rx.text(
                rx.link("Sign in", href=routes.LOGIN + "?next=" + S.mine_url),
                " to link your Kick account and see your tickets.",
                size="2",
            ),
        ),
        rx.cond(
            S.can_moderate,
            link_button("Moderator console", S.moderate_url, size="2", variant="soft"),
        ),
        spacing="3",
        wrap="wrap",
        align="center",
    )


def _community() -> rx.Component:
    return rx.vstack(
        community_header(S.name, S.is_live),
        _viewer_links(),
        rx.grid(
            _period(),
            leaderboard(S.leaders),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        _how_to_earn(),
        _winners(),
        spacing="4",
        width="100%",
    )


@rx.page(
    route=routes.COMMUNITY,
    title="Community raffle · LuckyClub",
    on_load=[SessionState.refresh, CommunityPageState.load, CommunityPageState.follow],
)
def community_page() -> rx.Component:
    return page(
        reload_on(SessionState.live_version, CommunityPageState.changed),
        rx.cond(
            S.loaded,
            rx.cond(S.missing, missing_community(), _community()),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        ),
    )
