"""A list's signups as CSV: its creator, editors and admins get every signup, waitlist place and
lottery entry (cells that look like formulas written as text); anyone else gets a sentence."""

from __future__ import annotations

import csv
import io

import pytest
from starlette.testclient import TestClient

from luckyclub.api.routes import build_api
from luckyclub.core import routes
from luckyclub.lotteries import family, signups
from luckyclub.models import Role
from luckyclub.platform import accounts
from luckyclub.state.session import SESSION_COOKIE
from tests.db.signup_lists import (  # noqa: F401 - lottery_pool: a fixture every test uses
    add_person,
    elements_of,
    lottery_pool,
    make_list,
    self_of,
)


@pytest.fixture()
def client(app_db):
    with TestClient(build_api(), base_url="http://localhost:3000") as client:
        yield client


def sign_in(client, session, user) -> None:
    token, _ = accounts.start_session(session, user)
    session.commit()
    client.cookies.set(SESSION_COOKIE, token)


@pytest.fixture()
def bake_sale(session):
    ann = add_person(session, "ann@example.com")
    bob = add_person(session, "bob@example.com", display_name="=HYPERLINK(1)")
    made = make_list(
        session, ann, items=(("Cake", 1), ("Tea", 2)), waitlist=True, editors=["bob@example.com"]
    )
    cake, tea = elements_of(session, made)
    kim = family.add(session, ann, "Kim")
    signups.sign_up(session, ann, cake.id, kim.id)
    signups.join_waitlist(session, bob, cake.id, self_of(session, bob).id)
    signups.sign_up(session, bob, tea.id, self_of(session, bob).id)
    session.commit()
    return ann, bob, made


def test_the_lists_editors_export_every_signup_and_place(session, client, bake_sale):
    ann, bob, made = bake_sale
    sign_in(client, session, bob)

    response = client.get(routes.list_export(made.id))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "private, no-store"
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    assert [
        (r["element"], r["family_member"], r["account"], r["status"], r["waitlist_position"])
        for r in rows
    ] == [
        ("Cake", "Kim", "Ann", "confirmed", ""),
        ("Cake", "'=HYPERLINK(1)", "'=HYPERLINK(1)", "waitlist", "1"),
        ("Tea", "'=HYPERLINK(1)", "'=HYPERLINK(1)", "confirmed", ""),
    ]
    assert "@example.com" not in response.text  # names only


def test_nobody_else_exports_a_list(session, client, bake_sale):
    _, _, made = bake_sale
    assert client.get(routes.list_export(made.id)).status_code == 401
    sign_in(client, session, add_person(session, "eve@example.com"))
    refused = client.get(routes.list_export(made.id))
    assert refused.status_code == 403
    assert refused.json() == {"error": "Only this list's creator and its editors can do that."}
    assert client.get(routes.list_export(made.id + 1)).status_code == 404
    assert client.get("/api/lists/abc/signups.csv").status_code == 400

    sign_in(client, session, add_person(session, "admin@example.com", role=Role.ADMIN))
    assert client.get(routes.list_export(made.id)).status_code == 200
