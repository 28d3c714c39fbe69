"""The audit log: every admin action with who, what, the record it touched and when (UTC)."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.admin_page import admin_page
from luckyclub.components.layout import data_table
from luckyclub.core import routes
from luckyclub.state.admin import AdminPageState, AuditRow, audit_rows
from luckyclub.state.events import event
from luckyclub.state.session import SessionState


class AuditState(AdminPageState):
    allowed: bool = False
    error: str = ""
    notice: str = ""
    actions: list[AuditRow] = []

    def _fill(self, s) -> None:
        self.actions = audit_rows(s, limit=500)

    @event
    def load(self):
        self._admin_load()


def _row(a: AuditRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(a.when, white_space="nowrap"),
        rx.table.cell(a.actor),
        rx.table.cell(rx.code(a.action)),
        rx.table.cell(a.target),
        rx.table.cell(a.detail),
    )


@rx.page(
    route=routes.ADMIN_AUDIT,
    title="Audit log · LuckyClub admin",
    on_load=[SessionState.require_sign_in, AuditState.load],
)
def admin_audit_page() -> rx.Component:
    return admin_page(
        "Audit log",
        AuditState,
        rx.text("The latest 500 admin actions, newest first. Times are UTC.", size="2"),
        data_table(["When (UTC)", "Admin", "Action", "Record", "Detail"], AuditState.actions, _row),
    )
