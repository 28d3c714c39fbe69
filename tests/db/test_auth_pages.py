"""The join, sign-in, reset and profile pages' states, driven as a browser tab drives them."""

from __future__ import annotations

import pytest
from passlib.hash import argon2

from luckyclub import security
from luckyclub.pages.auth import LoginState
from luckyclub.services import accounts, throttle
from tests.db.reflex_state import state_for_tab

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
        LoginState.sign_in.fn(guesser, {"email": f"guess{n}@example.com", "password": "guess"})
    assert "Too many failed sign-in attempts" in guesser.error

    ann = behind_nginx(LoginState, "198.51.100.7")
    LoginState.sign_in.fn(ann, {"email": member.email, "password": PASSWORD})

    assert ann.error == ""
