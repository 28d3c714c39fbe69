"""Admins watch every draw and step in: draw now, draw without a beacon, override, void.

The page refreshes itself, so what the scheduler does (closing, drawing, waiting for drand) appears
without a reload. Drawing fetches a beacon and runs the engine, so it runs as a background task.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub.components.admin_page import admin_page
from luckyclub.components.layout import fact, reason_dialog, status_badge
from luckyclub.components.live import reload_on
from luckyclub.core import routes
from luckyclub.core.words import when
from luckyclub.models import DrawStatus, utcnow
from luckyclub.platform import changes, draw_actions, draw_kinds, draw_public, draws
from luckyclub.state.admin import (
    TRIGGER_WORDS,
    AdminPageState,
    draw_now_as,
    draw_without_beacon_as,
    record_id,
)
from luckyclub.state.events import event
from luckyclub.state.session import SessionState


@dataclass
class DrawRow:
    id: int
    title: str
    prize: str
    status: str
    status_words: str
    draw_at: str
    entrants: int
    entry_count: int
    entries_words: str  # "40 entries", "1 ticket": in the words of the draw's kind
    winners_drawn: int
    beacon: str  # "drand round 123", or why there is none
    trigger: str
    reason: str  # the override's or the void's
    waiting: bool
    waiting_words: str  # why it waits, in words
    problem: str  # the relays' own error, as a technical detail for admins
    next_attempt: str
    attempts: int
    running: bool
    can_draw: bool
    open_for_entries: bool  # Draw now would end it before its close: it asks for a reason
    can_skip_beacon: bool
    drawn: bool
    announcement: str
    page_url: str
    live_url: str


def _seconds(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else ""


def _beacon_words(v: draw_public.DrawView) -> str:
    if v.use_beacon and v.beacon_round:
        return f"drand round {v.beacon_round:,} (published {_seconds(v.beacon_at)})"
    if v.use_beacon:
        return "drand round bound when the pool closes"
    return "no beacon: " + (v.no_beacon_reason or "not used")


def _row(s, v: draw_public.DrawView) -> DrawRow:
    return DrawRow(
        id=v.id,
        title=v.title,
        prize=v.prize,
        status=v.status,
        status_words=v.status_words,
        draw_at=when(v.draw_at),
        entrants=v.entrant_count,
        entry_count=v.entry_count,
        entries_words=draw_kinds.for_draw(v).chances(v.entry_count),
        winners_drawn=len([w for w in v.winners if not w.replaced]),
        beacon=_beacon_words(v),
        trigger=TRIGGER_WORDS.get(v.trigger, ""),
        reason=v.reason,
        waiting=v.status == DrawStatus.WAITING_FOR_BEACON,
        waiting_words=draws.waiting_words(v.beacon_round, {"next_attempt_at": v.next_attempt_at}),
        problem=v.waiting_problem,
        next_attempt=_seconds(v.next_attempt_at),
        attempts=v.attempts,
        running=v.running,
        can_draw=v.status in draws.UNDRAWN,
        open_for_entries=v.status == DrawStatus.SCHEDULED and v.draw_at > utcnow(),
        can_skip_beacon=v.status in draws.OPEN_STATUSES and v.use_beacon,
        drawn=v.status == DrawStatus.DRAWN,
        announcement=draw_public.announcement(s, v.id) if v.status == DrawStatus.DRAWN else "",
        page_url=routes.draw_page(v.id),
        live_url=routes.live_page(v.id),
    )


class DrawsAdminState(AdminPageState):
    allowed: bool = False
    error: str = ""
    notice: str = ""
    rows: rx.Field[list[DrawRow]] = rx.field(default_factory=list)
    waiting: rx.Field[list[DrawRow]] = rx.field(default_factory=list)
    # draws this tab asked for and is waiting on
    running: rx.Field[list[int]] = rx.field(default_factory=list)

    def _fill(self, s) -> None:
        self.rows = [_row(s, v) for v in draw_public.recent_views(s)]
        self.waiting = [r for r in self.rows if r.waiting]

    @event
    def load(self):
        self._admin_load()

    @event
    async def follow(self):
        await self._follow(changes.ADMIN_DRAWS)

    @event
    def changed(self, version: str):
        self._changed(version)

    @event(background=True)
    async def draw_now(self, draw_id: int):
        await self._run_draw(draw_id, draw_now_as)

    @event(background=True)
    async def close_early_and_draw(self, form_data: dict):
        """Draw now on a pool still open for entries, confirmed with the admin's reason."""
        reason = str(form_data.get("reason") or "")
        await self._run_draw(
            form_data.get("draw_id"),
            lambda token, number: draw_now_as(token, number, reason),
        )

    @event(background=True)
    async def draw_without_beacon(self, form_data: dict):
        reason = form_data.get("reason", "")
        await self._run_draw(
            form_data.get("draw_id"),
            lambda token, number: draw_without_beacon_as(token, number, reason),
        )

    @event
    def override(self, form_data: dict):
        self._admin_act(
            lambda s, admin: draw_actions.override(
                s,
                admin,
                record_id(form_data.get("draw_id")),
                email=form_data.get("email", ""),
                reason=form_data.get("reason", ""),
            ),
            "Winner set by manual override; the draw page says so.",
        )

    @event
    def void(self, form_data: dict):
        self._admin_act(
            lambda s, admin: draw_actions.void(
                s, admin, record_id(form_data.get("draw_id")), form_data.get("reason", "")
            ),
            "Draw void; its seed is revealed and the raffle takes no more entries.",
        )


# ---- the page ----------------------------------------------------------------------------------


def _skip_dialog(row: DrawRow) -> rx.Component:
    return reason_dialog(
        button="Draw without beacon",
        title="Draw " + row.title + " without public randomness",
        explanation=(
            "Use this only when no drand relay answers. The draw then runs on the committed seed "
            "alone, and its public proof shows your reason."
        ),
        record_field="draw_id",
        record_id=row.id,
        confirm="Switch off the beacon and draw",
        on_submit=DrawsAdminState.draw_without_beacon,
    )


def _close_early_dialog(row: DrawRow, busy) -> rx.Component:
    return reason_dialog(
        button="Draw now",
        title="End " + row.title + " early and draw it now?",
        explanation=(
            "It is open for entries until "
            + row.draw_at
            + ". Drawing now closes it at once: nobody can enter any more, the entries held "
            "now are frozen and the winners are drawn from them. This cannot be undone, and "
            "your reason is recorded in the audit log."
        ),
        record_field="draw_id",
        record_id=row.id,
        confirm="Close entries and draw now",
        on_submit=DrawsAdminState.close_early_and_draw,
        trigger=rx.button(
            rx.cond(busy, "Drawing…", "Draw now"), size="1", disabled=busy, loading=busy
        ),
    )


def _override_dialog(row: DrawRow) -> rx.Component:
    return reason_dialog(
        button="Manual override",
        title="Choose the winner of " + row.title + " yourself",
        explanation=(
            "Warning: the winner is published as a MANUAL OVERRIDE chosen by an admin, with your "
            "reason, on the public draw page and in its proof. It never passes as a random draw. "
            "Only a member who held entries when the pool closed can be chosen."
        ),
        record_field="draw_id",
        record_id=row.id,
        confirm="Publish override",
        on_submit=DrawsAdminState.override,
        fields=(
            rx.el.label("Winner's email", html_for="override_email"),
            rx.input(id="override_email", name="email", type="email", required=True),
        ),
    )


def _void_dialog(row: DrawRow) -> rx.Component:
    return reason_dialog(
        button="Void",
        title="Void the draw of " + row.title,
        explanation=(
            "Nobody wins this draw. The seed is revealed so anyone can check the commitment, and "
            "the raffle takes no more entries. This cannot be undone."
        ),
        record_field="draw_id",
        record_id=row.id,
        confirm="Void draw",
        on_submit=DrawsAdminState.void,
    )


def _announcement(row: DrawRow) -> rx.Component:
    # a Var, not a str: a literal id would give the text area a ref of that name
    box_id = rx.Var.create(f"announcement-{row.id}")
    return rx.vstack(
        rx.el.label("Announcement to copy", html_for=box_id, style={"fontWeight": "500"}),
        rx.text_area(id=box_id, value=row.announcement, read_only=True, rows="5", width="100%"),
        rx.button(
            "Copy announcement",
            size="1",
            variant="soft",
            on_click=rx.set_clipboard(row.announcement),
        ),
        spacing="1",
        width="100%",
    )


def _actions(row: DrawRow) -> rx.Component:
    busy = DrawsAdminState.running.contains(row.id) | row.running
    return rx.hstack(
        rx.cond(
            row.can_draw,
            rx.fragment(
                rx.cond(
                    row.open_for_entries,
                    _close_early_dialog(row, busy),
                    rx.button(
                        rx.cond(busy, "Drawing…", "Draw now"),
                        size="1",
                        disabled=busy,
                        loading=busy,
                        on_click=DrawsAdminState.draw_now(row.id),
                    ),
                ),
                rx.cond(row.can_skip_beacon, _skip_dialog(row)),
                _override_dialog(row),
                _void_dialog(row),
            ),
        ),
        rx.link("Public draw page", href=row.page_url, size="2"),
        rx.link("Live page", href=row.live_url, size="2"),
        spacing="2",
        wrap="wrap",
        align="center",
    )


def _draw_card(row: DrawRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(row.title, size="4", as_="h2"),
                status_badge(row.status, row.status_words),
                rx.text("#", row.id, size="1", color_scheme="gray"),
                align="center",
                wrap="wrap",
            ),
            fact("Prize", row.prize),
            fact("Draw time", row.draw_at),
            fact(
                "Entrants",
                row.entrants,
                " members holding ",
                row.entries_words,
            ),
            fact("Beacon", row.beacon),
            rx.cond(
                row.trigger != "",
                fact("Drawn", row.trigger, " · winners: ", row.winners_drawn),
            ),
            rx.cond(row.reason != "", fact("Reason", row.reason)),
            rx.cond(
                row.waiting,
                rx.callout(
                    rx.box(
                        rx.text(row.waiting_words, " (", row.attempts, " failed so far.)"),
                        rx.text("Technical detail: ", row.problem, size="1", color_scheme="gray"),
                    ),
                    icon="clock",
                    color_scheme="orange",
                    size="1",
                ),
            ),
            _actions(row),
            rx.cond(row.drawn, _announcement(row)),
            spacing="2",
            width="100%",
        ),
        width="100%",
        role="article",
        aria_label="Draw " + row.title,
    )


def _waiting_banner() -> rx.Component:
    return rx.cond(
        DrawsAdminState.waiting.length() > 0,
        rx.callout(
            rx.vstack(
                rx.text(
                    rx.text.strong("Waiting for public randomness"),
                    " — no drand relay has given the bound round yet. The app keeps retrying; if "
                    "the relays stay down, use Draw without beacon.",
                ),
                rx.foreach(
                    DrawsAdminState.waiting,
                    lambda r: rx.text(
                        rx.text.strong(r.title),
                        ": ",
                        r.problem,
                        " · next attempt ",
                        r.next_attempt,
                        size="2",
                    ),
                ),
                spacing="1",
            ),
            icon="triangle_alert",
            color_scheme="orange",
            role="alert",
            width="100%",
        ),
    )


@rx.page(
    route=routes.ADMIN_DRAWS,
    title="Draws · LuckyClub admin",
    on_load=[SessionState.require_sign_in, DrawsAdminState.load, DrawsAdminState.follow],
)
def admin_draws_page() -> rx.Component:
    return admin_page(
        "Draws",
        DrawsAdminState,
        _waiting_banner(),
        rx.text(
            "Every draw, the latest first. Times are UTC. This page updates by itself.",
            size="2",
            color_scheme="gray",
        ),
        rx.foreach(DrawsAdminState.rows, _draw_card),
        rx.cond(DrawsAdminState.rows.length() == 0, rx.text("No draws yet.")),
        live=reload_on(SessionState.live_version, DrawsAdminState.changed),
    )
