"""The tickets CSV and a member's ledger CSV, opened in a spreadsheet, run nothing: every cell that
a person typed and that starts like a formula (= + - @, a tab, a carriage return) is text."""

from __future__ import annotations

import csv
import io

import pytest
from starlette.testclient import TestClient

from luckyclub.api.routes import build_api
from luckyclub.club import ledger
from luckyclub.models import Role
from luckyclub.platform import accounts
from luckyclub.state.session import SESSION_COOKIE
from tests.db.factories import add_buyer, add_competition, add_open_raffle, add_user
from tests.db.test_competitions import buy

EVIL = '=HYPERLINK("http://evil.example/?x"&"@x.co","Open")'


@pytest.fixture()
def client(app_db):
    with TestClient(build_api(), base_url="http://localhost:3000") as client:
        yield client


def sign_in(client, session, user) -> None:
    token, _ = accounts.start_session(session, user)
    session.commit()
    client.cookies.set(SESSION_COOKIE, token)


def rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text, newline="")))


def test_the_tickets_csv_writes_a_formula_email_as_text(session, client):
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    competition = add_competition(session, admin)
    buy(add_buyer(session, EVIL, display_name="\tAnn"), competition, 1)
    sign_in(client, session, admin)

    [row] = rows(client.get(f"/api/admin/competitions/{competition.id}/tickets.csv"))

    assert row["email"] == "'" + EVIL
    assert row["buyer"] == "'\tAnn"


def test_the_ledger_csv_writes_formula_titles_and_reasons_as_text(session, client):
    raffle = add_open_raffle(session, title="+Prize draw")
    member = add_user(session, "ann@example.com")
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    ledger.grant(
        session, admin, raffle_id=raffle.id, user_id=member.id, amount=5, reason="-1+1 @once"
    )
    session.commit()
    sign_in(client, session, member)

    [row] = rows(client.get("/api/me/ledger.csv"))

    assert row["raffle"] == "'+Prize draw"
    assert row["reason"] == "'-1+1 @once"
    assert row["entries"] == "5"
