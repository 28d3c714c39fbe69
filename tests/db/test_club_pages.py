"""The raffle club's own HTTP routes and admin handlers, driven as a browser would drive them."""

from __future__ import annotations

import csv
import io

import pytest
from PIL import Image
from sqlmodel import Session
from starlette.testclient import TestClient

from luckyclub.api.routes import build_api
from luckyclub.club import ledger, raffles
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.models import Raffle, RaffleStatus, Role
from luckyclub.pages.admin.raffles import RafflesAdminState
from luckyclub.platform import accounts
from luckyclub.state.session import SESSION_COOKIE
from tests.db.factories import add_member, add_open_raffle, add_user
from tests.db.reflex_state import finish, state_for_tab


def signed_in(session, user) -> str:
    token, _ = accounts.start_session(session, user)
    session.commit()
    return token


@pytest.fixture()
def client(app_db):
    with TestClient(build_api(), base_url="http://localhost:3000") as client:
        yield client


def test_a_member_downloads_their_own_ledger_as_csv_and_a_visitor_gets_401(session, client):
    raffle = add_open_raffle(session)
    member, other = add_user(session, "ann@example.com"), add_user(session, "bob@example.com")
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    ledger.grant(session, admin, raffle_id=raffle.id, user_id=member.id, amount=5, reason="=HACK()")
    ledger.grant(session, admin, raffle_id=raffle.id, user_id=other.id, amount=7, reason="Other")
    session.commit()

    assert client.get("/api/me/ledger.csv").status_code == 401
    client.cookies.set(SESSION_COOKIE, signed_in(session, member))
    response = client.get("/api/me/ledger.csv")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["source"], r["entries"], r["raffle_month"]) for r in rows] == [
        ("admin", "5", raffle.month)
    ]
    assert rows[0]["reason"] == "'=HACK()"  # a spreadsheet shows it, never runs it


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_prize_picture_is_public_once_the_raffle_is_open_and_never_a_pdf(
    session, client, monkeypatch, tmp_path
):
    import dataclasses

    settings = dataclasses.replace(get_settings(), data_dir=tmp_path)
    monkeypatch.setattr(raffles, "get_settings", lambda: settings)
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    raffle = add_open_raffle(session, status=RaffleStatus.DRAFT)

    raffles.set_image(
        session, admin, raffle.id, filename="prize.png", data=_png(), claimed_type="image/png"
    )
    session.commit()
    assert client.get(f"/api/raffles/{raffle.id}/image").status_code == 404  # still a draft

    raffle.status = RaffleStatus.OPEN
    session.commit()
    response = client.get(f"/api/raffles/{raffle.id}/image")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert (tmp_path / "raffle-images" / raffle.image_name).exists()

    with pytest.raises(UserError, match="is not a PNG, JPEG or WebP image"):
        raffles.set_image(
            session,
            admin,
            raffle.id,
            filename="prize.pdf",
            data=b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
            claimed_type="application/pdf",
        )
    assert client.get("/api/raffles/nope/image").status_code in (400, 404)


def test_an_admin_grants_entries_through_the_console_and_a_removal_below_zero_is_explained(
    app_db, session
):
    raffle = add_open_raffle(session)
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    member = add_user(session, "ann@example.com")
    state = state_for_tab(RafflesAdminState, session_token=signed_in(session, admin))
    form = {"member_email": "ANN@example.com", "raffle_id": str(raffle.id), "reason": "Helped out"}

    finish(RafflesAdminState.grant_entries, state, {**form, "amount": "4"})
    finish(RafflesAdminState.grant_entries, state, {**form, "amount": "-9"})

    assert "has 4 entries in this raffle, so at most 4 can be removed" in state.error
    with Session(app_db) as s:
        assert ledger.balance(s, raffle.id, member.id) == 4


def test_an_admin_opens_a_draft_raffle_from_the_console(app_db, session):
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    draft = add_open_raffle(session, status=RaffleStatus.DRAFT)
    add_member(session, "ann@example.com")
    state = state_for_tab(RafflesAdminState, session_token=signed_in(session, admin))

    finish(RafflesAdminState.open_for_entries, state, draft.id)

    assert state.notice == f"{draft.title} is open; 1 member got their base entries."
    with Session(app_db) as s:
        assert s.get(Raffle, draft.id).status == RaffleStatus.OPEN


def test_the_stats_chart_names_sources_in_words_and_keeps_removals_negative(app_db, session):
    from luckyclub.pages.admin.stats import StatsState

    admin = add_user(session, "admin@example.com", Role.ADMIN)
    raffle = add_open_raffle(session)
    member = add_user(session, "ann@example.com")
    ledger.grant(session, admin, raffle_id=raffle.id, user_id=member.id, amount=5, reason="Gift")
    ledger.grant(session, admin, raffle_id=raffle.id, user_id=member.id, amount=-2, reason="Oops")
    session.commit()
    state = state_for_tab(StatsState, session_token=signed_in(session, admin))

    finish(StatsState.load, state)

    today = state.per_day[-1]
    assert today["Granted by an admin"] == 5 and today["Correction"] == -2
    assert "carry_over" not in today and today["Carried over"] == 0  # the legend's words
    assert state.entries_30_days == 3
