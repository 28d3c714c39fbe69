"""/community/<slug>/moderate: the moderators' console of a community (its moderators and platform
admins) — the affiliate link queue, give/remove tickets, the gifts log with reversal, wager polls,
chat time, exclusions, period stats, Draw now with the live page, the audit log. Every handler
authorises again (state/community/moderate.py)."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.community import community_header, missing_community
from luckyclub.components.layout import (
    data_table,
    error_callout,
    field,
    label,
    link_button,
    page,
    reason_dialog,
    refusal,
    status_badge,
    success_callout,
)
from luckyclub.components.live import reload_on
from luckyclub.core import routes
from luckyclub.state.community.moderate import CommunityModerateState
from luckyclub.state.session import SessionState

S = CommunityModerateState


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.el.section(
            rx.vstack(rx.heading(title, size="4", as_="h2"), *children, spacing="3", width="100%"),
            aria_label=title,
        ),
        width="100%",
    )


def _empty(rows, text: str, table: rx.Component) -> rx.Component:
    return rx.cond(rows.length() > 0, table, rx.text(text, size="2", color_scheme="gray"))


def _draw() -> rx.Component:
    return _section(
        "The draw",
        rx.text(S.period_words, ": ends ", rx.text.strong(S.ends_words), ".", size="2"),
        rx.text(S.draw_words, size="2"),
        rx.hstack(
            rx.cond(
                S.can_draw,
                reason_dialog(
                    button="Draw now",
                    title="Draw this period now?",
                    explanation="The period's tickets are frozen and one winner is drawn, once; "
                    "tickets earned afterwards count for nothing in this draw. Your reason is "
                    "kept in the audit log.",
                    record_field="period_id",
                    record_id=S.period_id,
                    confirm="Draw now",
                    on_submit=S.draw_now,
                    trigger=rx.button(
                        "Draw now", size="3", color_scheme="green", loading=S.drawing
                    ),
                ),
            ),
            rx.cond(
                S.live_url != "",
                link_button("Open the live page", S.live_url, size="3", variant="soft"),
            ),
            rx.cond(S.draw_url != "", rx.link("The draw and its proof", href=S.draw_url)),
            spacing="3",
            wrap="wrap",
            align="center",
        ),
    )


def _stats() -> rx.Component:
    return _section(
        "Period stats",
        rx.grid(
            rx.foreach(
                S.stats,
                lambda f: rx.vstack(
                    rx.text(f.label, size="1", color_scheme="gray"),
                    rx.text(f.value, size="5", weight="bold"),
                    spacing="0",
                ),
            ),
            columns=rx.breakpoints(initial="2", sm="3", md="5"),
            spacing="3",
            width="100%",
        ),
    )


def _claims() -> rx.Component:
    return _section(
        "Affiliate link queue",
        _empty(
            S.claims,
            "No claims are waiting.",
            data_table(
                ["Viewer", "Affiliate username", "Claimed", ""],
                S.claims,
                lambda c: rx.table.row(
                    rx.table.cell(c.account),
                    rx.table.cell(c.username),
                    rx.table.cell(c.when),
                    rx.table.cell(
                        rx.hstack(
                            rx.button(
                                "Approve",
                                size="1",
                                on_click=S.approve_claim(c.id),
                                aria_label="Approve " + c.username,
                            ),
                            reason_dialog(
                                button="Reject",
                                title="Reject " + c.username,
                                explanation="The viewer sees your reason and may claim again "
                                "after 24 hours.",
                                record_field="claim_id",
                                record_id=c.id,
                                confirm="Reject",
                                on_submit=S.reject_claim,
                            ),
                            spacing="2",
                        )
                    ),
                ),
            ),
        ),
    )


def _ticket_form(verb: str, key: str, on_submit, **button) -> rx.Component:
    """Give or remove tickets: a viewer, a number and the reason (ids prefixed by `key`)."""
    return rx.form(
        rx.vstack(
            rx.heading(f"{verb} tickets", size="3", as_="h3"),
            field("Viewer (email or Kick name)", f"{key}_viewer", required=True, max_length=254),
            field("Tickets", f"{key}_amount", type="number", min=1, required=True),
            rx.vstack(
                label("Reason", f"{key}_reason"),
                rx.text_area(id=f"{key}_reason", name=f"{key}_reason", required=True, width="100%"),
                spacing="1",
                width="100%",
            ),
            rx.button(f"{verb} tickets", type="submit", **button),
            spacing="3",
            width="100%",
            align="start",
        ),
        on_submit=on_submit,
        reset_on_submit=True,
        width="100%",
    )


def _give_remove() -> rx.Component:
    return _section(
        "Give or remove tickets",
        rx.text(
            "Name the viewer by their LuckyClub email or their linked Kick name. A removal never "
            "takes a balance below zero. The reason is kept in the ledger and the audit log.",
            size="2",
        ),
        rx.grid(
            _ticket_form("Give", "give", S.give),
            _ticket_form("Remove", "remove", S.remove, color_scheme="red", variant="soft"),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
    )


def _gifts() -> rx.Component:
    return _section(
        "Gifts log",
        rx.text(
            "Kick sends gift events for failed payments too: reverse such a gift with a reason "
            "(a negative row; the gift stays in the log).",
            size="2",
        ),
        _empty(
            S.gifts,
            "No gifted subs this period.",
            data_table(
                ["When", "Gifter", "Subs", "Tickets", ""],
                S.gifts,
                lambda g: rx.table.row(
                    rx.table.cell(g.when),
                    rx.table.cell(g.gifter),
                    rx.table.cell(g.giftees),
                    rx.table.cell(g.tickets),
                    rx.table.cell(
                        rx.cond(
                            g.reversed,
                            rx.text(g.reversed_words, size="1"),
                            reason_dialog(
                                button="Reverse",
                                title="Reverse the gift by " + g.gifter,
                                explanation="Its tickets are taken back by a reversal row.",
                                record_field="gift_id",
                                record_id=g.id,
                                confirm="Reverse",
                                on_submit=S.reverse_gift,
                            ),
                        )
                    ),
                ),
            ),
        ),
    )


def _polls() -> rx.Component:
    return _section(
        "Wager polls",
        rx.cond(
            S.has_wagers,
            _empty(
                S.polls,
                "No poll yet.",
                data_table(
                    ["When", "Outcome", "Usernames", "Tickets credited", "Detail"],
                    S.polls,
                    lambda p: rx.table.row(
                        rx.table.cell(p.when),
                        rx.table.cell(
                            rx.cond(
                                p.ok, status_badge("ok", "ok"), status_badge("failed", "failed")
                            )
                        ),
                        rx.table.cell(p.rows),
                        rx.table.cell(p.credited),
                        rx.table.cell(p.detail),
                    ),
                ),
            ),
            rx.text("This community has no affiliate source.", size="2"),
        ),
    )


def _chat() -> rx.Component:
    return _section(
        "Chat time",
        rx.text(
            "Chat-active minutes this period: a minute counts while live for a viewer who chatted "
            "in the last 5 minutes, with at least 2 chatters. Carried minutes are not yet worth "
            "a block of tickets.",
            size="2",
        ),
        _empty(
            S.chat,
            "No chat time yet this period.",
            data_table(
                ["Viewer", "Minutes", "Carried"],
                S.chat,
                lambda c: rx.table.row(
                    rx.table.cell(c.viewer),
                    rx.table.cell(c.minutes),
                    rx.table.cell(c.carried),
                ),
            ),
        ),
    )


def _exclusions() -> rx.Component:
    return _section(
        "Exclusions",
        rx.text(
            "An excluded Kick account (a bot, a farmer) earns no chat time from then on.", size="2"
        ),
        rx.form(
            rx.vstack(
                field("Kick name or Kick user id", "kick_account", required=True, max_length=80),
                rx.vstack(
                    label("Reason", "exclude_reason"),
                    rx.text_area(id="exclude_reason", name="reason", required=True, width="100%"),
                    spacing="1",
                    width="100%",
                ),
                rx.button("Exclude", type="submit", color_scheme="red", variant="soft"),
                spacing="3",
                width="100%",
                align="start",
            ),
            on_submit=S.exclude,
            reset_on_submit=True,
            width="100%",
        ),
        _empty(
            S.exclusions,
            "Nobody is excluded.",
            data_table(
                ["Kick", "Reason", "Since", ""],
                S.exclusions,
                lambda x: rx.table.row(
                    rx.table.cell(x.username),
                    rx.table.cell(x.reason),
                    rx.table.cell(x.when),
                    rx.table.cell(
                        reason_dialog(
                            button="Include again",
                            title="Include " + x.username + " again",
                            explanation="They earn chat time again from now on.",
                            record_field="kick_user_id",
                            record_id=x.kick_user_id,
                            confirm="Include again",
                            on_submit=S.include,
                        )
                    ),
                ),
            ),
        ),
    )


def _audit() -> rx.Component:
    return _section(
        "Audit log",
        _empty(
            S.audit,
            "Nothing recorded yet.",
            data_table(
                ["When", "Who", "What", "Detail"],
                S.audit,
                lambda a: rx.table.row(
                    rx.table.cell(a.when),
                    rx.table.cell(a.actor),
                    rx.table.cell(a.action),
                    rx.table.cell(a.detail),
                ),
            ),
        ),
    )


def _console() -> rx.Component:
    return rx.vstack(
        rx.link("← Public page", href=S.page_url, size="2"),
        community_header(S.name, S.is_live, "Moderator console"),
        error_callout(S.error),
        success_callout(S.notice),
        _draw(),
        _stats(),
        _claims(),
        _give_remove(),
        _gifts(),
        rx.grid(_polls(), _chat(), columns=rx.breakpoints(initial="1", md="2"), spacing="4"),
        _exclusions(),
        _audit(),
        spacing="4",
        width="100%",
    )


@rx.page(
    route=routes.COMMUNITY_MODERATE,
    title="Moderator console · LuckyClub",
    on_load=[
        SessionState.require_sign_in,
        CommunityModerateState.load,
        CommunityModerateState.follow,
    ],
)
def community_moderate_page() -> rx.Component:
    return page(
        reload_on(SessionState.live_version, CommunityModerateState.changed),
        rx.cond(
            S.allowed,
            _console(),
            rx.cond(
                S.loaded,
                rx.cond(
                    S.missing,
                    missing_community(),
                    refusal(
                        "Moderators only",
                        "This console is for the community's moderators and platform admins.",
                    ),
                ),
                rx.center(rx.spinner(size="3"), padding="4rem"),
            ),
        ),
    )
