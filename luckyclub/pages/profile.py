"""A member's profile: display name and timezone, mobile number for texts, email, password."""

from __future__ import annotations

import reflex as rx

from luckyclub import routes
from luckyclub.components.layout import error_callout, field, form, page, success_callout
from luckyclub.db import session_scope
from luckyclub.pages.auth import timezone_select
from luckyclub.services import accounts
from luckyclub.services.errors import UserError
from luckyclub.state.session import SessionState


class ProfileState(SessionState):
    display_name: str = ""
    timezone: str = "UTC"
    phone: str = ""
    error: str = ""
    saved: str = ""

    @rx.event
    def load(self):
        with session_scope() as s:
            user = self._current_user(s)
            if user is not None:
                self.display_name = user.display_name
                self.timezone = user.timezone
                self.phone = user.phone or ""

    @rx.event
    def set_timezone(self, value: str):
        self.timezone = value

    def _apply(self, change, success: str) -> None:
        self.error = self.saved = ""
        try:
            with session_scope() as s:
                user = self._require_user(s)
                change(s, user)
                self._show(user)
        except UserError as exc:
            self.error = exc.message
            return
        self.saved = success

    @rx.event
    def save_profile(self, form: dict):
        self._apply(
            lambda s, user: accounts.update_profile(
                s,
                user,
                display_name=form.get("display_name", ""),
                timezone=form.get("timezone", ""),
            ),
            "Your profile is saved.",
        )

    @rx.event
    def save_phone(self, form: dict):
        def change(s, user):
            accounts.update_phone(s, user, form.get("phone", ""))
            self.phone = user.phone or ""  # shown as saved: +447700900123

        removed = not form.get("phone", "").strip()
        self._apply(
            change,
            "Your mobile number is removed; we will not text you."
            if removed
            else "Your mobile number is saved.",
        )

    @rx.event
    def change_email(self, form: dict):
        self._apply(
            lambda s, user: accounts.change_email(
                s, user, new_email=form.get("new_email", ""), password=form.get("password", "")
            ),
            "Your email address is changed. We sent a verification link to the new address.",
        )

    @rx.event
    def change_password(self, form: dict):
        if form.get("new_password", "") != form.get("confirm_password", ""):
            self.saved = ""
            self.error = "The two new passwords do not match. Type the same new password twice."
            return
        self._apply(
            lambda s, user: accounts.change_password(
                s,
                user,
                current_password=form.get("current_password", ""),
                new_password=form.get("new_password", ""),
                keep_token=self._session_token(),
            ),
            "Your password is changed. Every other browser has been signed out.",
        )


def _section(title: str, form: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4", as_="h2"), form, spacing="3", width="100%"),
        width="100%",
    )


@rx.page(
    route=routes.PROFILE,
    title="Profile · LuckyClub",
    on_load=[SessionState.require_sign_in, ProfileState.load],
)
def profile_page() -> rx.Component:
    return page(
        rx.vstack(
            rx.heading("Your profile", size="8", as_="h1"),
            error_callout(ProfileState.error),
            success_callout(ProfileState.saved),
            _section(
                "Name and timezone",
                form(
                    field(
                        "Display name",
                        "display_name",
                        default_value=ProfileState.display_name,
                        key=ProfileState.display_name,
                    ),
                    timezone_select(ProfileState.timezone, ProfileState.set_timezone),
                    submit="Save profile",
                    on_submit=ProfileState.save_profile,
                ),
            ),
            _section(
                "Text messages",
                form(
                    field(
                        "Mobile number for text messages",
                        "phone",
                        type="tel",
                        auto_complete="tel",
                        placeholder="+44 7700 900123",
                        default_value=ProfileState.phone,
                        key=ProfileState.phone,
                    ),
                    rx.text(
                        "Optional. We only text you about your orders and wins, never offers. "
                        "Leave it empty to get no texts.",
                        size="2",
                        color_scheme="gray",
                    ),
                    submit="Save mobile number",
                    on_submit=ProfileState.save_phone,
                ),
            ),
            _section(
                "Email address",
                form(
                    rx.text("Currently ", rx.text.strong(SessionState.user_email), size="2"),
                    field("New email", "new_email", type="email", auto_complete="email"),
                    field(
                        "Your password, to confirm",
                        "password",
                        type="password",
                        auto_complete="current-password",
                    ),
                    submit="Change email",
                    on_submit=ProfileState.change_email,
                    reset_on_submit=True,
                ),
            ),
            _section(
                "Password",
                form(
                    field(
                        "Current password",
                        "current_password",
                        type="password",
                        auto_complete="current-password",
                    ),
                    field(
                        "New password",
                        "new_password",
                        type="password",
                        auto_complete="new-password",
                    ),
                    field(
                        "Repeat new password",
                        "confirm_password",
                        type="password",
                        auto_complete="new-password",
                    ),
                    submit="Change password",
                    on_submit=ProfileState.change_password,
                    reset_on_submit=True,
                ),
            ),
            spacing="5",
            width="100%",
            max_width="40rem",
        )
    )
