"""Admins run prize competitions: every competition at a glance, a new one as a draft, and the
ones that ended short of their minimum, waiting for an admin to extend or cancel them.

The form and its actions are shared with a competition's own page: they live in
components/competition_form.py and state/competitions/admin.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub.competitions import catalogue, minimum
from luckyclub.components.admin_page import admin_page
from luckyclub.components.competition_form import cancel_dialog, competition_form, extend_dialog
from luckyclub.components.layout import data_table, status_badge
from luckyclub.core import routes
from luckyclub.core.words import when
from luckyclub.models import Competition, id_of
from luckyclub.state.admin import AdminPageState, record_id
from luckyclub.state.competitions.admin import (
    ACTIVATED,
    CANCELLED,
    EXTENDED,
    CompetitionForm,
    activate_it,
    cancel_it,
    competition_fields,
    extend_it,
)
from luckyclub.state.competitions.competition_views import PHASE_WORDS
from luckyclub.state.events import event
from luckyclub.state.session import SessionState


@dataclass
class CompetitionRow:
    id: int
    title: str
    prize: str
    phase: str
    phase_words: str
    sold_count: int
    ticket_total: int
    percent: int
    ends: str
    featured: bool
    is_draft: bool
    admin_url: str


@dataclass
class WaitingRow:
    id: int
    title: str
    sold_count: int
    minimum: int
    ends: str
    admin_url: str


def waiting_row(s, c: Competition, timezone: str) -> WaitingRow:
    competition_id = id_of(c)
    return WaitingRow(
        id=competition_id,
        title=c.title,
        sold_count=catalogue.active_tickets(s, competition_id),
        minimum=c.min_tickets,
        ends=when(c.ends_at, timezone),
        admin_url=routes.admin_competition_page(competition_id),
    )


def competition_row(s, c: Competition, timezone: str) -> CompetitionRow:
    phase = catalogue.phase(c)
    counts = catalogue.counts(s, c)
    competition_id = id_of(c)
    return CompetitionRow(
        id=competition_id,
        title=c.title,
        prize=c.prize,
        phase=phase,
        phase_words=PHASE_WORDS.get(phase, phase),
        sold_count=counts.sold,
        ticket_total=counts.max_tickets,
        percent=int(counts.percent),
        ends=when(c.ends_at, timezone),
        featured=c.featured,
        is_draft=phase == catalogue.Phase.DRAFT,
        admin_url=routes.admin_competition_page(competition_id),
    )


class CompetitionsAdminState(AdminPageState):
    allowed: bool = False
    error: str = ""
    notice: str = ""
    rows: rx.Field[list[CompetitionRow]] = rx.field(default_factory=list)
    waiting: rx.Field[list[WaitingRow]] = rx.field(default_factory=list)
    form_key: int = 0  # a new key empties the New competition form after it is saved

    def _fill(self, s) -> None:
        tz = self.user_timezone
        self.rows = [competition_row(s, c, tz) for c in catalogue.list_all(s)]
        self.waiting = [waiting_row(s, c, tz) for c in minimum.waiting_for_decision(s)]

    @event
    def load(self):
        self._admin_load()

    @event
    def create(self, form_data: dict):
        made = {}

        def create_it(s, admin):
            fields = competition_fields(form_data, admin.timezone)
            made["competition"] = catalogue.create(s, admin, **fields).title

        if self._admin_act(create_it, ""):
            self.notice = (
                f"{made['competition']} was created as a draft. Open it to add pictures, "
                "then activate it."
            )
            self.form_key += 1

    @event
    def set_featured(self, competition_id: int, featured: bool):
        self._admin_act(
            lambda s, admin: catalogue.set_featured(
                s, admin, record_id(competition_id), bool(featured)
            ),
            "Featured competitions are listed first." if featured else "No longer featured.",
        )

    @event
    def activate(self, competition_id: int):
        self._admin_act(activate_it(competition_id), ACTIVATED)

    @event
    def extend(self, form_data: dict):
        self._admin_act(extend_it(form_data.get("competition_id"), form_data), EXTENDED)

    @event
    def cancel(self, form_data: dict):
        self._admin_act(cancel_it(form_data.get("competition_id"), form_data), CANCELLED)


# ---- the page ----------------------------------------------------------------------------------


def _row(r: CompetitionRow) -> rx.Component:
    S = CompetitionsAdminState
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.link(r.title, href=r.admin_url, weight="medium"),
                rx.text(r.prize, size="1"),
                spacing="1",
            )
        ),
        rx.table.cell(status_badge(r.phase, r.phase_words)),
        rx.table.cell(
            rx.vstack(
                rx.text(r.sold_count, " / ", r.ticket_total, " sold", size="2"),
                rx.progress(value=r.percent, max=100, width="8rem"),
                spacing="1",
            )
        ),
        rx.table.cell(r.ends, white_space="nowrap"),
        rx.table.cell(
            rx.hstack(
                rx.switch(
                    checked=r.featured,
                    on_change=lambda on: S.set_featured(r.id, on),
                    aria_label="Featured: " + r.title,
                ),
                rx.text(rx.cond(r.featured, "Featured", "—"), size="1"),
                align="center",
                spacing="2",
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.link("Manage", href=r.admin_url, size="2"),
                rx.cond(
                    r.is_draft,
                    rx.button("Activate", size="1", on_click=S.activate(r.id)),
                ),
                spacing="2",
                align="center",
            )
        ),
        aria_label="Competition " + r.title,
    )


def _new_competition() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("New competition", size="5", as_="h2"),
            rx.text(
                "It is saved as a draft: nobody sees it until you activate it.",
                size="2",
                color_scheme="gray",
            ),
            competition_form(
                CompetitionForm(),
                "Create competition",
                CompetitionsAdminState.create,
                CompetitionsAdminState.form_key,
            ),
            width="100%",
        ),
        width="100%",
    )


def _waiting() -> rx.Component:
    S = CompetitionsAdminState
    return rx.cond(
        S.waiting.length() > 0,
        rx.callout(
            rx.vstack(
                rx.heading("Waiting for your decision", size="4", as_="h2"),
                rx.text(
                    "These competitions ended below their minimum number of tickets. Their draw "
                    "waits until you extend them or cancel them (everyone is refunded).",
                    size="2",
                ),
                rx.foreach(
                    S.waiting,
                    lambda w: rx.hstack(
                        rx.link(w.title, href=w.admin_url, weight="medium"),
                        rx.text(
                            w.sold_count, " of the minimum ", w.minimum, " sold · ended ", w.ends
                        ),
                        extend_dialog(w.id, w.title, S.extend),
                        cancel_dialog(w.id, w.title, S.cancel, "Cancel and refund everyone"),
                        wrap="wrap",
                        align="center",
                        spacing="3",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            icon="triangle_alert",
            color_scheme="orange",
            width="100%",
            role="region",
            aria_label="Waiting for your decision",
        ),
    )


@rx.page(
    route=routes.ADMIN_COMPETITIONS,
    title="Competitions · LuckyClub admin",
    on_load=[SessionState.require_sign_in, CompetitionsAdminState.load],
)
def admin_competitions_page() -> rx.Component:
    return admin_page(
        "Competitions",
        CompetitionsAdminState,
        _waiting(),
        rx.text(
            "Every competition, the newest first. Times are in your timezone (",
            SessionState.user_timezone,
            ").",
            size="2",
            color_scheme="gray",
        ),
        data_table(
            ["Competition", "Phase", "Sold", "Ends", "Featured", "Actions"],
            CompetitionsAdminState.rows,
            _row,
        ),
        rx.cond(
            CompetitionsAdminState.rows.length() == 0,
            rx.text("No competitions yet: create the first one below."),
        ),
        _new_competition(),
    )
