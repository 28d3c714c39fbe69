"""A member's home: their account at a glance (raffles, entries and tickets join it later)."""

from __future__ import annotations

import reflex as rx

from luckyclub import routes
from luckyclub.components.layout import page, success_callout
from luckyclub.db import session_scope
from luckyclub.services import accounts
from luckyclub.services.errors import UserError
from luckyclub.state.session import SessionState


class DashboardState(SessionState):
    member_since: str = ""
    notice: str = ""

    @rx.event
    def load(self):
        with session_scope() as s:
            user = self._current_user(s)
            if user is None:
                return
            self.member_since = accounts.local_time(user.created_at, user.timezone)

    @rx.event
    def resend_verification(self):
        try:
            with session_scope() as s:
                user = self._require_user(s)
                if user.email_verified_at is None:
                    accounts.send_verification_email(s, user)
        except UserError as exc:
            self.notice = exc.message
            return
        self.notice = "We have sent you a new verification link."


def _verify_banner() -> rx.Component:
    return rx.cond(
        ~SessionState.email_verified,
        rx.callout(
            rx.hstack(
                rx.text("Please verify your email address — we sent you a link."),
                rx.button(
                    "Send the link again",
                    on_click=DashboardState.resend_verification,
                    size="1",
                    variant="soft",
                ),
                wrap="wrap",
                align="center",
                spacing="3",
            ),
            icon="mail",
            color_scheme="amber",
            width="100%",
        ),
    )


@rx.page(
    route=routes.DASHBOARD,
    title="Dashboard · LuckyClub",
    on_load=[SessionState.require_sign_in, DashboardState.load],
)
def dashboard_page() -> rx.Component:
    return page(
        rx.cond(
            SessionState.signed_in,
            rx.vstack(
                rx.heading(f"Welcome, {SessionState.user_name}", size="8", as_="h1"),
                _verify_banner(),
                success_callout(DashboardState.notice),
                rx.grid(
                    rx.card(
                        rx.vstack(
                            rx.text("Your account", weight="bold"),
                            rx.text(SessionState.user_email),
                            rx.text("Member since ", DashboardState.member_since, size="2"),
                            rx.text(
                                "Times are shown in ",
                                SessionState.user_timezone,
                                size="2",
                                color_scheme="gray",
                            ),
                            rx.link("Edit your profile", href=routes.PROFILE, size="2"),
                        ),
                    ),
                    rx.card(
                        rx.vstack(
                            rx.text("Draws", weight="bold"),
                            rx.text(
                                "Raffles and competitions you enter appear here, with your "
                                "entries, your odds and a countdown to each draw.",
                                size="2",
                            ),
                        ),
                    ),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="4",
                    width="100%",
                ),
                spacing="5",
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        )
    )
