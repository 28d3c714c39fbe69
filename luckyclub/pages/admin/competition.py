"""One competition in the admin console: edit it, publish or hide it, its pictures, postal
entries, its draw (Perform draw now, a manual winner), the draw's history with its proofs, and its
orders with the CSV export.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub.competitions import catalogue, tickets
from luckyclub.components.admin_page import admin_page
from luckyclub.components.download import download_link
from luckyclub.components.layout import fact, field, reason_dialog, status_badge
from luckyclub.components.orders import orders_table
from luckyclub.core import routes
from luckyclub.core.words import when
from luckyclub.models import Competition, CompetitionStatus, DrawStatus, User
from luckyclub.pages.admin.competitions import (
    ACTIVATED,
    CANCELLED,
    EXTENDED,
    CompetitionForm,
    activate_it,
    cancel_dialog,
    cancel_it,
    competition_fields,
    competition_form,
    extend_dialog,
    extend_it,
    form_of,
)
from luckyclub.pages.admin.draws import TRIGGER_WORDS
from luckyclub.pages.admin.home import record_id
from luckyclub.platform import audit, draw_actions, draw_public, draws, uploads
from luckyclub.state.admin import AdminPageState, draw_now_as, draw_without_beacon_as
from luckyclub.state.competitions.competition_views import PHASE_WORDS
from luckyclub.state.competitions.order_views import OrderView, order_views
from luckyclub.state.session import SessionState

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


def _history(s, draw, view: draw_public.DrawView, competition_id: int, tz: str) -> list[LogRow]:
    """The draw's own events (from its record) and what admins did, oldest first."""
    actor = s.get(User, draw.actor_id) if draw.actor_id else None
    by = f" by {actor.email}" if actor else ""
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
    winner_ids = [w.winner_id for w in view.winners]
    targets = [("competition", competition_id), ("draw", draw.id)]
    targets += [("draw_winner", winner_id) for winner_id in winner_ids]
    emails = {}
    for entry in audit.for_targets(s, targets):
        if entry.actor_id not in emails:
            person = s.get(User, entry.actor_id) if entry.actor_id else None
            emails[entry.actor_id] = person.email if person else "system"
        detail = f" — {entry.detail}" if entry.detail else ""
        rows.append((entry.created_at, f"{entry.action} by {emails[entry.actor_id]}{detail}"))
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
    postal_key: int = 0
    images: list[ImageRow] = []
    choices: list[str] = []
    draw: DrawPanel = DrawPanel()
    winners: list[str] = []
    history: list[LogRow] = []
    proofs: list[ProofRow] = []
    orders: list[OrderView] = []
    running: list[int] = []  # the draw this tab asked for and is waiting on
    _competition_id: int = 0

    def _fill(self, s) -> None:
        tz = self.user_timezone
        competition_id = routes.id_from_path(self.router.url.path)
        competition = s.get(Competition, competition_id) if competition_id else None
        if competition is None:
            self._forget()
            return
        self.found, self._competition_id = True, competition.id
        phase = catalogue.phase(competition)
        counts = catalogue.counts(s, competition)
        self.facts = CompetitionFacts(
            id=competition.id,
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
            public_url=routes.competition_page(competition.id),
            export_url=routes.tickets_export(competition.id),
        )
        editing = form_of(competition, tz)
        if editing != self.editing:
            self.editing = editing
            self.form_key += 1
        self.images = [
            ImageRow(name=name, url=routes.competition_image(competition.id, name))
            for name in catalogue.images_of(competition)
        ]
        self.choices = catalogue.choices_of(competition)
        self._fill_draw(s, competition.id, tz)
        self.orders = order_views(tickets.orders(s, competition_id=competition.id), tz)

    def _fill_draw(self, s, competition_id: int, tz: str) -> None:
        draw = catalogue.draw_of(s, competition_id)
        view = draw_public.view(s, draw.id) if draw else None
        if draw is None or view is None:
            self.draw, self.winners, self.history, self.proofs = DrawPanel(), [], [], []
            return
        drawn = draw.status == DrawStatus.DRAWN
        self.draw = DrawPanel(
            id=draw.id,
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
            page_url=routes.draw_page(draw.id),
            announcement=draw_public.announcement(s, draw.id) if drawn else "",
        )
        self.winners = [
            f"Place {w.position}: {w.ticket} — {w.name}"
            + (f" (replaced: {w.replaced_reason})" if w.replaced else "")
            + (f" (reroll {w.reroll})" if w.reroll else "")
            for w in view.winners
        ]
        self.history = _history(s, draw, view, competition_id, tz)
        self.proofs = (
            [ProofRow("Proof of the draw (JSON)", routes.draw_proof(draw.id))]
            + [
                ProofRow(f"Proof of reroll {n} (JSON)", routes.draw_proof(draw.id, n))
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

    @rx.event
    def load(self):
        self._admin_load()
        self.form_key += 1

    @rx.event
    def save(self, form_data: dict):
        before = self.editing

        def save_it(s, admin):
            fields = competition_fields(form_data, admin.timezone, before=before)
            catalogue.update(s, admin, self._id(), **fields)

        self._admin_act(save_it, "Saved.")

    @rx.event
    def activate(self):
        self._admin_act(activate_it(self._competition_id), ACTIVATED)

    @rx.event
    def deactivate(self):
        self._admin_act(
            lambda s, admin: catalogue.deactivate(s, admin, self._id()),
            "Deactivated: back to draft, hidden from the public.",
        )

    @rx.event
    def toggle_featured(self):
        featured = not self.facts.featured
        self._admin_act(
            lambda s, admin: catalogue.set_featured(s, admin, self._id(), featured),
            "Featured: listed first." if featured else "No longer featured.",
        )

    @rx.event
    def duplicate(self):
        made = {}

        def copy(s, admin):
            made["id"] = catalogue.duplicate(s, admin, self._id()).id

        if self._admin_act(copy, ""):
            self._next_notice = "A draft copy was made: you are looking at it now."
            return rx.redirect(routes.admin_competition_page(made["id"]))

    @rx.event
    def delete(self):
        title = self.facts.title
        if self._admin_act(lambda s, admin: catalogue.remove(s, admin, self._id()), ""):
            self._next_notice = f"{title} was deleted."
            return rx.redirect(routes.ADMIN_COMPETITIONS)

    # The dialogs' hidden competition_id is for the list page; here the page's own record acts.
    @rx.event
    def cancel(self, form_data: dict):
        self._admin_act(cancel_it(self._competition_id, form_data), CANCELLED)

    @rx.event
    def extend(self, form_data: dict):
        self._admin_act(extend_it(self._competition_id, form_data), EXTENDED)

    @rx.event
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
                catalogue.add_image(
                    s, admin, self._id(), filename=name, data=data, claimed_type=claimed or ""
                )

        count = len(received)
        await self._admin_act_off_loop(
            add_all, f"{count} picture{'s' if count != 1 else ''} added."
        )
        return rx.clear_selected_files(IMAGES_UPLOAD_ID)

    @rx.event
    def remove_image(self, name: str):
        self._admin_act(
            lambda s, admin: catalogue.remove_image(s, admin, self._id(), str(name)),
            "Picture removed.",
        )

    @rx.event
    def record_postal(self, form_data: dict):
        made = {}

        def record(s, admin):
            made["order"] = tickets.record_postal(
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

    @rx.event(background=True)
    async def draw_now(self):
        """Perform draw now: claims the draw exactly once, off the event loop (it may wait for
        the drand relays)."""
        async with self:
            draw_id = self.draw.id
        await self._run_draw(draw_id, draw_now_as)

    @rx.event(background=True)
    async def draw_without_beacon(self, form_data: dict):
        """Draw without beacon, from where the admin sees the draw waiting (with a reason)."""
        async with self:
            draw_id = self.draw.id
        reason = str(form_data.get("reason") or "")
        await self._run_draw(
            draw_id, lambda token, number: draw_without_beacon_as(token, number, reason)
        )

    @rx.event
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


# ---- the page ----------------------------------------------------------------------------------

S = CompetitionAdminState


def _delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Delete", size="2", color_scheme="red", variant="soft")),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete " + S.facts.title + "?"),
            rx.alert_dialog.description(
                "The draft, its draw and its pictures are deleted for good. Only a draft nobody "
                "ever ordered from can be deleted."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft")),
                rx.alert_dialog.action(
                    rx.button("Delete competition", color_scheme="red", on_click=S.delete)
                ),
                justify="end",
                spacing="3",
                margin_top="1rem",
            ),
        ),
    )


def _summary() -> rx.Component:
    F = S.facts
    return rx.card(
        rx.vstack(
            rx.hstack(
                status_badge(F.phase, F.phase_words),
                rx.cond(F.featured, rx.badge("Featured", color_scheme="purple")),
                rx.text(F.prize, weight="medium"),
                wrap="wrap",
                align="center",
            ),
            rx.hstack(
                rx.text(F.sold_count, " / ", F.ticket_total, " sold", size="2"),
                rx.cond(F.held_count > 0, rx.text(" · ", F.held_count, " in checkouts", size="2")),
                rx.cond(F.minimum > 0, rx.text(" · minimum ", F.minimum, size="2")),
                wrap="wrap",
            ),
            rx.progress(value=F.percent, max=100, width="100%"),
            fact("Price", F.price),
            fact("On sale", F.starts, " → ", F.ends),
            fact("Draw", F.draws_at),
            rx.cond(F.cancel_reason != "", fact("Cancelled", F.cancel_reason)),
            rx.cond(
                F.below_minimum,
                rx.callout(
                    "Sales ended below the minimum. Extend the competition or cancel it and "
                    "refund everyone: the draw waits for your decision.",
                    icon="triangle_alert",
                    color_scheme="orange",
                    width="100%",
                ),
            ),
            rx.hstack(
                rx.cond(F.is_draft, rx.button("Activate", size="2", on_click=S.activate)),
                rx.cond(
                    F.can_deactivate,
                    rx.button("Deactivate", size="2", variant="soft", on_click=S.deactivate),
                ),
                rx.button(
                    rx.cond(F.featured, "Unfeature", "Feature"),
                    size="2",
                    variant="soft",
                    on_click=S.toggle_featured,
                ),
                rx.button("Duplicate", size="2", variant="soft", on_click=S.duplicate),
                rx.cond(F.is_active, extend_dialog(F.id, F.title, S.extend)),
                rx.cond(F.is_draft, _delete_dialog()),
                rx.cond(
                    F.can_cancel,
                    rx.box(cancel_dialog(F.id, F.title, S.cancel, "Cancel and refund")),
                ),
                rx.cond(F.is_draft, rx.fragment(), rx.link("Public page", href=F.public_url)),
                wrap="wrap",
                spacing="2",
                align="center",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _editor() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Edit", size="5", as_="h2"),
            competition_form(S.editing, "Save changes", S.save, S.form_key),
            width="100%",
        ),
        width="100%",
    )


def _pictures() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Pictures", size="5", as_="h2"),
            rx.flex(
                rx.foreach(
                    S.images,
                    lambda image: rx.vstack(
                        rx.image(src=image.url, alt="Prize picture", height="6rem"),
                        rx.button(
                            "Remove",
                            size="1",
                            variant="soft",
                            color_scheme="red",
                            on_click=S.remove_image(image.name),
                            aria_label="Remove picture " + image.name,
                        ),
                        spacing="1",
                        align="center",
                    ),
                ),
                wrap="wrap",
                gap="3",
            ),
            rx.cond(S.images.length() == 0, rx.text("No pictures yet.", size="2")),
            rx.upload.root(
                rx.button("Choose pictures", type="button", variant="soft", size="2"),
                rx.foreach(rx.selected_files(IMAGES_UPLOAD_ID), lambda f: rx.text(f, size="1")),
                id=IMAGES_UPLOAD_ID,
                multiple=True,
                accept={
                    "image/png": [".png"],
                    "image/jpeg": [".jpg", ".jpeg"],
                    "image/webp": [".webp"],
                },
                aria_label="Prize picture files",
            ),
            rx.button(
                "Upload pictures",
                size="2",
                on_click=S.upload_images(rx.upload_files(upload_id=IMAGES_UPLOAD_ID)),
            ),
            rx.text(
                f"PNG, JPEG or WebP, up to {catalogue.MAX_IMAGES} pictures; each is checked "
                "and re-encoded without its metadata.",
                size="1",
                color_scheme="gray",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _postal() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Record a postal entry", size="5", as_="h2"),
            rx.text(
                "A free entry by post gets one ticket, numbered like a paid one. A wrong answer "
                "is not entered.",
                size="2",
                color_scheme="gray",
            ),
            rx.fragment(
                rx.form(
                    rx.vstack(
                        field("Name", "postal_name", required=True),
                        rx.vstack(
                            rx.el.label(
                                "Postal address",
                                html_for="postal_address",
                                style={"fontWeight": "500", "fontSize": "0.9rem"},
                            ),
                            rx.text_area(
                                id="postal_address",
                                name="postal_address",
                                required=True,
                                rows="3",
                                width="100%",
                            ),
                            spacing="1",
                            width="100%",
                        ),
                        rx.vstack(
                            rx.el.label(
                                "Answer",
                                html_for="postal_answer",
                                style={"fontWeight": "500", "fontSize": "0.9rem"},
                            ),
                            rx.el.select(
                                rx.foreach(S.choices, lambda c: rx.el.option(c, value=c)),
                                id="postal_answer",
                                name="postal_answer",
                                style={"padding": "0.5rem", "width": "100%"},
                            ),
                            spacing="1",
                            width="100%",
                        ),
                        field("Member email (optional)", "postal_email", type="email"),
                        rx.button("Record postal entry", type="submit", size="3"),
                        spacing="3",
                        width="100%",
                        align="stretch",
                    ),
                    on_submit=S.record_postal,
                    width="100%",
                ),
                key="postal-" + S.postal_key.to_string(),
            ),
            width="100%",
        ),
        width="100%",
    )


def _manual_winner_dialog() -> rx.Component:
    return reason_dialog(
        button="Record a manual winner",
        title="Record the winner of an external live draw",
        explanation=(
            "Use this when the winner was drawn outside the app, e.g. live on stream. The "
            "ticket is published as a MANUAL WINNER chosen by an admin, with your reason, on the "
            "public draw page and in its proof — never as a random draw. Only a ticket in the "
            "draw (sold, not refunded) can win."
        ),
        record_field="draw_id",
        record_id=S.draw.id,
        confirm="Record manual winner",
        on_submit=S.manual_winner,
        fields=(
            rx.el.label("Winning ticket number", html_for="manual_ticket"),
            rx.input(id="manual_ticket", name="manual_ticket", required=True, input_mode="numeric"),
        ),
    )


def _skip_beacon_dialog() -> rx.Component:
    return reason_dialog(
        button="Draw without beacon",
        title="Draw without public randomness",
        explanation=(
            "Use this only when no drand relay answers. The draw then runs on the committed seed "
            "alone, and its public proof shows your reason."
        ),
        record_field="draw_id",
        record_id=S.draw.id,
        confirm="Switch off the beacon and draw",
        on_submit=S.draw_without_beacon,
    )


def _draw_panel() -> rx.Component:
    D = S.draw
    busy = (S.running.length() > 0) | D.running
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Draw", size="5", as_="h2"),
                status_badge(D.status, D.status_words),
                align="center",
                wrap="wrap",
            ),
            fact("Draw time", D.draw_at),
            fact(
                "Commitment (SHA-256 of the secret seed)",
                rx.code(D.commitment, word_break="break-all"),
            ),
            rx.cond(D.entry_count > 0, fact("Tickets in the draw", D.entry_count)),
            rx.foreach(S.winners, lambda w: rx.text(w, size="2", weight="medium")),
            rx.cond(
                D.can_draw,
                rx.hstack(
                    rx.button(
                        rx.cond(busy, "Drawing…", "Perform draw now"),
                        size="2",
                        disabled=busy,
                        loading=busy,
                        on_click=S.draw_now,
                    ),
                    rx.cond(D.can_skip_beacon, _skip_beacon_dialog()),
                    _manual_winner_dialog(),
                    wrap="wrap",
                    spacing="2",
                ),
            ),
            rx.cond(
                D.waiting_words != "",
                rx.callout(D.waiting_words, icon="clock", color_scheme="orange", role="alert"),
            ),
            rx.text(
                "The draw runs by itself at the draw time. Perform draw now works once sales "
                "have closed; to call the competition off, use Cancel and refund.",
                size="1",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.link("Public draw page", href=D.page_url, size="2"),
                rx.foreach(S.proofs, lambda p: download_link(p.label, p.url, size="2")),
                wrap="wrap",
                spacing="3",
            ),
            rx.cond(
                D.is_drawn,
                rx.vstack(
                    rx.el.label(
                        "Announcement to copy",
                        html_for="competition_announcement",
                        style={"fontWeight": "500"},
                    ),
                    rx.text_area(
                        id="competition_announcement",
                        value=D.announcement,
                        read_only=True,
                        rows="5",
                        width="100%",
                    ),
                    rx.link("Manage winners", href=routes.ADMIN_WINNERS, size="2"),
                    spacing="1",
                    width="100%",
                ),
            ),
            rx.heading("Draw history", size="3", as_="h3"),
            rx.el.ol(
                rx.foreach(
                    S.history,
                    lambda h: rx.el.li(
                        rx.text(rx.text.strong(h.when), " — ", h.what, size="2"),
                    ),
                ),
                # Digests and emails are long unbroken words: let them wrap rather than overflow.
                style={"paddingLeft": "1.25rem", "overflowWrap": "anywhere", "width": "100%"},
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        min_width="0",
    )


def _orders() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Orders", size="5", as_="h2"),
                rx.spacer(),
                download_link("Export tickets (CSV)", S.facts.export_url),
                rx.link("Search and refund orders", href=routes.ADMIN_TICKETS, size="2"),
                width="100%",
                wrap="wrap",
                align="center",
                spacing="3",
            ),
            orders_table(S.orders, show_competition=False),
            rx.cond(S.orders.length() == 0, rx.text("No orders yet.", size="2")),
            width="100%",
        ),
        width="100%",
    )


@rx.page(
    route=routes.ADMIN_COMPETITION,
    title="Competition · LuckyClub admin",
    on_load=[SessionState.require_sign_in, CompetitionAdminState.load],
)
def admin_competition_page() -> rx.Component:
    return admin_page(
        "Competition",
        CompetitionAdminState,
        rx.cond(
            S.found,
            rx.vstack(
                rx.heading(S.facts.title, size="6", as_="h2"),
                rx.link("← All competitions", href=routes.ADMIN_COMPETITIONS, size="2"),
                _summary(),
                rx.grid(
                    # min_width 0: a grid column otherwise grows to its longest word (a digest)
                    rx.vstack(_editor(), _pictures(), width="100%", spacing="4", min_width="0"),
                    rx.vstack(_draw_panel(), _postal(), width="100%", spacing="4", min_width="0"),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    width="100%",
                ),
                _orders(),
                spacing="4",
                width="100%",
            ),
            rx.text(
                "That competition does not exist. ",
                rx.link("See all competitions", href=routes.ADMIN_COMPETITIONS),
            ),
        ),
    )
