"""A draw's proof and snapshot over HTTP, and `python -m luckyclub verify` on a file and a URL."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from luckyclub import cli
from luckyclub.api.routes import build_api
from luckyclub.services import draws
from tests.db.test_draws import close_then_draw, raffle_with_entries
from tests.served import serve_api

pytestmark = pytest.mark.usefixtures("relays")  # the recorded drand round, on a local relay


@pytest.fixture()
def client(app_db):
    with TestClient(build_api()) as client:
        yield client


@pytest.fixture()
def served_api(app_db):
    """The API on a real port, for the verifier to fetch from like anyone would."""
    with serve_api() as url:
        yield url


def test_the_proof_is_published_once_drawn_and_the_snapshot_once_closed(session, client):
    raffle, _ = raffle_with_entries(session, {"ann@example.com": 4, "bob@example.com": 6})
    draw = draws.draw_for_raffle(session, raffle.id)

    early = client.get(f"/api/draws/{draw.id}/proof")
    assert early.status_code == 404 and "published once it is drawn" in early.json()["error"]
    assert client.get(f"/api/draws/{draw.id}/snapshot").status_code == 404

    close_then_draw()
    snapshot = client.get(f"/api/draws/{draw.id}/snapshot?download=1")
    proof = client.get(f"/api/draws/{draw.id}/proof")

    assert snapshot.status_code == 200 and snapshot.text.count("\n") == 2
    assert "attachment" in snapshot.headers["content-disposition"]
    assert proof.status_code == 200 and proof.json()["snapshot"] == snapshot.text
    assert proof.json()["seed"] == draw.seed
    assert client.get(f"/api/draws/{draw.id}/proof?reroll=1").status_code == 404
    assert client.get(f"/api/draws/{draw.id}/proof?reroll=x").status_code == 400
    assert client.get("/api/draws/999/proof").status_code == 404


def test_verify_says_verified_for_a_file_and_names_what_differs(session, client, tmp_path, capsys):
    raffle, _ = raffle_with_entries(session, {"ann@example.com": 4, "bob@example.com": 6})
    close_then_draw()
    draw = draws.draw_for_raffle(session, raffle.id)
    proof = client.get(f"/api/draws/{draw.id}/proof").json()
    good, bad = tmp_path / "proof.json", tmp_path / "tampered.json"
    good.write_text(json.dumps(proof))
    bad.write_text(json.dumps(proof | {"seed": "00" * 32}))

    assert cli.main(["verify", str(good)]) == 0
    assert "verified: luckyclub-draw-v1, drand round 1000" in capsys.readouterr().out
    assert cli.main(["verify", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "not verified" in out and "commitment does not match the seed" in out
    assert cli.main(["verify", str(tmp_path / "missing.json")]) == 2


def test_verify_fetches_the_proof_from_a_url_or_the_draw_page_address(session, served_api, capsys):
    raffle, _ = raffle_with_entries(session, {"ann@example.com": 4, "bob@example.com": 6})
    close_then_draw()
    draw = draws.draw_for_raffle(session, raffle.id)

    assert cli.main(["verify", f"{served_api}/api/draws/{draw.id}/proof"]) == 0
    assert cli.main(["verify", f"{served_api}/draws/{draw.id}"]) == 0
    assert capsys.readouterr().out.count("verified:") == 2
    assert cli.main(["verify", f"{served_api}/api/draws/{draw.id + 1}/proof"]) == 2
    assert "404" in capsys.readouterr().err


def test_a_draw_not_yet_closed_gives_no_proof_and_keeps_the_seed_secret(session, client):
    raffle, _ = raffle_with_entries(session, {"ann@example.com": 4})
    draw = draws.draw_for_raffle(session, raffle.id)
    assert draw.closed_at is None
    body = client.get(f"/api/draws/{draw.id}/proof").text
    assert draw.seed not in body


@pytest.mark.parametrize(
    "path",
    [
        "/api/draws/{id}/proof",
        "/api/draws/{id}/snapshot",
        "/api/draws/1/proof?reroll={id}",
        "/api/winners/{id}/media",
    ],
)
def test_an_id_too_large_for_the_database_is_a_json_404_and_a_word_a_json_400(client, path):
    for id_, status in (("9" * 20, 404), (str(2**31), 404), ("0", 404), ("abc", 400), ("²", 400)):
        if "reroll" in path and status == 404:
            continue  # a reroll is 0 or more; which exist is asked of the draw, not the database
        response = client.get(path.format(id=id_))
        assert response.status_code == status, (path, id_)
        assert response.headers["content-type"] == "application/json"
        assert list(response.json()) == ["error"]


def test_a_draw_proof_for_no_such_draw_or_reroll_says_so(session, client):
    raffle, _ = raffle_with_entries(session, {"ann@example.com": 4})
    close_then_draw()
    draw = draws.draw_for_raffle(session, raffle.id)

    assert client.get("/api/draws/999/proof").json() == {"error": "There is no such draw."}
    too_far = client.get(f"/api/draws/{draw.id}/proof?reroll={'9' * 20}")
    assert too_far.status_code == 404 and "no such reroll" in too_far.json()["error"]
