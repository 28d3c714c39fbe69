"""What one competition's admin page loads and does: edit it, publish or hide it, its pictures,
postal entries, its draw (Perform draw now, a manual winner), the draw's history with its proofs,
and its orders with the CSV export. The page lays it out (pages/admin/competition.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub.competitions import catalogue, orders, pictures, postal
from luckyclub.core import routes
from luckyclub.core.words import when
from luckyclub.models import CompetitionStatus, DrawStatus, id_of
from luckyclub.platform import audit, draw_actions, draw_public, draws, members, uploads
from luckyclub.state.admin import (
    TRIGGER_WORDS,
    AdminPageState,
    draw_now_as,
    draw_without_beacon_as,
    record_id,
)
from luckyclub.state.competitions.admin import (
    ACTIVATED,
    CANCELLED,
    EXTENDED,
    CompetitionForm,
    activate_it,
    cancel_it,
    competition_fields,
    extend_it,
    form_of,
)
from luckyclub.state.competitions.competition_views import PHASE_WORDS
from luckyclub.state.competitions.order_views import OrderView, order_views
from luckyclub.state.events import event

IMAGES_UPLOAD_ID = "competition_images"


@dataclass
class CompetitionFacts:
    id: int = 0
    title: str = ""
    prize: str = ""
    phase: str = ""
    phase_words: str = ""
    sold_count: int = 0
    held_count: int = 0
    ticket_total: int = 0
    percent: int = 0
    minimum: int = 0
    price: str = ""
    starts: str = ""
    ends: str = ""
    draws_at: str = ""
    featured: bool = False
    is_draft: bool = False
    is_active: bool = False
    can_deactivate: bool = False  # only before anyone bought or holds a ticket
    can_cancel: bool = False
    below_minimum: bool = False
    cancel_reason: str = ""
    public_url: str = ""
    export_url: str = ""


@dataclass
class DrawPanel:
    id: int = 0
    status: str = ""
    status_words: str = ""
    commitment: str = ""
    draw_at: str = ""
    entry_count: int = 0
    can_draw: bool = False
    is_drawn: bool = False
    running: bool = False
    waiting_words: str = ""  # while no drand relay answers: why it waits, in words
    can_skip_beacon: bool = False
    page_url: str = ""
    announcement: str = ""


@dataclass
class ImageRow:
    name: str
    url: str


@dataclass
class LogRow:
    when: str
    what: str


@dataclass
class ProofRow:
    label: str
    url: str


def targets_of(draw, view: draw_public.DrawView, competition_id: int) -> list[tuple[str, int]]:
    """The records whose admin actions the draw's history shows."""
    targets = [("competition", competition_id), ("draw", draw.id)]
    return targets + [("draw_winner", w.winner_id) for w in view.winners]


def _history(s, draw, view: draw_public.DrawView, competition_id: int, tz: str) -> list[LogRow]:
    """The draw's own events (from its record) and what admins did, oldest first."""
    entries = audit.for_targets(s, targets_of(draw, view, competition_id))
    emails = members.emails_of(s, [draw.actor_id, *(entry.actor_id for entry in entries)])
    by = f" by {emails[draw.actor_id]}" if draw.actor_id in emails else ""
    rows = [(draw.created_at, f"Draw scheduled; its commitment {draw.commitment} is public.")]
    if draw.closed_at:
        rows.append(
            (
                draw.closed_at,
                f"Sales closed: {draw.entry_count:,} tickets frozen in the snapshot "
                f"(SHA-256 {draw.snapshot_digest}).",
            )
        )
        if draw.beacon_round:
            rows.append((draw.closed_at, f"Bound to drand round {draw.beacon_round:,}."))
        elif draw.no_beacon_reason:
            rows.append((draw.closed_at, f"No public beacon: {draw.no_beacon_reason}"))
    if draw.status == DrawStatus.DRAWN and draw.drawn_at:
        trigger = TRIGGER_WORDS.get(draw.trigger or "", draw.trigger or "")
        reason = f" Reason: {draw.reason}" if draw.reason else ""
        rows.append((draw.drawn_at, f"Drawn {trigger}{by}.{reason}"))
    if draw.status == DrawStatus.VOID and draw.drawn_at:
        rows.append((draw.drawn_at, f"Void{by}: {draw.reason or ''}"))
    for entry in entries:
        actor = "system" if entry.actor_id is None else emails.get(entry.actor_id, "system")
        detail = f" — {entry.detail}" if entry.detail else ""
        rows.append((entry.created_at, f"{entry.action} by {actor}{detail}"))
    # Draw times are whole seconds; compared at that precision, a tie keeps the order above.
    rows.sort(key=lambda row: row[0].replace(microsecond=0))
    return [LogRow(when=when(moment, tz), what=what) for moment, what in rows]


class CompetitionAdminState(AdminPageState):
    allowed: bool = False
    error: str = ""
    notice: str = ""
    found: bool = False
    facts: CompetitionFacts = CompetitionFacts()
    editing: CompetitionForm = CompetitionForm()
    # A new key rebuilds a form, dropping what was typed: the Edit form's on load and whenever what
    # it shows changed (a save, an extension); the postal form's after an entry is recorded.
    form_key: int = 0
    postal_key: rx.Field[int] = rx.field(0)
    images: rx.Field[list[ImageRow]] = rx.field(default_factory=list)
    choices: list[str] = []
    draw: DrawPanel = DrawPanel()
    winners: list[str] = []
    history: list[LogRow] = []
    proofs: list[ProofRow] = []
    orders: rx.Field[list[OrderView]] = rx.field(default_factory=list)
    # the draw this tab asked for and is waiting on
    running: rx.Field[list[int]] = rx.field(default_factory=list)
    _competition_id: int = 0

    def _fill(self, s) -> None:
        tz = self.user_timezone
        competition_id = routes.id_from_path(self.router.url.path)
        competition = catalogue.find(s, competition_id)
        if competition is None:
            self._forget()
            return
        competition_id = id_of(competition)
        self.found, self._competition_id = True, competition_id
        phase = catalogue.phase(competition)
        counts = catalogue.counts(s, competition)
        self.facts = CompetitionFacts(
            id=competition_id,
            title=competition.title,
            prize=competition.prize,
            phase=phase,
            phase_words=PHASE_WORDS.get(phase, phase),
            sold_count=counts.sold,
            held_count=counts.held,
            ticket_total=counts.max_tickets,
            percent=int(counts.percent),
            minimum=competition.min_tickets,
            price=catalogue.money(competition.ticket_price_pence, competition.currency),
            starts=when(competition.starts_at, tz),
            ends=when(competition.ends_at, tz),
            draws_at=when(competition.draw_at, tz),
            featured=competition.featured,
            is_draft=phase == catalogue.Phase.DRAFT,
            is_active=competition.status == CompetitionStatus.ACTIVE,
            can_deactivate=catalogue.can_deactivate(competition),
            can_cancel=competition.status in (CompetitionStatus.ACTIVE, CompetitionStatus.DRAFT),
            below_minimum=competition.below_minimum_at is not None,
            cancel_reason=competition.cancel_reason or "",
            public_url=routes.competition_page(competition_id),
            export_url=routes.tickets_export(competition_id),
        )
        editing = form_of(competition, tz)
        if editing != self.editing:
            self.editing = editing
            self.form_key += 1
        self.images = [
            ImageRow(name=name, url=routes.competition_image(competition_id, name))
            for name in catalogue.images_of(competition)
        ]
        self.choices = catalogue.choices_of(competition)
        self._fill_draw(s, competition_id, tz)
        self.orders = order_views(orders.find(s, competition_id=competition_id), tz)

    def _fill_draw(self, s, competition_id: int, tz: str) -> None:
        draw = catalogue.draw_of(s, competition_id)
        view = draw_public.view(s, id_of(draw)) if draw else None
        if draw is None or view is None:
            self.draw, self.winners, self.history, self.proofs = DrawPanel(), [], [], []
            return
        draw_id = id_of(draw)
        drawn = draw.status == DrawStatus.DRAWN
        self.draw = DrawPanel(
            id=draw_id,
            status=draw.status,
            status_words=view.status_words,
            commitment=draw.commitment,
            draw_at=when(draw.draw_at, tz),
            entry_count=view.entry_count,
            can_draw=draw.status in draws.UNDRAWN,
            is_drawn=drawn,
            running=view.running,
            waiting_words=draws.waiting_words(
                draw.beacon_round, {"next_attempt_at": draw.next_attempt_at}
            )
            if draw.status == DrawStatus.WAITING_FOR_BEACON
            else "",
            can_skip_beacon=draw.status in draws.OPEN_STATUSES and draw.use_beacon,
            page_url=routes.draw_page(draw_id),
            announcement=draw_public.announcement(s, draw_id) if drawn else "",
        )
        self.winners = [
            f"Place {w.position}: {w.ticket} — {w.name}"
            + (f" (replaced: {w.replaced_reason})" if w.replaced else "")
            + (f" (reroll {w.reroll})" if w.reroll else "")
            for w in view.winners
        ]
        self.history = _history(s, draw, view, competition_id, tz)
        self.proofs = (
            [ProofRow("Proof of the draw (JSON)", routes.draw_proof(draw_id))]
            + [
                ProofRow(f"Proof of reroll {n} (JSON)", routes.draw_proof(draw_id, n))
                for n in range(1, view.rerolls + 1)
            ]
            if drawn
            else []
        )

    def _forget(self) -> None:
        self.found, self._competition_id = False, 0
        self.facts, self.editing, self.draw = CompetitionFacts(), CompetitionForm(), DrawPanel()
        self.images, self.choices, self.winners = [], [], []
        self.history, self.proofs, self.orders = [], [], []

    def _id(self) -> int:
        return record_id(self._competition_id)

    @event
    def load(self):
        self._admin_load()
        self.form_key += 1

    @event
    def save(self, form_data: dict):
        before = self.editing

        def save_it(s, admin):
            fields = competition_fields(form_data, admin.timezone, before=before)
            catalogue.update(s, admin, self._id(), **fields)

        self._admin_act(save_it, "Saved.")

    @event
    def activate(self):
        self._admin_act(activate_it(self._competition_id), ACTIVATED)

    @event
    def deactivate(self):
        self._admin_act(
            lambda s, admin: catalogue.deactivate(s, admin, self._id()),
            "Deactivated: back to draft, hidden from the public.",
        )

    @event
    def toggle_featured(self):
        featured = not self.facts.featured
        self._admin_act(
            lambda s, admin: catalogue.set_featured(s, admin, self._id(), featured),
            "Featured: listed first." if featured else "No longer featured.",
        )

    @event
    def duplicate(self):
        made = {}

        def copy(s, admin):
            made["id"] = catalogue.duplicate(s, admin, self._id()).id

        if self._admin_act(copy, ""):
            self._next_notice = "A draft copy was made: you are looking at it now."
            return rx.redirect(routes.admin_competition_page(made["id"]))

    @event
    def delete(self):
        title = self.facts.title
        if self._admin_act(lambda s, admin: catalogue.remove(s, admin, self._id()), ""):
            self._next_notice = f"{title} was deleted."
            return rx.redirect(routes.ADMIN_COMPETITIONS)

    # The dialogs' hidden competition_id is for the list page; here the page's own record acts.
    @event
    def cancel(self, form_data: dict):
        self._admin_act(cancel_it(self._competition_id, form_data), CANCELLED)

    @event
    def extend(self, form_data: dict):
        self._admin_act(extend_it(self._competition_id, form_data), EXTENDED)

    @event
    async def upload_images(self, files: list[rx.UploadFile]):
        if not files:
            self.error, self.notice = "Choose a picture first.", ""
            return
        received = []
        for upload in files:
            data = await upload.read(uploads.MAX_PROOF_BYTES + 1)  # the checks refuse more
            received.append((upload.name or upload.filename or "", data, upload.content_type))

        def add_all(s, admin):
            for name, data, claimed in received:
                pictures.add_image(
                    s, admin, self._id(), filename=name, data=data, claimed_type=claimed or ""
                )

        count = len(received)
        await self._admin_act_off_loop(
            add_all, f"{count} picture{'s' if count != 1 else ''} added."
        )
        return rx.clear_selected_files(IMAGES_UPLOAD_ID)

    @event
    def remove_image(self, name: str):
        self._admin_act(
            lambda s, admin: pictures.remove_image(s, admin, self._id(), str(name)),
            "Picture removed.",
        )

    @event
    def record_postal(self, form_data: dict):
        made = {}

        def record(s, admin):
            made["order"] = postal.record_postal(
                s,
                admin,
                self._id(),
                name=str(form_data.get("postal_name") or ""),
                address=str(form_data.get("postal_address") or ""),
                answer=str(form_data.get("postal_answer") or ""),
                email=str(form_data.get("postal_email") or ""),
            ).id

        if self._admin_act(record, ""):
            # The reload listed the new order with the rest (newest first).
            row = next(o for o in self.orders if o.order_id == made["order"])
            self.notice = f"Postal entry recorded: ticket {row.numbers} for {row.buyer}."
            self.postal_key += 1

    @event(background=True)
    async def draw_now(self):
        """Perform draw now: claims the draw exactly once, off the event loop (it may wait for
        the drand relays)."""
        async with self:
            draw_id = self.draw.id
        await self._run_draw(draw_id, draw_now_as)

    @event(background=True)
    async def draw_without_beacon(self, form_data: dict):
        """Draw without beacon, from where the admin sees the draw waiting (with a reason)."""
        async with self:
            draw_id = self.draw.id
        reason = str(form_data.get("reason") or "")
        await self._run_draw(
            draw_id, lambda token, number: draw_without_beacon_as(token, number, reason)
        )

    @event
    def manual_winner(self, form_data: dict):
        self._admin_act(
            lambda s, admin: draw_actions.override(
                s,
                admin,
                record_id(self.draw.id),
                ticket=str(form_data.get("manual_ticket") or "").strip(),
                reason=form_data.get("reason", ""),
            ),
            "Manual winner recorded. The draw page shows it as chosen by an admin, with your "
            "reason.",
        )
