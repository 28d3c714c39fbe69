"""Admins run the monthly raffles: create, edit, open; and grant or remove a member's entries."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import reflex as rx

from luckyclub.club import ledger, raffles
from luckyclub.components.admin_page import admin_page
from luckyclub.components.layout import (
    data_table,
    field,
    form,
    label,
    select_field,
    status_badge,
)
from luckyclub.core import routes
from luckyclub.core.errors import UserError
from luckyclub.core.words import count, when
from luckyclub.models import DrawStatus, Raffle, RaffleStatus, id_of
from luckyclub.platform import accounts, draw_public, uploads
from luckyclub.state.admin import AdminPageState, parse_local_time, record_id
from luckyclub.state.busy import shows_busy
from luckyclub.state.events import event
from luckyclub.state.session import SessionState

IMAGE_UPLOAD_ID = "raffle_image"


@dataclass
class RaffleRow:
    id: int
    month: str
    title: str
    prize: str
    status: str
    closes: str
    entry_count: int
    entrants: int
    winners: int
    draw_status: str  # "" for a raffle without a draw yet
    draw_words: str


@dataclass
class RaffleForm:
    id: int = 0
    month: str = ""
    title: str = ""
    prize: str = ""
    description: str = ""
    base_entries: str = "15"
    carry_over_percent: str = "0"
    winners: str = "1"
    closes_local: str = ""  # for <input type="datetime-local">, in the admin's timezone


def _form_fields(form_data: dict, timezone: str) -> dict:
    fields = {
        name: form_data.get(name, "")
        for name in (
            "title",
            "prize",
            "description",
            "base_entries",
            "carry_over_percent",
            "winners",
        )
    }
    if closes := (form_data.get("closes_at") or "").strip():
        fields["closes_at"] = parse_local_time(closes, timezone) or closes
    return fields


class RafflesAdminState(AdminPageState):
    allowed: bool = False
    error: str = ""
    notice: str = ""
    rows: rx.Field[list[RaffleRow]] = rx.field(default_factory=list)
    editing: RaffleForm = RaffleForm()
    open_raffles: list[RaffleRow] = []
    saving: bool = False
    # A new key empties the New raffle form after a raffle is created (no invitation to save the
    # same raffle twice); editing keys the form by the raffle's id instead.
    created_count: rx.Field[int] = rx.field(0)

    def _fill(self, s) -> None:
        self.rows = [self._row(s, r) for r in raffles.list_raffles(s)]
        self.open_raffles = [r for r in self.rows if r.status == RaffleStatus.OPEN]

    def _row(self, s, raffle: Raffle) -> RaffleRow:
        raffle_id = id_of(raffle)
        totals = ledger.totals(s, raffle_id)
        draw = raffles.draw_of(s, raffle_id)
        return RaffleRow(
            id=raffle_id,
            month=raffle.month,
            title=raffle.title,
            prize=raffle.prize,
            status=raffle.status,
            closes=when(raffle.closes_at, self.user_timezone),
            entry_count=totals.entries,
            entrants=totals.entrants,
            winners=raffle.winners,
            draw_status=draw.status if draw else "",
            draw_words=draw_public.STATUS_WORDS[DrawStatus(draw.status)] if draw else "",
        )

    @event
    def load(self):
        self.editing = RaffleForm()
        self._admin_load()

    @event
    def new_raffle(self):
        self.editing = RaffleForm()

    @event
    def edit(self, raffle_id: int):
        def pick(s, admin):
            raffle = raffles.get(s, record_id(raffle_id))
            local = raffle.closes_at.astimezone(ZoneInfo(admin.timezone))
            self.editing = RaffleForm(
                id=raffle.id,
                month=raffle.month,
                title=raffle.title,
                prize=raffle.prize,
                description=raffle.description,
                base_entries=str(raffle.base_entries),
                carry_over_percent=str(raffle.carry_over_percent),
                winners=str(raffle.winners),
                closes_local=local.strftime("%Y-%m-%dT%H:%M"),
            )

        self._admin_act(pick, "")

    @event
    @shows_busy("saving")
    def save(self, form_data: dict):
        tz = self.user_timezone
        if self.editing.id:
            raffle_id = self.editing.id
            self._admin_act(
                lambda s, admin: raffles.update(
                    s, admin, raffle_id, **_form_fields(form_data, admin.timezone)
                ),
                "Raffle saved.",
            )
        else:
            created = self._admin_act(
                lambda s, admin: raffles.create(
                    s, admin, month=form_data.get("month", ""), **_form_fields(form_data, tz)
                ),
                "Raffle created as a draft. Open it when it is ready.",
            )
            if created:
                self.editing = RaffleForm()
                self.created_count += 1

    @event
    async def upload_image(self, files: list[rx.UploadFile]):
        if not files:
            self.error = "Choose a picture first."
            return
        upload = files[0]
        data = await upload.read(uploads.MAX_PROOF_BYTES + 1)
        raffle_id = self.editing.id
        await self._admin_act_off_loop(
            lambda s, admin: raffles.set_image(
                s,
                admin,
                record_id(raffle_id),
                filename=upload.name or upload.filename or "",
                data=data,
                claimed_type=upload.content_type or "",
            ),
            "Prize picture saved.",
        )
        return rx.clear_selected_files(IMAGE_UPLOAD_ID)

    @event
    def open_for_entries(self, raffle_id: int):
        outcome = {}

        def open_it(s, admin):
            raffle, credited = raffles.open_raffle(s, admin, record_id(raffle_id))
            outcome["text"] = (
                f"{raffle.title} is open; {count(credited, 'member')} got their base entries."
            )

        if self._admin_act(open_it, ""):
            self.notice = outcome["text"]

    @event
    def grant_entries(self, form_data: dict):
        def change(s, admin):
            member = accounts.find_by_email(s, form_data.get("member_email", ""))
            if member is None:
                raise UserError("No member uses that email address.")
            try:
                amount = int(form_data.get("amount", ""))
            except ValueError:
                raise UserError("Enter the number of entries as a whole number.") from None
            ledger.grant(
                s,
                admin,
                raffle_id=record_id(form_data.get("raffle_id")),
                user_id=member.id,
                amount=amount,
                reason=form_data.get("reason", ""),
            )

        self._admin_act(change, "Entries changed; the member sees the new row at once.")


def _raffle_row(r: RaffleRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r.month),
        rx.table.cell(rx.vstack(rx.text(r.title, weight="medium"), rx.text(r.prize, size="1"))),
        rx.table.cell(status_badge(r.status)),
        rx.table.cell(r.closes, white_space="nowrap"),
        rx.table.cell(r.entry_count, " entries · ", r.entrants, " members"),
        rx.table.cell(
            rx.cond(
                r.draw_status != "",
                rx.vstack(
                    status_badge(r.draw_status, r.draw_words),
                    rx.text(r.winners, " to draw", size="1"),
                    rx.link("Manage draws", href=routes.ADMIN_DRAWS, size="1"),
                    spacing="1",
                ),
                rx.text("No draw yet", size="1"),
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.button("Edit", size="1", variant="soft", on_click=RafflesAdminState.edit(r.id)),
                rx.cond(
                    r.status == "draft",
                    rx.button(
                        "Open for entries",
                        size="1",
                        on_click=RafflesAdminState.open_for_entries(r.id),
                    ),
                ),
                spacing="2",
            )
        ),
    )


def _editor() -> rx.Component:
    E = RafflesAdminState.editing
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(rx.cond(E.id != 0, "Edit raffle", "New raffle"), size="4", as_="h2"),
                rx.spacer(),
                rx.cond(
                    E.id != 0,
                    rx.button(
                        "New raffle instead",
                        size="1",
                        variant="soft",
                        on_click=RafflesAdminState.new_raffle,
                    ),
                ),
                width="100%",
            ),
            rx.fragment(
                form(
                    rx.cond(
                        E.id == 0,
                        field("Month (YYYY-MM)", "month", placeholder="2026-12", required=True),
                        rx.text("Month ", rx.text.strong(E.month), size="2"),
                    ),
                    field("Title", "title", default_value=E.title, required=True),
                    field("Prize", "prize", default_value=E.prize, required=True),
                    rx.vstack(
                        label("Description", "description"),
                        rx.text_area(
                            id="description",
                            name="description",
                            default_value=E.description,
                            width="100%",
                        ),
                        width="100%",
                        spacing="1",
                    ),
                    rx.grid(
                        field(
                            "Base entries per member",
                            "base_entries",
                            type="number",
                            default_value=E.base_entries,
                            min=0,
                            max=1000,
                        ),
                        field(
                            "Carry-over % (0 = none)",
                            "carry_over_percent",
                            type="number",
                            default_value=E.carry_over_percent,
                            min=0,
                            max=100,
                        ),
                        field(
                            "Winners",
                            "winners",
                            type="number",
                            default_value=E.winners,
                            min=1,
                            max=100,
                            required=True,
                        ),
                        columns=rx.breakpoints(initial="1", sm="3"),
                        spacing="3",
                        width="100%",
                    ),
                    field(
                        f"Closing time ({SessionState.user_timezone})",
                        "closes_at",
                        type="datetime-local",
                        default_value=E.closes_local,
                    ),
                    rx.text(
                        "Leave the closing time empty for the last second of the month (UTC).",
                        size="1",
                        color_scheme="gray",
                    ),
                    submit="Save raffle",
                    on_submit=RafflesAdminState.save,
                    busy=RafflesAdminState.saving,
                ),
                # a new key resets the form's fields: to the chosen raffle, or empty after a create
                key=f"{E.id}-{RafflesAdminState.created_count}",
            ),
            rx.cond(E.id != 0, _picture()),
            width="100%",
        ),
        width="100%",
    )


def _picture() -> rx.Component:
    return rx.vstack(
        rx.text("Prize picture", weight="medium"),
        rx.image(
            src=f"/api/raffles/{RafflesAdminState.editing.id}/image",
            alt="",
            max_height="8rem",
        ),
        rx.upload.root(
            rx.button("Choose a picture", type="button", variant="soft", size="2"),
            rx.foreach(rx.selected_files(IMAGE_UPLOAD_ID), lambda f: rx.text(f, size="1")),
            id=IMAGE_UPLOAD_ID,
            multiple=False,
            accept={
                "image/png": [".png"],
                "image/jpeg": [".jpg", ".jpeg"],
                "image/webp": [".webp"],
            },
            aria_label="Prize picture file",
        ),
        rx.button(
            "Upload picture",
            size="2",
            on_click=RafflesAdminState.upload_image(rx.upload_files(upload_id=IMAGE_UPLOAD_ID)),
        ),
        rx.text("Members see it once the raffle is open.", size="1", color_scheme="gray"),
        spacing="2",
        width="100%",
    )


def _grant() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Grant or remove entries", size="4", as_="h2"),
            rx.text(
                "A negative number removes entries; a balance never goes below zero.", size="2"
            ),
            form(
                field("Member's email", "member_email", type="email", required=True),
                select_field(
                    "Raffle",
                    "raffle_id",
                    rx.foreach(
                        RafflesAdminState.open_raffles,
                        lambda r: rx.el.option(r.month, " · ", r.title, value=r.id.to_string()),
                    ),
                ),
                field("Entries", "amount", type="number", required=True),
                field("Reason (the member sees it)", "reason", required=True),
                submit="Change entries",
                on_submit=RafflesAdminState.grant_entries,
                reset_on_submit=True,
            ),
            width="100%",
        ),
        width="100%",
    )


@rx.page(
    route=routes.ADMIN_RAFFLES,
    title="Raffles · LuckyClub admin",
    on_load=[SessionState.require_sign_in, RafflesAdminState.load],
)
def admin_raffles_page() -> rx.Component:
    return admin_page(
        "Raffles",
        RafflesAdminState,
        data_table(
            ["Month", "Raffle", "Status", "Closes", "Entries", "Draw", ""],
            RafflesAdminState.rows,
            _raffle_row,
        ),
        rx.cond(
            RafflesAdminState.rows.length() == 0,
            rx.text("No raffles yet. Create the first one below: it starts as a draft."),
        ),
        rx.grid(
            _editor(),
            _grant(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
    )
