"""A member's profile: name, timezone, mobile number, email, password, responsible play."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from luckyclub.competitions import responsible_play
from luckyclub.competitions.catalogue import money
from luckyclub.competitions.responsible_play import PlayStatus, format_pounds
from luckyclub.components.account import timezone_select
from luckyclub.components.layout import error_callout, field, form, page, success_callout
from luckyclub.core import routes
from luckyclub.core.db import Session, session_scope
from luckyclub.core.errors import UserError
from luckyclub.core.words import when
from luckyclub.models import User
from luckyclub.platform import accounts
from luckyclub.state.busy import shows_busy
from luckyclub.state.events import event
from luckyclub.state.session import SessionState

Change = Callable[[Session, User], object]  # a member's change, made in one transaction


class ProfileState(SessionState):
    display_name: str = ""
    timezone: str = "UTC"
    phone: str = ""
    error: str = ""
    saved: str = ""
    saving_profile: bool = False
    changing_email: bool = False
    changing_password: bool = False

    @event
    def load(self):
        with session_scope() as s:
            user = self._current_user(s)
            if user is not None:
                self.display_name = user.display_name
                self.timezone = user.timezone
                self.phone = user.phone or ""

    @event
    def set_timezone(self, value: str):
        self.timezone = value

    def _apply(self, change: Change, success: str) -> None:
        def change_and_show(s: Session, user: User) -> None:
            change(s, user)
            self._show(user)

        self.saved = ""
        self.error = _as_member(self, change_and_show)
        if not self.error:
            self.saved = success

    @event
    @shows_busy("saving_profile")
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

    @event
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

    @event
    @shows_busy("changing_email")
    def change_email(self, form: dict):
        self._apply(
            lambda s, user: accounts.change_email(
                s,
                user,
                new_email=form.get("new_email", ""),
                password=form.get("password", ""),
                client_ip=self._client_ip(),
            ),
            "Your email address is changed. We sent a verification link to the new address.",
        )

    @event
    @shows_busy("changing_password")
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
                client_ip=self._client_ip(),
            ),
            "Your password is changed. Every other browser has been signed out.",
        )


class PlayState(SessionState):
    """The "Responsible play" card: the monthly limit, this month's spend, and breaks."""

    limit_text: str = ""  # "£50"; empty: no limit
    limit_input: str = ""  # the form's starting value, in pounds: "50"
    spent_text: str = "£0.00"
    left_text: str = ""
    spent_percent: int = 0  # rx.progress wants a whole number
    pending_text: str = ""  # a raise or removal waiting for its 24 hours, as a sentence
    excluded_until_text: str = ""  # the end of a running break, in the member's timezone
    break_months: str = "6"
    break_end_text: str = ""  # when the break being confirmed would end
    confirming_break: bool = False
    limit_error: str = ""
    limit_saved: str = ""
    break_error: str = ""
    break_saved: str = ""

    @event
    def load(self):
        self._clear_messages()  # the state outlives a visit to another page
        self.confirming_break = False
        with session_scope() as s:  # commits a raise that has come due
            user = self._current_user(s)
            if user is not None:
                self._show_play(responsible_play.status(s, user), user.timezone)

    @event
    def save_limit(self, form: dict):
        saved = ""

        def change(s: Session, user: User) -> None:
            nonlocal saved
            wanted = responsible_play.parse_limit(form.get("monthly_limit", ""))
            play = responsible_play.set_monthly_limit(s, user, wanted)
            self._show_play(play, user.timezone)
            saved = _limit_saved_message(wanted, play)

        self._clear_messages()
        self.limit_error = _as_member(self, change)
        self.limit_saved = "" if self.limit_error else saved

    @event
    def review_break(self, form: dict):
        """The first step of a break: show when it would end, and ask again."""

        def change(s: Session, user: User) -> None:
            months = responsible_play.check_break_months(form.get("months", ""))
            ends = responsible_play.preview_break(s, user, months)
            self.break_end_text = when(ends, user.timezone)
            self.break_months = str(months)

        self._clear_messages()
        self.break_error = _as_member(self, change)
        self.confirming_break = not self.break_error

    @event
    def cancel_break(self):
        self.confirming_break = False
        self.break_error = ""

    @event
    def confirm_break(self):
        def change(s: Session, user: User) -> None:
            play = responsible_play.self_exclude(s, user, self.break_months)
            self._show_play(play, user.timezone)

        self._clear_messages()
        self.break_error = _as_member(self, change)
        self.confirming_break = False
        if not self.break_error:
            self.break_saved = (
                f"Your break has started. You cannot enter competitions until "
                f"{self.excluded_until_text}."
            )

    def _clear_messages(self) -> None:
        # One answer at a time: an old refusal beside a new success would confuse.
        self.limit_error = self.limit_saved = self.break_error = self.break_saved = ""

    def _show_play(self, play: PlayStatus, timezone: str) -> None:
        limit, spent = play.monthly_limit_pence, play.spent_this_month_pence
        self.limit_text = format_pounds(limit) if limit is not None else ""
        self.limit_input = str(limit // 100) if limit is not None else ""
        self.spent_text = money(spent)
        left = play.left_this_month_pence
        self.left_text = money(left) if left is not None else ""
        self.spent_percent = min(100, spent * 100 // limit) if limit else 0
        self.pending_text = _pending_sentence(play, timezone)
        until = play.excluded_until
        self.excluded_until_text = when(until, timezone) if until else ""


def _as_member(state: SessionState, change: Change) -> str:
    """Run `change` for the signed-in member in one transaction: "" when it is saved, or the
    sentence it was refused with (nothing is saved then)."""
    try:
        with session_scope() as s:
            change(s, state._require_user(s))
    except UserError as exc:
        return exc.message
    return ""


def _pending_sentence(play: PlayStatus, timezone: str) -> str:
    if play.pending_from is None:
        return ""
    starts = when(play.pending_from, timezone)
    if play.pending_no_limit:
        return f"Your limit will be removed on {starts}. Until then it stays as it is."
    return (
        f"Your limit will rise to {format_pounds(play.pending_limit_pence or 0)} on {starts}. "
        "Until then it stays as it is."
    )


def _limit_saved_message(wanted: int | None, play: PlayStatus) -> str:
    if wanted is not None and play.monthly_limit_pence == wanted:
        return f"Your monthly limit is now {format_pounds(wanted)}."
    if wanted is None and play.monthly_limit_pence is None:
        return "You have no monthly limit."
    return (
        "Saved. A higher limit, or no limit, starts 24 hours after you ask for it; "
        "until then your current limit stays."
    )


def _section(title: str, form: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4", as_="h2"), form, spacing="3", width="100%"),
        width="100%",
    )


# ---- responsible play ------------------------------------------------------------------------

HELP_LINKS = (
    ("BeGambleAware", "https://www.begambleaware.org"),
    ("GamCare", "https://www.gamcare.org.uk"),
)


def _spend_this_month() -> rx.Component:
    return rx.cond(
        PlayState.limit_text != "",
        rx.vstack(
            rx.text(
                "Your monthly limit is ",
                rx.text.strong(PlayState.limit_text),
                ". This month you have spent ",
                rx.text.strong(PlayState.spent_text),
                " and have ",
                rx.text.strong(PlayState.left_text),
                " left.",
                size="2",
            ),
            rx.progress(
                value=PlayState.spent_percent,
                max=100,
                width="100%",
                aria_label="Share of your monthly limit spent this month",
            ),
            spacing="2",
            width="100%",
        ),
        rx.text(
            "You have no monthly limit. This month you have spent ",
            rx.text.strong(PlayState.spent_text),
            ".",
            size="2",
        ),
    )


def _limit_form() -> rx.Component:
    return form(
        field(
            "Monthly spend limit (£)",
            "monthly_limit",
            input_mode="numeric",
            placeholder="No limit",
            default_value=PlayState.limit_input,
            key=PlayState.limit_input,
            aria_describedby="monthly_limit_hint",
        ),
        rx.text(
            f"Whole pounds, from {format_pounds(responsible_play.MIN_LIMIT_PENCE)} to "
            f"{format_pounds(responsible_play.MAX_LIMIT_PENCE)}; leave it empty for no limit. "
            "A lower limit applies at once; a higher one, or no limit, 24 hours later.",
            id="monthly_limit_hint",
            size="1",
            color_scheme="gray",
        ),
        submit="Save limit",
        on_submit=PlayState.save_limit,
    )


def _break_select() -> rx.Component:
    return rx.vstack(
        rx.el.label(
            "Exclude me for", html_for="months", style={"fontWeight": "500", "fontSize": "0.9rem"}
        ),
        rx.el.select(
            *[
                rx.el.option(words, value=str(months))
                for months, words in responsible_play.BREAK_CHOICES
            ],
            id="months",
            name="months",
            default_value=PlayState.break_months,
            key=PlayState.break_months,
            style={
                "width": "100%",
                "padding": "0.55rem",
                "borderRadius": "var(--radius-3)",
                "border": f"1px solid {rx.color('gray', 7)}",
                "background": rx.color("gray", 1),
                "color": rx.color("gray", 12),
            },
        ),
        spacing="1",
        width="100%",
    )


def _break_confirmation() -> rx.Component:
    return rx.vstack(
        rx.callout(
            rx.text(
                "You will not be able to enter any competition until ",
                rx.text.strong(PlayState.break_end_text),
                ". Once it starts, a break cannot be undone or shortened.",
            ),
            icon="triangle_alert",
            color_scheme="amber",
            width="100%",
        ),
        rx.flex(
            rx.button(
                "Yes, start my break",
                color_scheme="red",
                size="3",
                on_click=PlayState.confirm_break,
            ),
            rx.button("Cancel", variant="soft", size="3", on_click=PlayState.cancel_break),
            spacing="3",
            wrap="wrap",
        ),
        spacing="3",
        width="100%",
    )


def _take_a_break() -> rx.Component:
    return rx.vstack(
        rx.heading("Take a break", size="3", as_="h3"),
        rx.cond(
            PlayState.excluded_until_text != "",
            rx.text(
                "To make your break longer, choose a new length counted from today. It must "
                "end after your current break does.",
                size="2",
            ),
            rx.text(
                "Exclude yourself from every competition for "
                f"{responsible_play.MIN_BREAK_MONTHS} months or more. A break cannot "
                "be undone or shortened while it runs; you can only make it longer.",
                size="2",
            ),
        ),
        error_callout(PlayState.break_error),
        success_callout(PlayState.break_saved),
        rx.cond(
            PlayState.confirming_break,
            _break_confirmation(),
            form(_break_select(), submit="Continue", on_submit=PlayState.review_break),
        ),
        spacing="3",
        width="100%",
    )


def _help_links() -> rx.Component:
    links = [rx.link(name, href=href, is_external=True) for name, href in HELP_LINKS]
    return rx.text(
        "Worried about how much you play? Free, confidential help: ",
        links[0],
        ", ",
        links[1],
        ", or the National Gambling Helpline on 0808 8020 133, day and night.",
        size="2",
    )


def _responsible_play() -> rx.Component:
    return _section(
        "Responsible play",
        rx.vstack(
            rx.text(
                "Competitions are for people aged 18 or over. Set yourself a monthly spend "
                "limit, or take a break, whenever you like.",
                size="2",
            ),
            rx.cond(
                PlayState.excluded_until_text != "",
                rx.callout(
                    rx.text(
                        "You are taking a break from competitions until ",
                        rx.text.strong(PlayState.excluded_until_text),
                        ".",
                    ),
                    icon="pause",
                    color_scheme="blue",
                    role="status",
                    width="100%",
                ),
            ),
            _spend_this_month(),
            rx.cond(
                PlayState.pending_text != "",
                rx.callout(
                    PlayState.pending_text,
                    icon="clock",
                    color_scheme="amber",
                    role="status",
                    width="100%",
                ),
            ),
            error_callout(PlayState.limit_error),
            success_callout(PlayState.limit_saved),
            _limit_form(),
            rx.separator(size="4"),
            _take_a_break(),
            rx.separator(size="4"),
            _help_links(),
            spacing="4",
            width="100%",
        ),
    )


@rx.page(
    route=routes.PROFILE,
    title="Profile · LuckyClub",
    on_load=[SessionState.require_sign_in, ProfileState.load, PlayState.load],
)
def profile_page() -> rx.Component:
    return page(
        rx.vstack(
            rx.heading("Your profile", size="8", as_="h1"),
            error_callout(ProfileState.error),
            success_callout(ProfileState.saved),
            # Two columns from a laptop up: a single narrow column left most of the screen empty.
            rx.grid(
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
                        busy=ProfileState.saving_profile,
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
                        busy=ProfileState.changing_email,
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
                        busy=ProfileState.changing_password,
                        reset_on_submit=True,
                    ),
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="5",
                width="100%",
            ),
            _responsible_play(),
            spacing="5",
            width="100%",
        )
    )
