"""Joining and signing in: register, sign in, forgotten password, reset, email verification."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.account import timezone_select
from luckyclub.components.layout import (
    error_callout,
    field,
    form,
    link_button,
    narrow_page,
    success_callout,
)
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.core.errors import UserError
from luckyclub.platform import accounts
from luckyclub.state.busy import shows_busy
from luckyclub.state.events import event
from luckyclub.state.session import SessionState, finish_sign_in


def auth_card(title: str, *children: rx.Component) -> rx.Component:
    return narrow_page(
        rx.card(
            rx.vstack(rx.heading(title, size="7", as_="h1"), *children, spacing="4", width="100%"),
            padding=["1.25rem", "2rem"],
            width="100%",
        )
    )


# ---- register ----------------------------------------------------------------------------


JOINED = (
    "Thank you for joining. We have emailed you a link to confirm your address; "
    "you can sign in now with your email and password."
)


class RegisterState(SessionState):
    error: str = ""
    joined: str = ""
    busy: bool = False
    timezone: str = "UTC"

    @event
    def open_form(self):
        self.error = self.joined = ""  # the state outlives a visit to another page

    @event
    def set_timezone(self, value: str):
        self.timezone = value

    @event
    def use_browser_timezone(self, value: str):
        if value in accounts.timezones():
            self.timezone = value

    @event
    def detect_timezone(self):
        return rx.call_script(
            "Intl.DateTimeFormat().resolvedOptions().timeZone",
            callback=RegisterState.use_browser_timezone,
        )

    @event
    @shows_busy()
    def register(self, form: dict):
        self.error = self.joined = ""
        try:
            with session_scope() as s:
                accounts.register(
                    s,
                    email=form.get("email", ""),
                    password=form.get("password", ""),
                    display_name=form.get("display_name", ""),
                    date_of_birth=form.get("date_of_birth", ""),
                    timezone=form.get("timezone", "") or self.timezone,
                    client_ip=self._client_ip(),
                )
        except UserError as exc:
            self.error = exc.message
            return
        # The same answer when the email has an account already (its owner is emailed instead),
        # so joining cannot tell anyone which emails are members'.
        self.joined = JOINED


@rx.page(
    route=routes.REGISTER,
    title="Join LuckyClub",
    on_load=[SessionState.refresh, RegisterState.open_form, RegisterState.detect_timezone],
)
def register_page() -> rx.Component:
    return auth_card(
        "Join LuckyClub",
        rx.text("Members must be 18 or older.", color_scheme="gray"),
        error_callout(RegisterState.error),
        rx.cond(
            RegisterState.joined != "",
            rx.vstack(
                success_callout(RegisterState.joined),
                link_button("Sign in", routes.LOGIN, size="3"),
            ),
        ),
        # Hidden, not removed, once joined: a form rendered anew would drop what someone typed
        # while a revisit's page load clears the last visit's thank-you.
        rx.box(
            _join_form(),
            display=rx.cond(RegisterState.joined != "", "none", "block"),
            width="100%",
        ),
        rx.text("Already a member? ", rx.link("Sign in", href=routes.LOGIN), size="2"),
    )


def _join_form() -> rx.Component:
    return form(
        field("Email", "email", type="email", required=True, auto_complete="email"),
        field("Display name", "display_name", required=True, auto_complete="nickname"),
        field(
            "Password",
            "password",
            type="password",
            required=True,
            auto_complete="new-password",
        ),
        rx.text("At least 8 characters; a long phrase is best.", size="1", color_scheme="gray"),
        field("Date of birth", "date_of_birth", type="date", required=True),
        timezone_select(RegisterState.timezone, RegisterState.set_timezone),
        submit="Create account",
        on_submit=RegisterState.register,
        busy=RegisterState.busy,
    )


# ---- sign in --------------------------------------------------------------------------------


class LoginState(SessionState):
    error: str = ""
    busy: bool = False

    @event
    @shows_busy()
    def sign_in(self, form: dict):
        self.error = ""
        try:
            with session_scope() as s:
                user = accounts.authenticate(
                    s,
                    email=form.get("email", ""),
                    password=form.get("password", ""),
                    client_ip=self._client_ip(),
                )
                ticket = accounts.issue_login_ticket(s, user)
        except UserError as exc:
            self.error = exc.message
            return
        destination = routes.safe_next(self.router.url.query_parameters.get("next"))
        return finish_sign_in(ticket, destination)

    @event
    def explain_query(self):
        params = self.router.url.query_parameters
        self.error = (
            "Your sign-in took too long. Please try again." if params.get("expired") else ""
        )


@rx.page(
    route=routes.LOGIN,
    title="Sign in · LuckyClub",
    on_load=[SessionState.refresh, LoginState.explain_query],
)
def login_page() -> rx.Component:
    return auth_card(
        "Sign in",
        error_callout(LoginState.error),
        form(
            field("Email", "email", type="email", required=True, auto_complete="email"),
            field(
                "Password",
                "password",
                type="password",
                required=True,
                auto_complete="current-password",
            ),
            submit="Sign in",
            on_submit=LoginState.sign_in,
            busy=LoginState.busy,
        ),
        rx.hstack(
            rx.link("Forgot your password?", href=routes.FORGOT_PASSWORD, size="2"),
            rx.spacer(),
            rx.link("Create an account", href=routes.REGISTER, size="2"),
            width="100%",
            wrap="wrap",
        ),
    )


# ---- forgotten password -------------------------------------------------------------------------

RESET_SENT = (
    "If an account uses that address, we have emailed it a link to choose a new password. "
    "The link works for 1 hour."
)


class ForgotPasswordState(SessionState):
    sent: str = ""
    error: str = ""
    busy: bool = False

    @event
    @shows_busy()
    def request_reset(self, form: dict):
        self.sent = self.error = ""
        try:
            with session_scope() as s:
                accounts.request_password_reset(
                    s, form.get("email", ""), client_ip=self._client_ip()
                )
        except UserError as exc:
            self.error = exc.message
            return
        self.sent = RESET_SENT  # the same reply whether or not the account exists


@rx.page(
    route=routes.FORGOT_PASSWORD,
    title="Reset your password · LuckyClub",
    on_load=SessionState.refresh,
)
def forgot_password_page() -> rx.Component:
    return auth_card(
        "Reset your password",
        rx.text("Enter your email and we will send you a link to choose a new password."),
        error_callout(ForgotPasswordState.error),
        success_callout(ForgotPasswordState.sent),
        form(
            field("Email", "email", type="email", required=True, auto_complete="email"),
            submit="Send reset link",
            on_submit=ForgotPasswordState.request_reset,
            busy=ForgotPasswordState.busy,
            reset_on_submit=True,
        ),
        rx.link("Back to sign in", href=routes.LOGIN, size="2"),
    )


class ResetPasswordState(SessionState):
    error: str = ""
    done: str = ""
    busy: bool = False

    @event
    @shows_busy()
    def choose_password(self, form: dict):
        self.error = ""
        if form.get("password", "") != form.get("confirm_password", ""):
            self.error = "The two passwords do not match. Type the same new password twice."
            return
        token = self.router.url.query_parameters.get("token", "")
        try:
            with session_scope() as s:
                accounts.reset_password(s, token, form.get("password", ""))
        except UserError as exc:
            self.error = exc.message
            return
        self.done = "Your password has been changed. Sign in with your new password."


@rx.page(
    route=routes.RESET_PASSWORD,
    title="Choose a new password · LuckyClub",
    on_load=SessionState.refresh,
)
def reset_password_page() -> rx.Component:
    return auth_card(
        "Choose a new password",
        error_callout(ResetPasswordState.error),
        rx.cond(
            ResetPasswordState.done != "",
            rx.vstack(
                success_callout(ResetPasswordState.done),
                link_button("Sign in", routes.LOGIN, size="3"),
            ),
            form(
                field(
                    "New password",
                    "password",
                    type="password",
                    required=True,
                    auto_complete="new-password",
                ),
                field(
                    "Repeat new password",
                    "confirm_password",
                    type="password",
                    required=True,
                    auto_complete="new-password",
                ),
                submit="Change password",
                on_submit=ResetPasswordState.choose_password,
                busy=ResetPasswordState.busy,
            ),
        ),
    )


class VerifyEmailState(SessionState):
    outcome: str = ""
    error: str = ""

    @event
    def verify(self):
        self.outcome = self.error = ""
        token = self.router.url.query_parameters.get("token", "")
        try:
            with session_scope() as s:
                user = accounts.verify_email(s, token)
                self.outcome = f"Thank you — {user.email} is verified."
        except UserError as exc:
            self.error = exc.message


@rx.page(
    route=routes.VERIFY_EMAIL,
    title="Verify your email · LuckyClub",
    on_load=[VerifyEmailState.verify, SessionState.refresh],
)
def verify_email_page() -> rx.Component:
    return auth_card(
        "Email verification",
        success_callout(VerifyEmailState.outcome),
        error_callout(VerifyEmailState.error),
        rx.link("Go to your dashboard", href=routes.DASHBOARD),
    )
