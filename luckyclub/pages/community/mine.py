"""/community/<slug>/me: a signed-in viewer's tickets in a community — by source, every ledger row,
their Kick link (Link Kick), their Discord link (Link Discord, Unlink) and their affiliate
username claim (state/community/mine.py)."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.community import community_header, missing_community, source_totals
from luckyclub.components.layout import (
    confirm_button,
    data_table,
    error_callout,
    field,
    form,
    label,
    page,
    status_badge,
    success_callout,
)
from luckyclub.components.live import reload_on
from luckyclub.core import routes
from luckyclub.state.community.mine import CommunityMineState
from luckyclub.state.session import SessionState

S = CommunityMineState


def _tickets() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Your tickets this period", size="4", as_="h2"),
            rx.text(S.period_words, size="2", color_scheme="gray"),
            rx.text(rx.text.strong(S.total.to_string()), " tickets", size="5"),
            source_totals(S.totals),
            rx.cond(S.odds_words != "", rx.text(S.odds_words, size="2")),
            rx.hstack(
                rx.switch(id="show_name", checked=S.shows_name, on_change=S.set_show_name),
                label("Show my display name on leaderboards", "show_name"),
                align="center",
            ),
            rx.text("Others see you as ", rx.text.strong(S.public_name), ".", size="1"),
            rx.cond(
                S.entrant_ref != "",
                rx.text(
                    "Your entrant ref in this period's draw (Check my entry on its page): ",
                    rx.code(S.entrant_ref, size="1"),
                    size="1",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _region(title: str, *children: rx.Component) -> rx.Component:
    """A card that is a region named by its heading (how screen readers and tests find it)."""
    return rx.card(
        rx.el.section(
            rx.vstack(rx.heading(title, size="4", as_="h2"), *children, spacing="2", width="100%"),
            aria_label=title,
        ),
        width="100%",
    )


def _to_provider(text: str, href) -> rx.Component:
    """A real navigation (not the app's router): the server sends the viewer on to Kick or
    Discord to approve the link."""
    return rx.button(
        rx.link(text, href=href, reload_document=True, underline="none"), as_child=True, size="3"
    )


def _linked(said: rx.Component, unlink: rx.Component) -> rx.Component:
    return rx.flex(
        said, unlink, align="center", justify="between", wrap="wrap", gap="2", width="100%"
    )


def _kick() -> rx.Component:
    return _region(
        "Kick account",
        rx.cond(
            S.kick_username != "",
            _linked(
                rx.text("Linked to ", rx.text.strong(S.kick_username), " on Kick.", size="2"),
                confirm_button(
                    "Unlink",
                    "Unlink your Kick account?",
                    "Tickets it earned stay yours. From now on its chat time and gifts are held "
                    "for whichever account links it next.",
                    "Unlink Kick",
                    S.unlink_kick,
                ),
            ),
            rx.vstack(
                rx.text(
                    "Link your Kick account so chat time and gifted subs earn tickets "
                    "for you. Kick asks you to approve; we read only your Kick name "
                    "and id. Tickets it earned this month before you link join you then.",
                    size="2",
                ),
                _to_provider("Link Kick", S.link_url),
                spacing="2",
            ),
        ),
    )


def _discord() -> rx.Component:
    return _region(
        "Discord account",
        rx.cond(
            S.discord_username != "",
            _linked(
                rx.text("Discord: linked as ", rx.text.strong(S.discord_username), size="2"),
                confirm_button(
                    "Unlink",
                    "Unlink your Discord account?",
                    "The raffle's Discord commands will no longer know you until you link "
                    "again. Your tickets stay yours.",
                    "Unlink Discord",
                    S.unlink_discord,
                ),
            ),
            rx.vstack(
                rx.text(
                    "Link your Discord account so the raffle's commands in the "
                    "community's Discord server (/tickets, /link shuffle…) know it is "
                    "you. Discord asks you to approve; we read only your Discord name "
                    "and id.",
                    size="2",
                ),
                _to_provider("Link Discord", S.discord_link_url),
                spacing="2",
            ),
        ),
    )


def _claim() -> rx.Component:
    return _region(
        "Affiliate username",
        rx.cond(
            S.has_wagers,
            rx.vstack(
                rx.text(
                    "Wagers under the streamer's code earn tickets once a moderator has "
                    "checked that the affiliate username is yours.",
                    size="2",
                ),
                rx.cond(
                    S.claim_username != "",
                    rx.hstack(
                        rx.text(rx.text.strong(S.claim_username), size="2"),
                        status_badge(S.claim_status),
                        align="center",
                        spacing="2",
                    ),
                ),
                rx.cond(S.claim_words != "", rx.text(S.claim_words, size="2")),
                rx.cond(
                    S.can_claim,
                    form(
                        field(
                            "Your affiliate username",
                            "affiliate_username",
                            max_length=80,
                            required=True,
                        ),
                        submit="Claim this username",
                        on_submit=S.claim,
                        reset_on_submit=True,
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            rx.text("This community does not count wagers.", size="2"),
        ),
    )


def _ledger() -> rx.Component:
    return _region(
        "Every ticket row",
        rx.cond(
            S.ledger.length() > 0,
            data_table(
                ["When", "Source", "Tickets", "Reason"],
                S.ledger,
                lambda r: rx.table.row(
                    rx.table.cell(r.when),
                    rx.table.cell(r.source),
                    rx.table.cell(r.amount),
                    rx.table.cell(r.reason),
                ),
            ),
            rx.text("No tickets yet this period.", size="2"),
        ),
    )


def _mine() -> rx.Component:
    return rx.vstack(
        rx.link("← " + S.name, href=S.page_url, size="2"),
        community_header(S.name, S.is_live),
        error_callout(S.error),
        success_callout(S.notice),
        rx.grid(
            _tickets(),
            rx.vstack(
                _kick(),
                # Shown once linked, or while it can be linked (Discord set up on this site).
                rx.cond(S.discord_on | (S.discord_username != ""), _discord()),
                _claim(),
                spacing="4",
                width="100%",
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        _ledger(),
        spacing="4",
        width="100%",
    )


@rx.page(
    route=routes.COMMUNITY_MINE,
    title="My community tickets · LuckyClub",
    on_load=[SessionState.require_sign_in, CommunityMineState.load, CommunityMineState.follow],
)
def community_mine_page() -> rx.Component:
    return page(
        reload_on(SessionState.live_version, CommunityMineState.changed),
        rx.cond(
            S.loaded & SessionState.signed_in,
            rx.cond(S.missing, missing_community(), _mine()),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        ),
    )
