"""Ids a database row cannot have (3000000000 does not fit PostgreSQL's INTEGER) are refused with
a sentence before the database sees them: on admin pages and in every API route."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
import reflex as rx
from starlette.testclient import TestClient

from luckyclub.api.routes import build_api
from luckyclub.models import Role
from luckyclub.pages.admin.home import AdminState
from luckyclub.pages.admin.raffles import RafflesAdminState
from luckyclub.platform import accounts
from luckyclub.state.club.dashboard import DashboardState
from luckyclub.state.session import SESSION_COOKIE
from tests.db.factories import add_buyer, add_open_raffle, add_user
from tests.db.reflex_state import finish, state_for_tab

TOO_BIG = 3_000_000_000  # past 2**31 - 1
NOT_FOUND = "That record could not be found. Reload the page and try again."


@pytest.fixture()
def admin_token(session) -> str:
    token, _ = accounts.start_session(session, add_user(session, "admin@example.com", Role.ADMIN))
    session.commit()
    return token


@pytest.mark.parametrize("sent", [TOO_BIG, str(TOO_BIG), "1_000", True])
def test_an_admin_handler_given_an_id_no_row_can_have_says_it_was_not_found(admin_token, sent):
    state = state_for_tab(AdminState, session_token=admin_token)

    finish(AdminState.verify_member, state, sent)
    assert state.error == NOT_FOUND

    finish(AdminState.ban_member, state, {"user_id": sent, "reason": "Spam"})
    assert state.error == NOT_FOUND


def test_an_admin_raffle_handler_given_a_huge_id_says_it_was_not_found(admin_token):
    state = state_for_tab(RafflesAdminState, session_token=admin_token)

    finish(RafflesAdminState.open_for_entries, state, TOO_BIG)

    assert state.error == NOT_FOUND


def test_a_proof_sent_with_a_huge_kind_id_asks_which_kind_it_is(session):
    add_open_raffle(session)
    token, _ = accounts.start_session(session, add_buyer(session, "ann@example.com"))
    session.commit()
    state = state_for_tab(DashboardState, session_token=token, path="/dashboard")
    state.kind_id = str(TOO_BIG)
    upload = rx.UploadFile(file=io.BytesIO(b"\x89PNG not really"), path=Path("proof.png"))

    asyncio.run(DashboardState.upload_proof.fn(state, [upload]))

    assert state.error == "Choose what your proof shows."


@pytest.mark.parametrize(
    "path",
    [
        f"/api/raffles/{TOO_BIG}/image",
        f"/api/proofs/{TOO_BIG}/file",
        f"/api/draws/{TOO_BIG}/proof",
        f"/api/draws/{TOO_BIG}/snapshot",
        f"/api/competitions/{TOO_BIG}",
        f"/api/competitions/{TOO_BIG}/draw",
        f"/api/winners/{TOO_BIG}/media",
        f"/api/admin/competitions/{TOO_BIG}/tickets.csv",
        f"/api/tickets/user?competitionId={TOO_BIG}",
    ],
)
def test_an_api_route_given_a_huge_id_answers_a_json_404(app_db, admin_token, path):
    with TestClient(build_api(), raise_server_exceptions=False) as client:
        response = client.get(path, headers={"cookie": f"{SESSION_COOKIE}={admin_token}"})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    [sentence] = response.json().values()
    assert sentence.endswith(".")
