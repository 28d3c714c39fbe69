"""The HTTP routes that own the session cookie, and the health check, through a real ASGI client."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from luckyclub.api.routes import build_api
from luckyclub.models import AuthSession, Role, User
from luckyclub.platform import accounts, members
from luckyclub.state.session import SESSION_COOKIE
from tests.db.factories import add_user


@pytest.fixture()
def client(app_db):
    with TestClient(build_api()) as client:
        yield client


@pytest.fixture()
def member(session) -> User:
    return add_user(session, "ann@example.com")


def login_ticket(session, user: User) -> str:
    ticket = accounts.issue_login_ticket(session, user)
    session.commit()
    return ticket


def signed_in_user(app_db, token: str | None) -> User | None:
    """Who the token signs in, read in a fresh transaction (the API committed in its own)."""
    with Session(app_db) as s:
        return accounts.user_for_session(s, token)


def set_cookie_attributes(response) -> dict[str, str]:
    [header] = response.headers.get_list("set-cookie")
    name_value, *attributes = (part.strip() for part in header.split(";"))
    name, value = name_value.split("=", 1)
    parsed = {"name": name, "value": value}
    for attribute in attributes:
        key, _, val = attribute.partition("=")
        parsed[key.lower()] = val or "true"
    return parsed


def test_a_valid_login_ticket_sets_an_httponly_session_cookie(client, session, member, app_db):
    response = client.post("/api/auth/session", json={"ticket": login_ticket(session, member)})

    assert response.status_code == 200 and response.json() == {"ok": True}
    cookie = set_cookie_attributes(response)
    assert cookie["name"] == SESSION_COOKIE
    assert cookie["httponly"] == "true"
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert "expires" in cookie
    assert signed_in_user(app_db, cookie["value"]).id == member.id


def test_a_used_login_ticket_is_refused_with_a_sentence(client, session, member):
    ticket = login_ticket(session, member)
    client.post("/api/auth/session", json={"ticket": ticket})

    response = client.post("/api/auth/session", json={"ticket": ticket})

    assert response.status_code == 400
    assert response.json() == {"message": "This sign-in has expired. Please sign in again."}
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("body", [{"ticket": "made-up"}, {}, {"ticket": None}])
def test_an_invalid_login_ticket_is_refused_with_a_sentence(client, member, body):
    response = client.post("/api/auth/session", json=body)

    assert response.status_code == 400
    assert "sign in again" in response.json()["message"]


@pytest.mark.parametrize("content", [b"{not json", b'["a list"]', b"\xff\xfe"])
def test_a_malformed_body_is_refused_with_a_sentence(client, content):
    response = client.post(
        "/api/auth/session", content=content, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json() == {"message": 'Send JSON like {"ticket": "..."}.'}


def test_a_cross_site_sign_in_is_refused_and_leaves_the_ticket_unused(
    client, session, member, app_db
):
    ticket = login_ticket(session, member)

    response = client.post(
        "/api/auth/session", json={"ticket": ticket}, headers={"origin": "https://evil.example"}
    )

    assert response.status_code == 403
    assert response.json()["message"] == "Sign in from LuckyClub's own pages."
    assert "set-cookie" not in response.headers
    same_site = client.post(
        "/api/auth/session", json={"ticket": ticket}, headers={"origin": "http://testserver"}
    )
    assert same_site.status_code == 200


@pytest.mark.parametrize(("hops", "recorded"), [("0", "testclient"), ("1", "203.0.113.5")])
def test_a_new_session_records_the_client_address_the_trusted_proxy_forwarded(
    settings_env, client, session, member, app_db, hops, recorded
):
    settings_env(TRUSTED_PROXY_HOPS=hops)

    client.post(
        "/api/auth/session",
        json={"ticket": login_ticket(session, member)},
        headers={"x-forwarded-for": "10.66.66.66, 203.0.113.5"},  # the first entry is spoofed
    )

    with Session(app_db) as s:
        assert s.exec(select(AuthSession.client_ip)).one() == recorded


def test_a_banned_members_ticket_is_refused(client, session, member):
    ticket = login_ticket(session, member)
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    members.ban(session, admin, member.id, "Spam")
    session.commit()

    response = client.post("/api/auth/session", json={"ticket": ticket})

    assert response.status_code == 400
    assert "suspended" in response.json()["message"]


def test_signing_out_ends_the_session_and_clears_the_cookie(client, session, member, app_db):
    client.post("/api/auth/session", json={"ticket": login_ticket(session, member)})
    token = client.cookies[SESSION_COOKIE]
    assert signed_in_user(app_db, token).id == member.id

    response = client.post("/api/auth/logout")

    assert response.status_code == 200
    assert signed_in_user(app_db, token) is None
    cleared = set_cookie_attributes(response)
    assert cleared["name"] == SESSION_COOKIE and cleared["value"] in ("", '""')
    assert cleared["max-age"] == "0" and cleared["path"] == "/"
    assert SESSION_COOKIE not in client.cookies


def test_a_cross_site_sign_out_is_refused_and_the_session_lives_on(client, session, member, app_db):
    client.post("/api/auth/session", json={"ticket": login_ticket(session, member)})
    token = client.cookies[SESSION_COOKIE]

    response = client.post("/api/auth/logout", headers={"origin": "https://evil.example"})

    assert response.status_code == 403
    assert signed_in_user(app_db, token).id == member.id


def test_signing_out_without_a_session_still_answers_ok(client):
    response = client.post("/api/auth/logout")

    assert response.status_code == 200


def test_health_reports_the_app_and_database_up(client):
    response = client.get("/api/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"
    assert response.json()["payments"].startswith("test mode")
    assert response.headers["cache-control"] == "no-store"
