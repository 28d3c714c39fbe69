"""Buttons whose action takes a moment (Sign in, Create account, Save, Pay) show that it runs: the
state's flag is on from the first update until the work, done off the event loop, is over."""

from __future__ import annotations

from sqlmodel import select

from luckyclub.models import OutboxMessage, User
from luckyclub.pages.account.auth import (
    JOINED,
    RESET_SENT,
    ForgotPasswordState,
    LoginState,
    RegisterState,
    ResetPasswordState,
)
from luckyclub.pages.account.profile import ProfileState
from luckyclub.platform import accounts
from luckyclub.platform.mail import links_in
from tests.db.reflex_state import run_busy, state_for_tab

PASSWORD = "correct horse battery"


def joined(session, email="ann@example.com") -> User:
    user = accounts.register(
        session,
        email=email,
        password=PASSWORD,
        display_name="Ann",
        date_of_birth="1990-04-21",
        timezone="Europe/London",
        client_ip="203.0.113.5",
    )
    session.commit()
    return user


def test_sign_in_shows_its_button_busy_and_then_signs_in(session):
    joined(session)
    state = state_for_tab(LoginState, path="/login")

    sent = run_busy(LoginState.sign_in, state, {"email": "ann@example.com", "password": PASSWORD})

    assert state.error == "" and "/api/auth/session" in str(sent)


def test_a_wrong_password_clears_the_busy_button_and_says_so(session):
    joined(session)
    state = state_for_tab(LoginState, path="/login")

    sent = run_busy(LoginState.sign_in, state, {"email": "ann@example.com", "password": "nope"})

    assert sent is None and state.error != ""


def test_a_second_click_while_signing_in_does_nothing(session):
    joined(session)
    state = state_for_tab(LoginState, path="/login")
    state.busy = True  # the first click's work still runs

    assert run_busy(LoginState.sign_in, state, {"email": "ann@example.com"}) is None
    assert state.busy is True and state.error == ""


def test_create_account_shows_its_button_busy(session):
    state = state_for_tab(RegisterState, path="/register")
    form = {
        "email": "bob@example.com",
        "password": PASSWORD,
        "display_name": "Bob",
        "date_of_birth": "1990-04-21",
        "timezone": "Europe/London",
    }

    sent = run_busy(RegisterState.register, state, form)

    # Joining answers alike for new and known emails, so it signs nobody in (item 28).
    assert state.error == "" and state.joined == JOINED and sent is None
    assert session.exec(select(User).where(User.email == "bob@example.com")).one()


def test_save_profile_shows_its_button_busy(session):
    ann = joined(session)
    token, _ = accounts.start_session(session, ann)
    session.commit()
    state = state_for_tab(ProfileState, path="/profile", session_token=token)

    run_busy(
        ProfileState.save_profile,
        state,
        {"display_name": "Ann B", "timezone": "Europe/Paris"},
        flag="saving_profile",
    )

    assert (state.error, state.saved) == ("", "Your profile is saved.")


def test_asking_for_a_reset_link_and_choosing_the_password_run_behind_a_busy_button(session):
    ann = joined(session)
    tab = state_for_tab(ForgotPasswordState, path="/forgot-password")
    run_busy(ForgotPasswordState.request_reset, tab, {"email": ann.email})
    assert tab.error == "" and tab.sent == RESET_SENT

    reset = session.exec(select(OutboxMessage).where(OutboxMessage.to_address == ann.email)).all()[
        -1
    ]
    token = next(link for link in links_in(reset.text_body) if "token=" in link).split("token=")[1]
    page = state_for_tab(ResetPasswordState, path=f"/reset-password?token={token}")
    form = {"password": "a brand new phrase here", "confirm_password": "a brand new phrase here"}
    run_busy(ResetPasswordState.choose_password, page, form)
    assert page.error == "" and "has been changed" in page.done
