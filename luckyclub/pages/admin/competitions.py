"""Admins run prize competitions: every competition at a glance, a new one as a draft, and the
ones that ended short of their minimum, waiting for an admin to extend or cancel them.

The form is shared with a competition's own page (pages/admin/competition.py). Dates are typed in
the admin's timezone; the service stores UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import reflex as rx

from luckyclub.competitions import catalogue
from luckyclub.components.admin_page import admin_page
from luckyclub.components.layout import data_table, field, reason_dialog, status_badge
from luckyclub.core import routes
from luckyclub.core.words import when
from luckyclub.models import Competition
from luckyclub.pages.admin.home import record_id
from luckyclub.pages.admin.raffles import parse_local_time
from luckyclub.state.admin import AdminPageState
from luckyclub.state.competitions.competition_views import PHASE_WORDS
from luckyclub.state.session import SessionState

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> reads and writes
# form field → the service's field name; dates and the answer are handled on their own
TEXT_FIELDS = {
    "title": "title",
    "prize": "prize",
    "description": "description",
    "ticket_price": "ticket_price_pence",
    "max_tickets": "max_tickets",
    "per_person_limit": "per_person_limit",
    "min_tickets": "min_tickets",
    "winners": "winners",
    "question": "question",
    "choices": "choices",
}
DATE_FIELDS = {"starts_at": "starts_local", "ends_at": "ends_local", "draw_at": "draw_local"}


@dataclass
class CompetitionForm:
    """What the form shows: the competition's values as text (empty for a new one)."""

    id: int = 0
    title: str = ""
    prize: str = ""
    description: str = ""
    ticket_price: str = ""
    max_tickets: str = ""
    per_person_limit: str = ""
    min_tickets: str = "0"
    winners: str = "1"
    distinct_winners: bool = False
    starts_local: str = ""
    ends_local: str = ""
    draw_local: str = ""
    question: str = ""
    choices: str = ""  # one per line
    locked: bool = False  # tickets are sold: price, start, question and answers are frozen


def local_input(moment, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime(LOCAL_FORMAT) if moment else ""


def form_of(competition: Competition, timezone: str) -> CompetitionForm:
    return CompetitionForm(
        id=competition.id,
        title=competition.title,
        prize=competition.prize,
        description=competition.description,
        ticket_price=f"{competition.ticket_price_pence / 100:.2f}",
        max_tickets=str(competition.max_tickets),
        per_person_limit=str(competition.per_person_limit),
        min_tickets=str(competition.min_tickets),
        winners=str(competition.winners),
        distinct_winners=competition.distinct_winners,
        starts_local=local_input(competition.starts_at, timezone),
        ends_local=local_input(competition.ends_at, timezone),
        draw_local=local_input(competition.draw_at, timezone),
        question=competition.question,
        choices="\n".join(catalogue.choices_of(competition)),
        locked=competition.sold + competition.held > 0,
    )


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in str(text or "").splitlines() if line.strip()]


def _checked(value) -> bool:
    return value in (True, "on", "true", "True", "1")


def competition_fields(form_data: dict, timezone: str, before: CompetitionForm | None = None):
    """The service's fields from the submitted form. Editing (`before` given), only what the admin
    changed is sent: a value shown rounded (a start time's seconds, a price's pence) and sent back
    untouched must not count as a change the service refuses once tickets are sold."""
    fields: dict = {}
    for name, service_name in TEXT_FIELDS.items():
        if name not in form_data:
            continue
        value = str(form_data.get(name) or "")
        if before is not None:
            shown = getattr(before, name)
            same = _lines(value) == _lines(shown) if name == "choices" else value.strip() == shown
            if same:
                continue
        elif name == "per_person_limit" and not value.strip():
            continue  # a new competition's default: no limit below its number of tickets
        fields[service_name] = value
    answer = str(form_data.get("answer") or "").strip()
    if answer or before is None:
        fields["answer"] = answer
    distinct = _checked(form_data.get("distinct_winners"))
    if before is None or distinct != before.distinct_winners:
        fields["distinct_winners"] = distinct
    for name, shown_as in DATE_FIELDS.items():
        value = str(form_data.get(name) or "").strip()
        if not value or (before is not None and value == getattr(before, shown_as)):
            continue
        fields[name] = parse_local_time(value, timezone) or value
    return fields


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


def competition_row(s, c: Competition, timezone: str) -> CompetitionRow:
    phase = catalogue.phase(c)
    counts = catalogue.counts(s, c)
    return CompetitionRow(
        id=c.id,
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
        admin_url=routes.admin_competition_page(c.id),
    )


class CompetitionsAdminState(AdminPageState):
    allowed: bool = False
    error: str = ""
    notice: str = ""
    rows: list[CompetitionRow] = []
    waiting: list[WaitingRow] = []
    form_key: int = 0  # a new key empties the New competition form after it is saved

    def _fill(self, s) -> None:
        tz = self.user_timezone
        self.rows = [competition_row(s, c, tz) for c in catalogue.list_all(s)]
        self.waiting = [
            WaitingRow(
                id=c.id,
                title=c.title,
                sold_count=catalogue.active_tickets(s, c.id),
                minimum=c.min_tickets,
                ends=when(c.ends_at, tz),
                admin_url=routes.admin_competition_page(c.id),
            )
            for c in catalogue.waiting_for_decision(s)
        ]

    @rx.event
    def load(self):
        self._admin_load()

    @rx.event
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

    @rx.event
    def set_featured(self, competition_id: int, featured: bool):
        self._admin_act(
            lambda s, admin: catalogue.set_featured(
                s, admin, record_id(competition_id), bool(featured)
            ),
            "Featured competitions are listed first." if featured else "No longer featured.",
        )

    @rx.event
    def activate(self, competition_id: int):
        self._admin_act(activate_it(competition_id), ACTIVATED)

    @rx.event
    def extend(self, form_data: dict):
        self._admin_act(extend_it(form_data.get("competition_id"), form_data), EXTENDED)

    @rx.event
    def cancel(self, form_data: dict):
        self._admin_act(cancel_it(form_data.get("competition_id"), form_data), CANCELLED)


# ---- actions shared with a competition's own page ---------------------------------------------

ACTIVATED = "Activated: the competition is public and on sale from its start date."
EXTENDED = "Extended: tickets are on sale again until the new end date."
CANCELLED = "Cancelled: every paid order is being refunded and the buyers are told."


def activate_it(competition_id):
    return lambda s, admin: catalogue.activate(s, admin, record_id(competition_id))


def extend_it(competition_id, form_data: dict):
    """The Extend dialog's change: new dates typed in the admin's timezone."""

    def change(s, admin):
        ends = str(form_data.get("new_ends_at") or "").strip()
        draw_at = str(form_data.get("new_draw_at") or "").strip()
        catalogue.extend(
            s,
            admin,
            record_id(competition_id),
            ends_at=parse_local_time(ends, admin.timezone),
            draw_at=parse_local_time(draw_at, admin.timezone) if draw_at else None,
        )

    return change


def cancel_it(competition_id, form_data: dict):
    return lambda s, admin: catalogue.cancel(
        s, admin, record_id(competition_id), form_data.get("reason", "")
    )


# ---- the form, shared with a competition's own page ------------------------------------------


def _text_area(label: str, name: str, default_value, **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, style={"fontWeight": "500", "fontSize": "0.9rem"}),
        rx.text_area(id=name, name=name, default_value=default_value, width="100%", **props),
        spacing="1",
        width="100%",
    )


def _grid(*children: rx.Component, columns: str = "3") -> rx.Component:
    return rx.grid(
        *children,
        columns=rx.breakpoints(initial="1", sm=columns),
        spacing="3",
        width="100%",
    )


def competition_form(values, submit: str, on_submit, form_key) -> rx.Component:
    """The competition form; a new form_key after saving clears what the admin typed."""
    return rx.fragment(
        rx.form(
            rx.vstack(
                *competition_form_fields(values),
                rx.button(submit, type="submit", size="3"),
                spacing="3",
                width="100%",
                align="stretch",
            ),
            on_submit=on_submit,
            width="100%",
        ),
        key=form_key.to_string(),
    )


def competition_form_fields(E) -> list[rx.Component]:
    """The labelled fields of a competition; `E` is a CompetitionForm var. Locked fields are
    read-only once tickets are sold (the service refuses to change them anyway)."""
    tz = SessionState.user_timezone
    return [
        field("Title", "title", default_value=E.title, required=True),
        field("Prize", "prize", default_value=E.prize, required=True),
        _text_area("Description", "description", E.description, rows="4"),
        _grid(
            field(
                "Ticket price (£)",
                "ticket_price",
                default_value=E.ticket_price,
                placeholder="2.50",
                input_mode="decimal",
                required=True,
                read_only=E.locked,
            ),
            field(
                "Number of tickets",
                "max_tickets",
                type="number",
                default_value=E.max_tickets,
                min=1,
                required=True,
            ),
            field(
                "Per-person limit",
                "per_person_limit",
                type="number",
                default_value=E.per_person_limit,
                min=1,
            ),
            field(
                "Minimum tickets (0 = none)",
                "min_tickets",
                type="number",
                default_value=E.min_tickets,
                min=0,
            ),
            field(
                "Number of winners",
                "winners",
                type="number",
                default_value=E.winners,
                min=1,
                max=100,
                required=True,
            ),
            rx.hstack(
                rx.el.input(
                    type="checkbox",
                    id="distinct_winners",
                    name="distinct_winners",
                    default_checked=E.distinct_winners,
                ),
                rx.el.label("One prize per person", html_for="distinct_winners"),
                align="center",
                spacing="2",
                padding_top="1.5rem",
            ),
        ),
        _grid(
            field(
                "Start date/time (" + tz + ")",
                "starts_at",
                type="datetime-local",
                default_value=E.starts_local,
                read_only=E.locked,
            ),
            field(
                "End date/time (" + tz + ")",
                "ends_at",
                type="datetime-local",
                default_value=E.ends_local,
                required=True,
            ),
            field(
                "Draw date/time (" + tz + ")",
                "draw_at",
                type="datetime-local",
                default_value=E.draw_local,
            ),
        ),
        rx.text(
            "An empty start means now; an empty draw date means the end date. The draw runs by "
            "itself at the draw date once sales have closed.",
            size="1",
            color_scheme="gray",
        ),
        field(
            "Skill question",
            "question",
            default_value=E.question,
            required=True,
            read_only=E.locked,
        ),
        _text_area(
            "Answers to choose from (one per line)",
            "choices",
            E.choices,
            rows="4",
            read_only=E.locked,
        ),
        field(
            "Right answer",
            "answer",
            placeholder=rx.cond(E.id != 0, "Leave empty to keep the right answer", "Paris"),
            read_only=E.locked,
            required=E.id == 0,
        ),
        rx.text(
            "The right answer must be one of the answers above, written the same way. It is "
            "stored hashed and never shown again.",
            size="1",
            color_scheme="gray",
        ),
        rx.cond(
            E.locked,
            rx.callout(
                "Tickets are sold, so the price, the start date, the question and the answers "
                "are locked. The title, prize, description, number of tickets (not below those "
                "sold), limits and future dates can still change.",
                icon="lock",
                size="1",
                width="100%",
            ),
        ),
    ]


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


def extend_dialog(competition_id, title, on_submit) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button("Extend", size="1", variant="soft")),
        rx.dialog.content(
            rx.dialog.title("Extend " + title),
            rx.dialog.description(
                "Tickets go on sale again until the new end date; the minimum is checked again "
                "then. Times are in your timezone (" + SessionState.user_timezone + ")."
            ),
            rx.form(
                rx.vstack(
                    rx.el.input(type="hidden", name="competition_id", value=competition_id),
                    field("New end date/time", "new_ends_at", type="datetime-local", required=True),
                    field("New draw date/time (optional)", "new_draw_at", type="datetime-local"),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", type="button")),
                        rx.dialog.close(rx.button("Extend", type="submit")),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=on_submit,
            ),
        ),
    )


def cancel_dialog(competition_id, title, on_submit, button: str) -> rx.Component:
    return reason_dialog(
        button=button,
        title="Cancel " + title + " and refund everyone",
        explanation=(
            "The competition is called off: its draw is void (the seed is revealed), open "
            "checkouts are released, and every paid order is refunded through Stripe; buyers "
            "get an email with your reason. This cannot be undone."
        ),
        record_field="competition_id",
        record_id=competition_id,
        confirm="Cancel and refund everyone",
        on_submit=on_submit,
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
