"""The API answers JSON sentences whatever goes wrong: every route is wrapped, and with the database
unreachable (a closed port) each answers 503 with a sentence, never a plain-text 500."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from luckyclub.api.responses import DATABASE_UNAVAILABLE
from luckyclub.api.routes import build_api
from luckyclub.core import db
from luckyclub.state.session import SESSION_COOKIE

NOBODY_LISTENS = "postgresql+psycopg://postgres@127.0.0.1:9/luckyclub"


def test_every_api_route_turns_failures_into_json_sentences():
    routes = build_api().routes
    assert [r.path for r in routes if not getattr(r.endpoint, "json_errors", False)] == []


@pytest.fixture()
def database_down():
    db.use_database(NOBODY_LISTENS)
    yield
    db.use_database(None)
    db._engines.pop(NOBODY_LISTENS).dispose()


@pytest.mark.parametrize(
    "path",
    [
        "/api/proofs/5/file",
        "/api/me/ledger.csv",
        "/api/raffles/5/image",
        "/api/competitions",
        "/api/draws/5/proof",
        "/api/tickets/user?competitionId=5",
    ],
)
def test_with_the_database_unreachable_a_route_answers_a_json_503(database_down, path):
    with TestClient(build_api(), raise_server_exceptions=False) as client:
        response = client.get(path, headers={"cookie": f"{SESSION_COOKIE}=some-session"})

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert list(response.json().values()) == [DATABASE_UNAVAILABLE]
