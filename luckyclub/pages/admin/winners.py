"""The winner queue: contact each winner, deliver, publish (approve for Champions); reroll a winner
who cannot win; add a few words and a photo or video shown with a published winner."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub.components.admin_page import admin_page
from luckyclub.components.layout import data_table, reason_dialog, status_badge
from luckyclub.components.live import reload_on
from luckyclub.core import routes
from luckyclub.core.errors import UserError
from luckyclub.core.words import when
from luckyclub.models import WinnerStatus
from luckyclub.platform import changes, draw_actions, draw_public, members, winner_media
from luckyclub.state.admin import AdminPageState, record_id
from luckyclub.state.events import event
from luckyclub.state.session import SessionState

MEDIA_UPLOAD_ID = "winner_media"
DONE = {
    "contacted": "Marked contacted.",
    "delivered": "Marked delivered; a competition's winner is told by email.",
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
    ticket_words: str  # a competition's winning ticket: "Ticket 42"
    details: str
    media_url: str
    is_video: bool
    public_as: str  # what publishing shows: the name only if the winner agreed


def public_as(q: draw_public.QueueRow) -> str:
    if q.shows_name:
        return f"Champions shows their name, {q.public_name}: the winner agreed."
    return (
        f"Champions shows them as {q.public_name}: the winner has not agreed to show their name "
        "(they choose on their dashboard)."
    )


@dataclass
class ManagedWinner:
    """The winner whose details and media the dialog shows."""

    id: int = 0
    name: str = ""
    title: str = ""
    details: str = ""
    media_url: str = ""
    is_video: bool = False


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
                drawn=when(q.drawn_at),
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
                ticket_words=q.ticket_words,
                details=q.details,
                media_url=q.media_url,
                is_video=q.media_type.startswith("video/"),
                public_as=public_as(q),
            )
        )
    return rows


class WinnersAdminState(AdminPageState):
    allowed: bool = False
    error: str = ""
    notice: str = ""
    rows: rx.Field[list[WinnerRow]] = rx.field(default_factory=list)
    managing_open: bool = False
    managing: ManagedWinner = ManagedWinner()

    def _fill(self, s) -> None:
        self.rows = winner_rows(s)
        if self.managing.id:
            row = next((r for r in self.rows if r.id == self.managing.id), None)
            self.managing = _managed(row) if row else ManagedWinner()
            self.managing_open = self.managing_open and row is not None

    @event
    def load(self):
        self._admin_load()

    @event
    async def follow(self):
        await self._follow(changes.ADMIN_WINNERS)

    @event
    def changed(self, version: str):
        self._changed(version)

    @event
    def set_status(self, winner_id: int, action: str):
        done = {"text": DONE.get(action, "")}

        def act(s, admin):
            winner = draw_actions.set_winner_status(s, admin, record_id(winner_id), action)
            if action == "publish":
                row = next(q for q in draw_public.winner_queue(s) if q.winner_id == winner.id)
                done["text"] = "Published. " + public_as(row)

        if self._admin_act(act, ""):
            self.notice = done["text"]

    @event
    def manage(self, winner_id: int):
        """Open the details-and-media dialog for one winner."""

        def pick(s, admin):
            row = next((r for r in winner_rows(s) if r.id == record_id(winner_id)), None)
            if row is None or row.replaced:
                raise UserError("That winner was replaced or no longer exists; reload the page.")
            self.managing = _managed(row)

        self.managing_open = self._admin_act(pick, "")

    @event
    def set_managing_open(self, open_: bool):
        self.managing_open = bool(open_) and self.allowed
        if not self.managing_open:
            self.managing = ManagedWinner()

    @event
    def save_details(self, form_data: dict):
        winner_id = self.managing.id
        self._admin_act(
            lambda s, admin: winner_media.set_details(
                s, admin, record_id(winner_id), str(form_data.get("details") or "")
            ),
            "Winner details saved; the champions page shows them once the winner is published.",
        )

    @event
    async def upload_media(self, files: list[rx.UploadFile]):
        if not files:
            self.error, self.notice = "Choose a photo or video first.", ""
            return
        upload = files[0]
        data = await upload.read(winner_media.MAX_VIDEO_BYTES + 1)
        winner_id = self.managing.id
        await self._admin_act_off_loop(
            lambda s, admin: winner_media.attach_media(
                s,
                admin,
                record_id(winner_id),
                filename=upload.name or upload.filename or "",
                data=data,
                claimed_type=upload.content_type or "",
            ),
            "Photo or video saved; only admins see it until the winner is published.",
        )
        return rx.clear_selected_files(MEDIA_UPLOAD_ID)

    @event
    def remove_media(self):
        winner_id = self.managing.id
        self._admin_act(
            lambda s, admin: winner_media.remove_media(s, admin, record_id(winner_id)),
            "Photo or video removed.",
        )

    @event
    def reroll(self, form_data: dict):
        said = {}

        def replace(s, admin):
            winner_id = record_id(form_data.get("winner_id"))
            before = draw_actions.winner_user_id(s, winner_id)
            after = draw_actions.reroll(s, admin, winner_id, form_data.get("reason", ""))
            said["text"] = (
                f"{_who(s, before)} was replaced by {_who(s, after.user_id)}, drawn by reroll."
            )

        if self._admin_act(replace, ""):
            self.notice = said["text"]


def _managed(row: WinnerRow) -> ManagedWinner:
    return ManagedWinner(
        id=row.id,
        name=row.name,
        title=row.title,
        details=row.details,
        media_url=row.media_url,
        is_video=row.is_video,
    )


def _who(s, user_id: int | None) -> str:
    person = members.person(s, user_id)
    return f"{person.display_name} ({person.email})" if person else "an entrant"


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
            rx.cond(row.ticket_words != "", rx.text(row.ticket_words, weight="medium")),
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
                rx.cond(row.details != "", rx.text("“", row.details, "”", size="1")),
                rx.cond(row.media_url != "", rx.text("Has a photo or video", size="1")),
                spacing="1",
            )
        ),
        rx.table.cell(status_badge(row.status)),
        rx.table.cell(
            rx.vstack(
                rx.text(rx.cond(row.published, "Yes", "No")),
                rx.cond(~row.replaced, rx.text(row.public_as, size="1", color_scheme="gray")),
                spacing="1",
            )
        ),
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
                    rx.button(
                        "Details and media",
                        size="1",
                        variant="soft",
                        on_click=WinnersAdminState.manage(row.id),
                        aria_label="Details and media of " + row.name,
                    ),
                    rx.cond(~row.override, _reroll_dialog(row)),
                    spacing="2",
                    wrap="wrap",
                ),
            )
        ),
    )


def _manage_dialog() -> rx.Component:
    M = WinnersAdminState.managing
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Winner details and media"),
            rx.dialog.description(M.name, " — ", M.title),
            rx.vstack(
                rx.fragment(
                    rx.form(
                        rx.vstack(
                            rx.el.label("Winner details", html_for="winner_details"),
                            rx.text_area(
                                id="winner_details",
                                name="details",
                                default_value=M.details,
                                max_length=winner_media.MAX_DETAILS,
                                rows="4",
                                width="100%",
                                placeholder="e.g. Sam from Leeds: “I never win anything!”",
                            ),
                            rx.button("Save details", type="submit", size="2"),
                            spacing="2",
                            width="100%",
                        ),
                        on_submit=WinnersAdminState.save_details,
                        width="100%",
                    ),
                    key=f"{M.id}{M.details}",
                ),
                rx.cond(
                    M.media_url != "",
                    rx.vstack(
                        rx.cond(
                            M.is_video,
                            rx.el.video(src=M.media_url, controls=True, width="100%"),
                            rx.image(src=M.media_url, alt="Winner photo", max_height="12rem"),
                        ),
                        rx.button(
                            "Remove photo or video",
                            size="1",
                            variant="soft",
                            color_scheme="red",
                            on_click=WinnersAdminState.remove_media,
                        ),
                        spacing="2",
                    ),
                ),
                rx.upload.root(
                    rx.button("Choose a photo or video", type="button", variant="soft", size="2"),
                    rx.foreach(rx.selected_files(MEDIA_UPLOAD_ID), lambda f: rx.text(f, size="1")),
                    id=MEDIA_UPLOAD_ID,
                    multiple=False,
                    accept={
                        "image/png": [".png"],
                        "image/jpeg": [".jpg", ".jpeg"],
                        "image/webp": [".webp"],
                        "video/mp4": [".mp4", ".m4v"],
                        "video/webm": [".webm"],
                    },
                    aria_label="Winner photo or video file",
                ),
                rx.button(
                    "Upload winner photo or video",
                    size="2",
                    on_click=WinnersAdminState.upload_media(
                        rx.upload_files(upload_id=MEDIA_UPLOAD_ID)
                    ),
                ),
                rx.text(
                    "PNG, JPEG or WebP photos (up to 10 MB) or MP4 or WebM videos (up to 50 MB), "
                    "checked by their content. Only admins see them until the winner is "
                    "published.",
                    size="1",
                    color_scheme="gray",
                ),
                rx.hstack(
                    rx.spacer(),
                    rx.dialog.close(rx.button("Close", variant="soft")),
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
        ),
        open=WinnersAdminState.managing_open,
        on_open_change=WinnersAdminState.set_managing_open,
    )


@rx.page(
    route=routes.ADMIN_WINNERS,
    title="Winners · LuckyClub admin",
    on_load=[SessionState.require_sign_in, WinnersAdminState.load, WinnersAdminState.follow],
)
def admin_winners_page() -> rx.Component:
    return admin_page(
        "Winners",
        WinnersAdminState,
        rx.text(
            "Every winner, the latest draw first: contact them, deliver the prize, then approve "
            "them by publishing them among the champions. Times are UTC.",
            size="2",
            color_scheme="gray",
        ),
        data_table(
            ["Draw", "Place", "Winner", "Status", "Published", "Actions"],
            WinnersAdminState.rows,
            _winner_row,
        ),
        rx.cond(WinnersAdminState.rows.length() == 0, rx.text("No winners yet.")),
        _manage_dialog(),
        live=reload_on(SessionState.live_version, WinnersAdminState.changed),
    )
