"""The admin console's home: members (verify, ban, roles), recent admin actions, job runs."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub import jobs
from luckyclub.competitions import orders
from luckyclub.components.admin_page import admin_page
from luckyclub.components.layout import (
    data_table,
    reason_dialog,
)
from luckyclub.components.orders import orders_table
from luckyclub.core import routes
from luckyclub.core.errors import UserError
from luckyclub.core.words import when
from luckyclub.models import Role, id_of
from luckyclub.platform import members
from luckyclub.state.admin import AdminPageState, AuditRow, audit_rows, record_id
from luckyclub.state.competitions.order_views import OrderView, order_views
from luckyclub.state.events import event
from luckyclub.state.session import SessionState


@dataclass
class MemberRow:
    id: int
    email: str
    display_name: str
    role: str
    verified: bool
    banned: bool
    joined: str


@dataclass
class JobRow:
    job: str
    started: str
    outcome: str
    detail: str


class AdminState(AdminPageState):
    """Admin-only: every handler re-checks the role on the server before it reads or changes."""

    allowed: bool = False
    members: list[MemberRow] = []
    actions: rx.Field[list[AuditRow]] = rx.field(default_factory=list)
    job_runs: rx.Field[list[JobRow]] = rx.field(default_factory=list)
    search: str = ""
    error: str = ""
    notice: str = ""
    orders_open: bool = False  # the "Tickets and orders" dialog of one member
    orders_of: str = ""  # whose: their name and email
    member_orders: rx.Field[list[OrderView]] = rx.field(default_factory=list)

    def _fill(self, s) -> None:
        self.members = [
            MemberRow(
                id=id_of(u),
                email=u.email,
                display_name=u.display_name,
                role=u.role,
                verified=u.email_verified_at is not None,
                banned=u.banned_at is not None,
                joined=when(u.created_at),
            )
            for u in members.list_users(s, search=self.search)
        ]
        self.actions = audit_rows(s, limit=30)
        self.job_runs = [
            JobRow(job=r.job, started=when(r.started_at), outcome=r.outcome, detail=r.detail)
            for r in jobs.latest_runs(s)
        ]

    @event
    def load(self):
        self._admin_load()

    @event
    def search_members(self, form: dict):
        self.search = (form.get("search") or "").strip()[:100]
        self._admin_act(lambda s, admin: None, "")

    @event
    def show_orders(self, user_id: int):
        """A member's competition tickets and orders, newest first, in a dialog."""

        def read(s, admin):
            member = members.person(s, record_id(user_id))
            if member is None:
                raise UserError("That member no longer exists.")
            rows = orders.find(s, user_id=member.id, limit=200)
            self.orders_of = f"{member.display_name} ({member.email})"
            self.member_orders = order_views(rows, admin.timezone)

        self.orders_open = self._admin_act(read, "")

    @event
    def set_orders_open(self, open_: bool):
        self.orders_open = bool(open_) and self.allowed
        if not self.orders_open:
            self.orders_of, self.member_orders = "", []

    @event
    def verify_member(self, user_id: int):
        self._admin_act(
            lambda s, admin: members.mark_verified(s, admin, record_id(user_id)),
            "Marked verified.",
        )

    @event
    def ban_member(self, form: dict):
        self._admin_act(
            lambda s, admin: members.ban(
                s, admin, record_id(form.get("user_id")), form.get("reason", "")
            ),
            "Member banned; their open sessions have ended.",
        )

    @event
    def unban_member(self, user_id: int):
        self._admin_act(lambda s, admin: members.unban(s, admin, record_id(user_id)), "Ban lifted.")

    @event
    def make_admin(self, user_id: int):
        self._admin_act(
            lambda s, admin: members.set_role(s, admin, record_id(user_id), Role.ADMIN),
            "Now an admin.",
        )

    @event
    def make_member(self, user_id: int):
        self._admin_act(
            lambda s, admin: members.set_role(s, admin, record_id(user_id), Role.MEMBER),
            "Admin role removed.",
        )


def _ban_dialog(member: MemberRow) -> rx.Component:
    return reason_dialog(
        button="Ban",
        title="Ban " + member.email,
        explanation="They are signed out at once and cannot sign in until unbanned.",
        record_field="user_id",
        record_id=member.id,
        confirm="Ban member",
        on_submit=AdminState.ban_member,
    )


def _member_row(member: MemberRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(member.display_name, weight="medium"), rx.text(member.email, size="1")
            )
        ),
        rx.table.cell(
            rx.badge(member.role, color_scheme=rx.cond(member.role == "admin", "purple", "gray"))
        ),
        rx.table.cell(
            rx.cond(
                member.verified,
                rx.badge("verified", color_scheme="green"),
                rx.button(
                    "Mark verified",
                    size="1",
                    variant="soft",
                    on_click=AdminState.verify_member(member.id),
                ),
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    member.banned,
                    rx.button(
                        "Unban",
                        size="1",
                        variant="soft",
                        on_click=AdminState.unban_member(member.id),
                    ),
                    _ban_dialog(member),
                ),
                rx.button(
                    "Tickets and orders",
                    size="1",
                    variant="soft",
                    on_click=AdminState.show_orders(member.id),
                    aria_label="Tickets and orders of " + member.email,
                ),
                rx.cond(
                    member.role == "admin",
                    rx.button(
                        "Remove admin",
                        size="1",
                        variant="soft",
                        on_click=AdminState.make_member(member.id),
                    ),
                    rx.button(
                        "Make admin",
                        size="1",
                        variant="soft",
                        on_click=AdminState.make_admin(member.id),
                    ),
                ),
                spacing="2",
                wrap="wrap",
            )
        ),
        rx.table.cell(member.joined, white_space="nowrap"),
    )


def _orders_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Tickets and orders"),
            rx.dialog.description(AdminState.orders_of),
            orders_table(AdminState.member_orders),
            rx.cond(
                AdminState.member_orders.length() == 0,
                rx.text("No competition orders.", size="2"),
            ),
            rx.hstack(
                rx.link("Search and refund orders", href=routes.ADMIN_TICKETS, size="2"),
                rx.spacer(),
                rx.dialog.close(rx.button("Close", variant="soft")),
                width="100%",
                margin_top="1rem",
            ),
            max_width="min(60rem, 95vw)",
        ),
        open=AdminState.orders_open,
        on_open_change=AdminState.set_orders_open,
    )


def _members() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Members", size="5", as_="h2"),
                rx.spacer(),
                rx.form(
                    rx.hstack(
                        rx.input(
                            name="search", placeholder="Email or name", aria_label="Search members"
                        ),
                        rx.button("Search", type="submit", variant="soft"),
                    ),
                    on_submit=AdminState.search_members,
                ),
                width="100%",
                wrap="wrap",
            ),
            data_table(
                ["Member", "Role", "Email", "Actions", "Joined"], AdminState.members, _member_row
            ),
            _orders_dialog(),
            width="100%",
        ),
        width="100%",
    )


def _activity() -> rx.Component:
    return rx.grid(
        rx.card(
            rx.vstack(
                rx.heading("Recent admin actions", size="4", as_="h2"),
                rx.foreach(
                    AdminState.actions,
                    lambda a: rx.text(
                        rx.text.strong(a.action),
                        " on ",
                        a.target,
                        " by ",
                        a.actor,
                        " · ",
                        a.when,
                        rx.cond(a.detail != "", rx.text.span(" — ", a.detail)),
                        size="2",
                    ),
                ),
                rx.cond(AdminState.actions.length() == 0, rx.text("Nothing yet.", size="2")),
            ),
        ),
        rx.card(
            rx.vstack(
                rx.heading("Scheduled jobs: latest runs", size="4", as_="h2"),
                rx.foreach(
                    AdminState.job_runs,
                    lambda r: rx.text(
                        rx.badge(
                            r.outcome, color_scheme=rx.cond(r.outcome == "ok", "green", "red")
                        ),
                        " ",
                        rx.text.strong(r.job),
                        " · ",
                        r.started,
                        " · ",
                        r.detail,
                        size="2",
                    ),
                ),
                rx.cond(
                    AdminState.job_runs.length() == 0, rx.text("No runs recorded yet.", size="2")
                ),
            ),
        ),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
        width="100%",
    )


@rx.page(
    route=routes.ADMIN,
    title="Admin · LuckyClub",
    on_load=[SessionState.require_sign_in, AdminState.load],
)
def admin_members_page() -> rx.Component:
    return admin_page("Members", AdminState, _members(), _activity())
