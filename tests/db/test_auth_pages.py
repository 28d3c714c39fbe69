"""The join, sign-in, reset and profile pages' states, driven as a browser tab drives them."""

from __future__ import annotations

import pytest
from passlib.hash import argon2

from luckyclub.core import security
from luckyclub.pages.account.auth import (
    JOINED,
    RESET_SENT,
    ForgotPasswordState,
    LoginState,
    RegisterState,
)
from luckyclub.pages.account.profile import ProfileState
from luckyclub.platform import accounts, throttle
from tests.db.reflex_state import finish, state_for_tab

PASSWORD = "a long and unusual phrase"


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    """argon2id at its lowest cost: these tests are about the pages, not the hash."""
    monkeypatch.setattr(
        security, "_hasher", argon2.using(type="ID", memory_cost=8, rounds=1, parallelism=1)
    )
    security._dummy_hash.cache_clear()
    yield
    security._dummy_hash.cache_clear()


@pytest.fixture()
def member(session):
    user = accounts.register(
        session,
        email="ann@example.com",
        password=PASSWORD,
        display_name="Ann",
        date_of_birth="1990-04-21",
        timezone="Europe/London",
        client_ip="192.0.2.1",
    )
    session.commit()
    return user


def behind_nginx(state_cls, client: str):
    """A tab whose websocket came through Nginx: the peer is the proxy, the client is forwarded."""
    return state_for_tab(
        state_cls,
        client_ip="127.0.0.1",
        headers={"x-forwarded-for": f"10.66.66.66, {client}"},  # the first entry is spoofed
    )


def test_behind_nginx_each_client_address_has_its_own_sign_in_count(settings_env, member):
    settings_env(TRUSTED_PROXY_HOPS="1")
    guesser = behind_nginx(LoginState, "203.0.113.66")
    for n in range(throttle.SIGN_IN_ADDRESS.free + 1):
        finish(LoginState.sign_in, guesser, {"email": f"guess{n}@example.com", "password": "guess"})
    assert "Too many failed sign-in attempts" in guesser.error

    ann = behind_nginx(LoginState, "198.51.100.7")
    finish(LoginState.sign_in, ann, {"email": member.email, "password": PASSWORD})

    assert ann.error == ""


def join_form(email: str) -> dict:
    return {
        "email": email,
        "password": PASSWORD,
        "display_name": "Newcomer",
        "date_of_birth": "1990-04-21",
        "timezone": "Europe/London",
    }


def test_the_join_page_refuses_one_sign_up_too_many_from_an_address_with_a_sentence(app_db):
    tab = state_for_tab(RegisterState, client_ip="203.0.113.9")
    for n in range(throttle.SIGN_UP_ADDRESS.free):
        finish(RegisterState.register, tab, join_form(f"newcomer{n}@example.com"))
        assert tab.error == ""

    finish(RegisterState.register, tab, join_form("one.more@example.com"))

    assert tab.error.startswith("Too many accounts were made from your network just now.")


def test_the_forgotten_password_page_says_when_to_ask_again(member):
    tab = state_for_tab(ForgotPasswordState, client_ip="203.0.113.9")
    for _ in range(throttle.RESET_EMAIL.free):
        finish(ForgotPasswordState.request_reset, tab, {"email": member.email})
        assert (tab.sent, tab.error) == (RESET_SENT, "")

    finish(ForgotPasswordState.request_reset, tab, {"email": member.email})

    assert tab.sent == ""
    assert tab.error.startswith("We have just sent several reset links to that address.")


def test_joining_with_a_members_email_gets_the_same_answer_as_a_new_address(member):
    newcomer = state_for_tab(RegisterState, client_ip="203.0.113.9")
    finish(RegisterState.register, newcomer, join_form("newcomer@example.com"))
    copycat = state_for_tab(RegisterState, client_ip="203.0.113.10")
    finish(RegisterState.register, copycat, join_form(member.email))

    assert (copycat.error, copycat.joined) == (newcomer.error, newcomer.joined) == ("", JOINED)
    assert not copycat.signed_in


def test_the_profile_refuses_one_password_guess_too_many(session, member):
    token, _ = accounts.start_session(session, member)
    session.commit()
    tab = state_for_tab(ProfileState, session_token=token)
    wrong = {"current_password": "a guess", "new_password": "x" * 12, "confirm_password": "x" * 12}
    for _ in range(throttle.SIGN_IN_ACCOUNT.free):
        finish(ProfileState.change_password, tab, wrong)
        assert tab.error == "Your current password is not correct."

    finish(ProfileState.change_email, tab, {"new_email": "ann@new.example", "password": PASSWORD})

    assert tab.error.startswith("Too many wrong passwords. Wait")
    assert tab.saved == ""
