"""A member's home: membership, the month's raffle, their entries and odds, proofs, leaderboard.

What it shows and does lives in state/club/dashboard.py; this module lays it out.
"""

from __future__ import annotations

import reflex as rx

from luckyclub.components.download import download_link
from luckyclub.components.layout import (
    SELECT_STYLE,
    data_table,
    error_callout,
    field,
    page,
    status_badge,
    success_callout,
)
from luckyclub.components.live import countdown, reload_on, share_bar
from luckyclub.core import routes
from luckyclub.state.club.dashboard import (
    UPLOAD_ID,
    DashboardState,
    VerifyReminderState,
)
from luckyclub.state.competitions.order_views import NO_NUMBERS
from luckyclub.state.session import SessionState


def _membership_card() -> rx.Component:
    S = DashboardState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Membership", size="4", as_="h2"),
                status_badge(S.membership),
                align="center",
            ),
            rx.cond(
                S.membership == "active",
                rx.vstack(
                    rx.text(
                        "You get the month's base entries in every raffle while you are a member.",
                        size="2",
                    ),
                    rx.cond(
                        S.membership_until != "",
                        rx.text("Paid until ", S.membership_until, size="2", color_scheme="gray"),
                    ),
                    rx.button("Manage membership", variant="soft", on_click=S.manage_membership),
                ),
                rx.vstack(
                    rx.text(
                        "Members get base entries in every monthly raffle, plus bonus entries "
                        "for approved proofs. Entries you have earned stay yours.",
                        size="2",
                    ),
                    rx.button("Join the club", on_click=S.join_club, size="3"),
                ),
            ),
            spacing="3",
        ),
        width="100%",
    )


def _raffle_card() -> rx.Component:
    S = DashboardState
    return rx.card(
        rx.cond(
            S.raffle.id != 0,
            rx.vstack(
                rx.text(
                    rx.cond(S.raffle.is_open, S.raffle.label, "The last raffle: closed"),
                    size="2",
                    color_scheme="gray",
                ),
                rx.heading(S.raffle.title, size="6", as_="h2"),
                rx.cond(
                    S.raffle.image_url != "",
                    rx.image(
                        src=S.raffle.image_url,
                        alt=S.raffle.prize,
                        max_height="14rem",
                        border_radius="var(--radius-3)",
                        object_fit="cover",
                        width="100%",
                    ),
                ),
                rx.text(rx.text.strong("Prize: "), S.raffle.prize),
                rx.cond(S.raffle.description != "", rx.text(S.raffle.description, size="2")),
                rx.cond(
                    S.raffle.is_open,
                    rx.fragment(
                        rx.text("Closes ", S.raffle.closes, size="2"),
                        countdown(S.closes_ts, on_zero=S.ask),
                    ),
                    rx.fragment(
                        rx.text("Closed ", S.raffle.closes, size="2"),
                        rx.text(S.raffle.result, weight="medium", id="raffle-result"),
                        rx.text("The next raffle opens on the 1st.", size="2", color_scheme="gray"),
                    ),
                ),
                spacing="3",
            ),
            rx.text("There is no open raffle right now. The next one opens on the 1st."),
        ),
        width="100%",
    )


def _wins() -> rx.Component:
    """A member who won is told here, with what happens next and their say over their name."""
    S = DashboardState
    return rx.cond(
        S.wins.length() > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("trophy", size=28, color=rx.color("amber", 9)),
                    rx.heading("You won!", size="6", as_="h2"),
                    align="center",
                ),
                rx.foreach(
                    S.wins,
                    lambda w: rx.vstack(
                        rx.text(
                            rx.text.strong(w.prize),
                            " in ",
                            w.title,
                            rx.cond(w.ticket != "", " (" + w.ticket + ")", ""),
                            ", drawn ",
                            w.drawn,
                            ".",
                        ),
                        rx.text("What happens next: ", w.next_step, size="2"),
                        rx.el.label(
                            rx.hstack(
                                rx.checkbox(
                                    checked=w.show_name,
                                    on_change=lambda show: S.set_show_name(w.winner_id, show),
                                ),
                                rx.text(
                                    "Show my display name as the winner on Champions and the "
                                    "draw's page (otherwise you appear as ",
                                    S.unnamed,
                                    ")",
                                    size="2",
                                ),
                                align="center",
                            ),
                        ),
                        rx.link("The draw and its proof", href=w.draw_url, size="2"),
                        spacing="2",
                        width="100%",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            id="my-wins",
            width="100%",
        ),
    )


def _competition_tickets() -> rx.Component:
    S = DashboardState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("My competition tickets", size="4", as_="h2"),
                rx.spacer(),
                rx.link("See the competitions", href=routes.COMPETITIONS, size="2"),
                width="100%",
                wrap="wrap",
            ),
            rx.foreach(
                S.ticket_orders,
                lambda o: rx.hstack(
                    rx.link(
                        o.competition,
                        href=routes.competition_page(o.competition_id),
                        weight="medium",
                    ),
                    status_badge(o.status, o.status_words),
                    rx.cond(o.numbers != NO_NUMBERS, rx.text("Tickets ", o.numbers, size="2")),
                    rx.text(o.created, size="1", color_scheme="gray"),
                    wrap="wrap",
                    align="center",
                ),
            ),
            rx.cond(
                S.ticket_orders.length() == 0,
                rx.text("No tickets yet. Prize competitions are open to members 18+.", size="2"),
            ),
            width="100%",
        ),
        width="100%",
    )


def _stat(label: str, value, testid: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color_scheme="gray"),
            rx.text(value, size="7", weight="bold", id=testid),
            spacing="1",
        ),
        aria_label=label,
        role="group",
    )


def _entries() -> rx.Component:
    S = DashboardState
    return rx.cond(
        S.raffle.id != 0,
        rx.vstack(
            rx.grid(
                _stat("Base entries this month", S.base_entries, "base-entries"),
                _stat("Bonus entries", S.bonus_entries, "bonus-entries"),
                _stat("Total entries", S.total_entries, "total-entries"),
                columns=rx.breakpoints(initial="1", sm="3"),
                spacing="3",
                width="100%",
            ),
            rx.card(
                rx.vstack(
                    rx.text(rx.text.strong("Your odds now: "), S.odds_text),
                    share_bar(S.odds_basis_points, f"Your share of all {S.all_entries} entries"),
                    rx.text(
                        rx.cond(
                            S.entrants == 1,
                            "1 member holds entries.",
                            S.entrants.to_string() + " members hold entries.",
                        ),
                        size="1",
                        color_scheme="gray",
                    ),
                    width="100%",
                ),
                width="100%",
            ),
            width="100%",
            spacing="3",
        ),
    )


def _fair_draw() -> rx.Component:
    S = DashboardState
    return rx.cond(
        S.raffle.id != 0,
        rx.card(
            rx.vstack(
                rx.heading("Your entrant ref", size="4", as_="h2"),
                rx.code(S.entrant_ref, size="3", style={"wordBreak": "break-all"}, id="my-ref"),
                rx.text(
                    "When the raffle closes, its entries are published under refs like this one, "
                    'never under names. Paste it into "Check my entry" on the draw\'s page to see '
                    "that your entries were counted.",
                    size="2",
                ),
                rx.cond(
                    S.draw_page_url != "",
                    rx.hstack(
                        rx.link("The draw's public page and its commitment", href=S.draw_page_url),
                        rx.link("Watch the draw live", href=S.live_url),
                        spacing="4",
                        wrap="wrap",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
    )


def _upload() -> rx.Component:
    S = DashboardState
    return rx.card(
        rx.vstack(
            rx.heading("Earn bonus entries", size="4", as_="h2"),
            rx.text(
                "Upload a screenshot or PDF that shows what you did. An admin checks it; "
                "approved proofs add entries.",
                size="2",
            ),
            rx.cond(S.proofs_wait != "", rx.text(S.proofs_wait, size="2", role="status")),
            rx.cond(
                (S.kinds.length() > 0) & (S.proofs_wait == ""),
                rx.vstack(
                    rx.el.label("What does your proof show?", html_for="proof_kind"),
                    rx.el.select(
                        rx.foreach(S.kinds, lambda k: rx.el.option(k.label, value=k.id)),
                        id="proof_kind",
                        value=S.kind_id,
                        on_change=S.set_kind,
                        style=SELECT_STYLE,
                    ),
                    rx.upload.root(
                        rx.vstack(
                            rx.button("Choose a file", type="button", variant="soft"),
                            rx.text("PNG, JPEG, WebP or PDF, up to 10 MB.", size="1"),
                            rx.foreach(
                                rx.selected_files(UPLOAD_ID), lambda f: rx.text(f, size="2")
                            ),
                            align="start",
                        ),
                        id=UPLOAD_ID,
                        multiple=False,
                        accept={
                            "image/png": [".png"],
                            "image/jpeg": [".jpg", ".jpeg"],
                            "image/webp": [".webp"],
                            "application/pdf": [".pdf"],
                        },
                        max_size=10 * 1024 * 1024,
                        border=f"1px dashed {rx.color('gray', 7)}",
                        padding="1rem",
                        width="100%",
                        aria_label="Proof file",
                    ),
                    field(
                        "Note for the reviewer (optional)",
                        "proof_note",
                        on_blur=S.set_note,
                        key="proof-note-" + S.proofs_sent.to_string(),
                    ),
                    rx.button(
                        "Upload proof",
                        on_click=S.upload_proof(rx.upload_files(upload_id=UPLOAD_ID)),
                    ),
                    width="100%",
                    spacing="2",
                ),
                rx.cond(
                    S.proofs_wait == "", rx.text("No proof kinds are open right now.", size="2")
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _proofs() -> rx.Component:
    S = DashboardState
    return rx.card(
        rx.vstack(
            rx.heading("Your proofs", size="4", as_="h2"),
            rx.foreach(
                S.proofs,
                lambda p: rx.hstack(
                    status_badge(p.status),
                    rx.link(p.kind, href=p.file_url, is_external=True, size="2"),
                    rx.text(p.when, size="1", color_scheme="gray"),
                    rx.cond(p.reason != "", rx.text("Reason: ", p.reason, size="2", color="red")),
                    wrap="wrap",
                    align="center",
                ),
            ),
            rx.cond(S.proofs.length() == 0, rx.text("None yet.", size="2")),
        ),
        width="100%",
    )


def _ledger() -> rx.Component:
    S = DashboardState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Every change to your entries", size="4", as_="h2"),
                rx.spacer(),
                download_link("Download as CSV", routes.MY_LEDGER_CSV, size="2"),
                width="100%",
                wrap="wrap",
            ),
            data_table(
                ["When", "Source", "Entries", "Why"],
                S.rows,
                lambda r: rx.table.row(
                    rx.table.cell(r.when, white_space="nowrap"),
                    rx.table.cell(r.source),
                    rx.table.cell(
                        rx.cond(r.amount > 0, f"+{r.amount}", r.amount.to_string()),
                        color=rx.cond(r.amount > 0, rx.color("green", 11), rx.color("red", 11)),
                    ),
                    rx.table.cell(r.reason),
                ),
            ),
            rx.cond(S.rows.length() == 0, rx.text("No entries yet.", size="2")),
            width="100%",
        ),
        width="100%",
    )


def _leaderboard() -> rx.Component:
    S = DashboardState
    return rx.card(
        rx.vstack(
            rx.heading("Leaderboard", size="4", as_="h2"),
            rx.foreach(
                S.leaders,
                lambda r: rx.hstack(
                    rx.text(r.rank, ".", width="2rem", color_scheme="gray"),
                    rx.text(r.name, weight=rx.cond(r.is_me, "bold", "regular")),
                    rx.spacer(),
                    rx.text(r.entry_count),
                    width="100%",
                ),
            ),
            rx.cond(S.leaders.length() == 0, rx.text("Nobody has entries yet.", size="2")),
            rx.hstack(
                rx.switch(
                    id="show_name",
                    checked=S.show_on_leaderboard,
                    on_change=S.set_show_on_leaderboard,
                ),
                rx.el.label("Show my display name on leaderboards", html_for="show_name"),
                align="center",
            ),
            rx.text("Others see you as ", rx.text.strong(S.public_name), ".", size="1"),
            width="100%",
        ),
        width="100%",
    )


@rx.page(
    route=routes.DASHBOARD,
    title="Dashboard · LuckyClub",
    on_load=[SessionState.require_sign_in, DashboardState.load, DashboardState.follow],
)
def dashboard_page() -> rx.Component:
    return page(
        reload_on(SessionState.live_version, DashboardState.changed),
        rx.cond(
            SessionState.signed_in,
            rx.vstack(
                rx.heading(f"Welcome, {SessionState.user_name}", size="8", as_="h1"),
                _verify_banner(),
                error_callout(DashboardState.error),
                success_callout(DashboardState.notice),
                _wins(),
                rx.grid(
                    _raffle_card(),
                    _membership_card(),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    width="100%",
                ),
                _entries(),
                _competition_tickets(),
                _fair_draw(),
                rx.grid(
                    _upload(),
                    rx.vstack(_proofs(), _leaderboard(), spacing="4", width="100%"),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    width="100%",
                ),
                _ledger(),
                spacing="5",
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        ),
    )


def _verify_banner() -> rx.Component:
    return rx.cond(
        ~SessionState.email_verified,
        rx.callout(
            rx.hstack(
                rx.text("Please verify your email address — we sent you a link."),
                rx.button(
                    "Send the link again",
                    on_click=VerifyReminderState.resend_verification,
                    size="1",
                    variant="soft",
                ),
                wrap="wrap",
                align="center",
                spacing="3",
            ),
            icon="mail",
            color_scheme="amber",
            width="100%",
        ),
    )
