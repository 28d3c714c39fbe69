"""The live review queue: pending proofs appear without reload; approving credits entries at once.

Also the list of proof kinds members can choose from, with the entries each earns.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub.club import proofs
from luckyclub.components.admin_page import admin_page
from luckyclub.components.layout import (
    field,
    form,
    reason_dialog,
)
from luckyclub.components.live import reload_on
from luckyclub.core import routes
from luckyclub.core.words import when
from luckyclub.models import id_of
from luckyclub.platform import changes
from luckyclub.state.admin import AdminPageState, record_id
from luckyclub.state.events import event
from luckyclub.state.session import SessionState


@dataclass
class PendingProof:
    id: int
    member: str
    email: str
    kind: str
    entry_count: int
    note: str
    sent: str
    duplicate_note: str
    file_url: str
    is_image: bool


@dataclass
class KindRow:
    id: int
    name: str
    entry_count: int
    monthly_limit: int
    active: bool


class ReviewState(AdminPageState):
    allowed: bool = False
    error: str = ""
    notice: str = ""
    queue: rx.Field[list[PendingProof]] = rx.field(default_factory=list)
    kinds: list[KindRow] = []

    def _fill(self, s) -> None:
        self.queue = [
            PendingProof(
                id=id_of(item.proof),
                member=item.member_name,
                email=item.member_email,
                kind=item.kind_name,
                entry_count=item.entries,
                note=item.proof.note,
                sent=when(item.proof.created_at),
                duplicate_note=item.duplicate_note,
                file_url=proofs.file_url(id_of(item.proof)),
                is_image=item.proof.content_type.startswith("image/"),
            )
            for item in proofs.pending_queue(s)
        ]
        self.kinds = [
            KindRow(
                id=id_of(k),
                name=k.name,
                entry_count=k.entries,
                monthly_limit=k.monthly_limit,
                active=k.active,
            )
            for k in proofs.list_kinds(s, include_inactive=True)
        ]

    @event
    def load(self):
        self._admin_load()

    @event
    async def follow(self):
        await self._follow(changes.ADMIN_PROOFS)

    @event
    def changed(self, version: str):
        self._changed(version)

    @event
    def approve(self, proof_id: int):
        self._admin_act(
            lambda s, admin: proofs.review(s, admin, record_id(proof_id), approve=True),
            "Approved; the member's entries are credited.",
        )

    @event
    def reject(self, form_data: dict):
        self._admin_act(
            lambda s, admin: proofs.review(
                s,
                admin,
                record_id(form_data.get("proof_id")),
                approve=False,
                reason=form_data.get("reason", ""),
            ),
            "Rejected; the member sees your reason.",
        )

    @event
    def add_kind(self, form_data: dict):
        self._admin_act(
            lambda s, admin: proofs.create_kind(
                s,
                admin,
                name=form_data.get("name", ""),
                entries=form_data.get("entries", ""),
                monthly_limit=form_data.get("monthly_limit", ""),
            ),
            "Proof kind added.",
        )

    @event
    def toggle_kind(self, kind_id: int):
        def change(s, admin):
            kind = next(
                k for k in proofs.list_kinds(s, include_inactive=True) if k.id == record_id(kind_id)
            )
            proofs.update_kind(
                s,
                admin,
                kind.id,
                name=kind.name,
                entries=kind.entries,
                monthly_limit=kind.monthly_limit,
                active=not kind.active,
            )

        self._admin_act(change, "Proof kind updated.")


def _reject_dialog(p: PendingProof) -> rx.Component:
    return reason_dialog(
        button="Reject",
        title="Reject this proof",
        explanation="The member sees your reason on their dashboard.",
        record_field="proof_id",
        record_id=p.id,
        confirm="Reject proof",
        on_submit=ReviewState.reject,
    )


def _pending(p: PendingProof) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.link(
                rx.cond(
                    p.is_image,
                    rx.image(
                        src=p.file_url,
                        alt="Proof from " + p.member,
                        width="10rem",
                        height="10rem",
                        object_fit="cover",
                        border_radius="var(--radius-2)",
                    ),
                    rx.center(
                        rx.icon("file_text", size=40),
                        width="10rem",
                        height="10rem",
                        background_color=rx.color("gray", 3),
                    ),
                ),
                href=p.file_url,
                is_external=True,
                aria_label="Open the proof file",
            ),
            rx.vstack(
                rx.text(rx.text.strong(p.member), " · ", p.email, size="2"),
                rx.text(p.kind, " (+", p.entry_count, " entries)", weight="medium"),
                rx.cond(p.note != "", rx.text("“", p.note, "”", size="2", font_style="italic")),
                rx.text("Sent ", p.sent, size="1", color_scheme="gray"),
                rx.cond(
                    p.duplicate_note != "",
                    rx.callout(p.duplicate_note, icon="copy", color_scheme="amber", size="1"),
                ),
                rx.hstack(
                    rx.button("Approve", color_scheme="green", on_click=ReviewState.approve(p.id)),
                    _reject_dialog(p),
                    spacing="2",
                ),
                spacing="2",
                align="start",
            ),
            gap="1rem",
            direction=rx.breakpoints(initial="column", sm="row"),
        ),
        width="100%",
        role="article",
        aria_label="Proof from " + p.member,
    )


def _kinds() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Proof kinds", size="4", as_="h2"),
            rx.foreach(
                ReviewState.kinds,
                lambda k: rx.hstack(
                    rx.text(
                        k.name,
                        " · +",
                        k.entry_count,
                        " entries · up to ",
                        k.monthly_limit,
                        " a month",
                        size="2",
                        color_scheme=rx.cond(k.active, "gray", "red"),
                    ),
                    rx.spacer(),
                    rx.button(
                        rx.cond(k.active, "Retire", "Bring back"),
                        size="1",
                        variant="soft",
                        on_click=ReviewState.toggle_kind(k.id),
                    ),
                    width="100%",
                ),
            ),
            form(
                field(
                    "Kind of proof",
                    "name",
                    placeholder="Shared the raffle on social media",
                    required=True,
                ),
                rx.grid(
                    field(
                        "Entries it earns", "entries", type="number", min=1, max=1000, required=True
                    ),
                    field(
                        "Per member per month",
                        "monthly_limit",
                        type="number",
                        min=1,
                        max=100,
                        required=True,
                        default_value="1",
                    ),
                    columns="2",
                    spacing="3",
                    width="100%",
                ),
                submit="Add proof kind",
                on_submit=ReviewState.add_kind,
                reset_on_submit=True,
            ),
            width="100%",
        ),
        width="100%",
    )


@rx.page(
    route=routes.ADMIN_PROOFS,
    title="Review queue · LuckyClub admin",
    on_load=[SessionState.require_sign_in, ReviewState.load, ReviewState.follow],
)
def admin_proofs_page() -> rx.Component:
    return admin_page(
        "Review queue",
        ReviewState,
        rx.text(
            rx.cond(
                ReviewState.queue.length() == 1,
                "1 proof waiting.",
                ReviewState.queue.length().to_string() + " proofs waiting.",
            ),
            " New uploads appear here without a reload.",
        ),
        rx.foreach(ReviewState.queue, _pending),
        _kinds(),
        live=reload_on(SessionState.live_version, ReviewState.changed),
    )
