"""The winner queue: contact each winner, deliver, publish; reroll a winner who cannot win."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub import routes
from luckyclub.components.admin_page import admin_page
from luckyclub.components.layout import data_table, reason_dialog, status_badge
from luckyclub.components.live import heartbeat
from luckyclub.models import DrawWinner, User, WinnerStatus
from luckyclub.pages.admin import record_id, utc
from luckyclub.services import draw_public, draws
from luckyclub.state.admin import AdminPageState
from luckyclub.state.session import SessionState

DONE = {
    "contacted": "Marked contacted.",
    "delivered": "Marked delivered.",
    "publish": "Published: the winner appears among the champions.",
    "unpublish": "Unpublished: the winner no longer appears among the champions.",
}


@dataclass
class WinnerRow:
    id: int
    draw_id: int
    title: str
    prize: str
    drawn: str
    place: int
    reroll: int
    name: str
    email: str
    mailto: str
    status: str
    published: bool
    replaced: bool
    replaced_reason: str
    replaced_by: str  # who a reroll drew in this winner's place
    replaces: str  # whom this winner replaced
    override: bool
    draw_url: str


def winner_rows(s) -> list[WinnerRow]:
    queue = draw_public.winner_queue(s)
    by_place = {(q.draw_id, q.position, q.reroll): q for q in queue}

    def name_at(q, reroll: int) -> str:
        other = by_place.get((q.draw_id, q.position, reroll))
        return f"{other.name} ({other.email})" if other and other.email else ""

    rows = []
    for q in queue:
        same_place = [r for (d, p, r) in by_place if (d, p) == (q.draw_id, q.position)]
        later = [r for r in same_place if r > q.reroll]
        earlier = [r for r in same_place if r < q.reroll]
        rows.append(
            WinnerRow(
                id=q.winner_id,
                draw_id=q.draw_id,
                title=q.title,
                prize=q.prize,
                drawn=utc(q.drawn_at),
                place=q.position,
                reroll=q.reroll,
                name=q.name,
                email=q.email,
                mailto=f"mailto:{q.email}" if q.email else "",
                status=q.status,
                published=q.published,
                replaced=q.status == WinnerStatus.REPLACED,
                replaced_reason=q.replaced_reason,
                replaced_by=name_at(q, min(later)) if later else "",
                replaces=name_at(q, max(earlier)) if earlier else "",
                override=q.override,
                draw_url=routes.draw_page(q.draw_id),
            )
        )
    return rows


class WinnersAdminState(AdminPageState):
    allowed: bool = False
    error: str = ""
    notice: str = ""
    rows: list[WinnerRow] = []
    _version: str = ""

    def _fill(self, s) -> None:
        self.rows = winner_rows(s)
        self._version = draw_public.admin_version(s)

    def _forget(self) -> None:
        self.rows = []

    @rx.event
    def load(self):
        self._admin_load()

    @rx.event
    def tick(self, _moment: str = ""):
        """The heartbeat: a draw that just ran adds its winners here without a reload."""
        self._reload_if_changed(draw_public.admin_version, self._version)

    @rx.event
    def set_status(self, winner_id: int, action: str):
        self._admin_act(
            lambda s, admin: draws.set_winner_status(s, admin, record_id(winner_id), action),
            DONE.get(action, ""),
        )

    @rx.event
    def reroll(self, form_data: dict):
        said = {}

        def replace(s, admin):
            winner_id = record_id(form_data.get("winner_id"))
            before = s.get(DrawWinner, winner_id)
            after = draws.reroll(s, admin, winner_id, form_data.get("reason", ""))
            said["text"] = f"{_who(s, before)} was replaced by {_who(s, after)}, drawn by reroll."

        if self._admin_act(replace, ""):
            self.notice = said["text"]


def _who(s, winner) -> str:
    user = s.get(User, winner.user_id) if winner and winner.user_id else None
    return f"{user.display_name} ({user.email})" if user else "an entrant"


# ---- the page ----------------------------------------------------------------------------------


def _reroll_dialog(row: WinnerRow) -> rx.Component:
    return reason_dialog(
        button="Reroll",
        title="Replace " + row.name + " by a reroll",
        explanation=(
            "For a winner who cannot be reached or is disqualified. A new winner is drawn from "
            "the same random stream, excluding everyone who has won this draw; the reroll has its "
            "own public proof and your reason is recorded."
        ),
        record_field="winner_id",
        record_id=row.id,
        confirm="Reroll winner",
        on_submit=WinnersAdminState.reroll,
    )


def _act(text: str, row: WinnerRow, action: str) -> rx.Component:
    return rx.button(
        text, size="1", variant="soft", on_click=WinnersAdminState.set_status(row.id, action)
    )


def _winner_row(row: WinnerRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.link(row.title, href=row.draw_url, weight="medium"),
                rx.text(row.prize, size="1"),
                rx.text("Drawn ", row.drawn, size="1", color_scheme="gray"),
                spacing="1",
            )
        ),
        rx.table.cell(
            "Place ",
            row.place,
            rx.cond(row.reroll > 0, rx.text.span(" · reroll ", row.reroll)),
            rx.cond(row.override, rx.text.span(" · override")),
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row.name, weight="medium"),
                rx.cond(
                    row.email != "",
                    rx.link(row.email, href=row.mailto, size="1"),
                ),
                rx.cond(row.replaces != "", rx.text("Replaces ", row.replaces, size="1")),
                rx.cond(
                    row.replaced_by != "",
                    rx.text("Replaced by ", row.replaced_by, " — ", row.replaced_reason, size="1"),
                ),
                spacing="1",
            )
        ),
        rx.table.cell(status_badge(row.status)),
        rx.table.cell(rx.cond(row.published, "Yes", "No")),
        rx.table.cell(
            rx.cond(
                row.replaced,
                rx.text("—", size="1"),
                rx.hstack(
                    _act("Mark contacted", row, "contacted"),
                    _act("Mark delivered", row, "delivered"),
                    rx.cond(
                        row.published,
                        _act("Unpublish", row, "unpublish"),
                        _act("Publish", row, "publish"),
                    ),
                    rx.cond(~row.override, _reroll_dialog(row)),
                    spacing="2",
                    wrap="wrap",
                ),
            )
        ),
    )


@rx.page(
    route=routes.ADMIN_WINNERS,
    title="Winners · LuckyClub admin",
    on_load=[SessionState.require_sign_in, WinnersAdminState.load],
)
def admin_winners_page() -> rx.Component:
    return admin_page(
        "Winners",
        WinnersAdminState,
        rx.text(
            "Every winner, the latest draw first: contact them, deliver the prize, then publish "
            "them among the champions. Times are UTC.",
            size="2",
            color_scheme="gray",
        ),
        data_table(
            ["Draw", "Place", "Winner", "Status", "Published", "Actions"],
            WinnersAdminState.rows,
            _winner_row,
        ),
        rx.cond(WinnersAdminState.rows.length() == 0, rx.text("No winners yet.")),
        live=heartbeat(WinnersAdminState.tick, every_ms=5000),
    )
