"""Roles: which members moderate which program. A platform admin grants and revokes them here; the
services check them (platform/roles.py), and each change is in the audit log."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub.components.admin_page import admin_page
from luckyclub.components.layout import data_table, field, form
from luckyclub.core import routes
from luckyclub.core.errors import UserError
from luckyclub.core.words import when
from luckyclub.models import ScopedRole
from luckyclub.platform import accounts, roles
from luckyclub.state.admin import AdminPageState, record_id
from luckyclub.state.events import event
from luckyclub.state.session import SessionState


@dataclass
class ProgramOption:
    id: str
    name: str


@dataclass
class RoleRow:
    id: int
    member: str
    words: str
    granted: str


class RolesState(AdminPageState):
    allowed: bool = False
    error: str = ""
    notice: str = ""
    programs: list[ProgramOption] = []
    grants: rx.Field[list[RoleRow]] = rx.field(default_factory=list)

    def _fill(self, s) -> None:
        self.programs = [
            ProgramOption(id=str(p.id), name=p.name) for p in roles.grantable_programs(s)
        ]
        self.grants = [
            RoleRow(id=g.id, member=g.member, words=g.words, granted=when(g.granted_at))
            for g in roles.all_grants(s)
        ]

    @event
    def load(self):
        self._admin_load()

    @event
    def grant(self, form_data: dict):
        email = str(form_data.get("member_email", ""))[:254]
        program = form_data.get("program_id")

        def change(s, admin):
            member = accounts.find_by_email(s, email)
            if member is None:
                raise UserError("No member has that email address.")
            roles.grant(s, admin, member.id, ScopedRole.MODERATOR, record_id(program))

        self._admin_act(change, f"{email} is now a moderator of that program.")

    @event
    def revoke(self, grant_id):
        self._admin_act(
            lambda s, admin: roles.revoke(s, admin, record_id(grant_id)), "Role revoked."
        )


def _grant_form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Make a member a moderator", size="4", as_="h2"),
            rx.text(
                "A moderator creates, edits and opens the raffles of one program and grants or "
                "removes entries in them — nothing else.",
                size="2",
            ),
            form(
                field("Member's email", "member_email", type="email", required=True),
                rx.vstack(
                    rx.el.label("Program", html_for="role_program"),
                    rx.el.select(
                        rx.foreach(RolesState.programs, lambda p: rx.el.option(p.name, value=p.id)),
                        id="role_program",
                        name="program_id",
                        style={"padding": "0.5rem", "border": "1px solid var(--gray-7)"},
                    ),
                    spacing="1",
                    width="100%",
                ),
                submit="Grant moderator",
                on_submit=RolesState.grant,
                reset_on_submit=True,
            ),
            width="100%",
        ),
        width="100%",
    )


def _row(r: RoleRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r.member),
        rx.table.cell(r.words),
        rx.table.cell(r.granted, white_space="nowrap"),
        rx.table.cell(
            rx.button(
                "Revoke",
                size="1",
                color_scheme="red",
                variant="soft",
                on_click=RolesState.revoke(r.id),
                aria_label="Revoke " + r.words + " from " + r.member,
            )
        ),
    )


@rx.page(
    route=routes.ADMIN_ROLES,
    title="Roles · LuckyClub admin",
    on_load=[SessionState.require_sign_in, RolesState.load],
)
def admin_roles_page() -> rx.Component:
    return admin_page(
        "Roles",
        RolesState,
        _grant_form(),
        rx.heading("Who holds which role", size="4", as_="h2"),
        rx.cond(
            RolesState.grants.length() > 0,
            data_table(["Member", "Role", "Granted (UTC)", ""], RolesState.grants, _row),
            rx.text("Nobody holds a role yet: platform admins do everything.", size="2"),
        ),
    )
