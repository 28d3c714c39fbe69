"""A draw's proof and snapshot over HTTP, and `python -m luckyclub verify` on a file and a URL."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from luckyclub import cli
from luckyclub.api.routes import build_api
from luckyclub.club import raffles
from luckyclub.draws import (
    InclusionProof,
    draw_key,
    merkle_root,
    run_draw,
    snapshot_digest,
    snapshot_lines,
)
from luckyclub.draws.merkle import verify_inclusion
from luckyclub.draws.proof import parameters_from_dict, result_to_dict
from luckyclub.platform import draw_public, throttle
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
    draw = raffles.draw_of(session, raffle.id)

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
    draw = raffles.draw_of(session, raffle.id)
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
    draw = raffles.draw_of(session, raffle.id)

    assert cli.main(["verify", f"{served_api}/api/draws/{draw.id}/proof"]) == 0
    assert cli.main(["verify", f"{served_api}/draws/{draw.id}"]) == 0
    assert capsys.readouterr().out.count("verified:") == 2
    assert cli.main(["verify", f"{served_api}/api/draws/{draw.id + 1}/proof"]) == 2
    assert "404" in capsys.readouterr().err


def test_a_draw_not_yet_closed_gives_no_proof_and_keeps_the_seed_secret(session, client):
    raffle, _ = raffle_with_entries(session, {"ann@example.com": 4})
    draw = raffles.draw_of(session, raffle.id)
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
    draw = raffles.draw_of(session, raffle.id)

    assert client.get("/api/draws/999/proof").json() == {"error": "There is no such draw."}
    too_far = client.get(f"/api/draws/{draw.id}/proof?reroll={'9' * 20}")
    assert too_far.status_code == 404 and "no such reroll" in too_far.json()["error"]


def _rewritten(proof: dict, old: str, new: str) -> dict:
    """The proof with one snapshot line changed and its digest and root recomputed to match: it
    is consistent in itself, so only the published snapshot can show the change."""
    snapshot = proof["snapshot"].replace(old, new).encode()
    key = draw_key(bytes.fromhex(proof["seed"]), bytes.fromhex(proof["beacon"]["randomness"]))
    parameters = parameters_from_dict(proof["kind"], proof["parameters"])
    return proof | {
        "snapshot": snapshot.decode(),
        "snapshot_digest": snapshot_digest(snapshot),
        "merkle_root": merkle_root(snapshot_lines(snapshot)),
        "result": result_to_dict(run_draw(key, snapshot, parameters)),
    }


def test_verify_checks_the_published_snapshot_so_a_rewritten_line_is_caught(
    session, served_api, tmp_path, capsys
):
    raffle, users = raffle_with_entries(session, {"ann@example.com": 4, "bob@example.com": 6})
    close_then_draw()
    draw = raffles.draw_of(session, raffle.id)
    ann, _ = raffles.member_ref(session, raffle.id, users["ann@example.com"].id)
    with TestClient(build_api()) as client:
        proof = client.get(f"/api/draws/{draw.id}/proof").json()
        published = client.get(f"/api/draws/{draw.id}/snapshot").content
    rewritten = tmp_path / "rewritten.json"
    rewritten.write_text(json.dumps(_rewritten(proof, f"{ann}\t4", f"{ann}\t5")))
    snapshot_file = tmp_path / "snapshot.txt"
    snapshot_file.write_bytes(published)

    # Alone, the rewritten proof checks out: it is consistent in itself.
    assert cli.main(["verify", str(rewritten)]) == 0
    capsys.readouterr()
    for source in (str(snapshot_file), f"{served_api}/api/draws/{draw.id}/snapshot"):
        assert cli.main(["verify", str(rewritten), "--snapshot", source]) == 1
        out = capsys.readouterr().out
        assert "the published snapshot's SHA-256 is" in out
        assert "not the published snapshot, byte for byte" in out

    good = tmp_path / "good.json"
    good.write_text(json.dumps(proof))
    assert cli.main(["verify", str(good), "--snapshot", str(snapshot_file)]) == 0
    assert "the published snapshot matches" in capsys.readouterr().out
    assert cli.main(["verify", str(good), "--digest", "00" * 32, "--snapshot", str(snapshot_file)])
    assert "the digest published at close is 0000" in capsys.readouterr().out


def test_verify_from_a_url_fetches_the_draws_snapshot_by_itself(session, served_api, capsys):
    raffle, _ = raffle_with_entries(session, {"ann@example.com": 4, "bob@example.com": 6})
    close_then_draw()
    draw = raffles.draw_of(session, raffle.id)

    assert cli.main(["verify", f"{served_api}/draws/{draw.id}"]) == 0
    assert "the published snapshot matches" in capsys.readouterr().out


def test_verify_ref_shows_one_entrants_line_and_checks_the_entries_they_expect(
    session, served_api, capsys
):
    raffle, users = raffle_with_entries(session, {"ann@example.com": 4, "bob@example.com": 6})
    close_then_draw()
    draw = raffles.draw_of(session, raffle.id)
    bob, _ = raffles.member_ref(session, raffle.id, users["bob@example.com"].id)
    url = f"{served_api}/draws/{draw.id}"

    assert cli.main(["verify", url, "--ref", bob.upper(), "--entries", "6"]) == 0
    assert f"{bob} holds 6 entries (line" in capsys.readouterr().out
    assert cli.main(["verify", url, "--ref", bob, "--entries", "7"]) == 1
    assert f"entrant {bob} holds 6 in the snapshot, not the 7 you expected" in (
        capsys.readouterr().out
    )
    assert cli.main(["verify", url, "--ref", "f" * 32]) == 1
    out = capsys.readouterr().out
    assert f"{'f' * 32} is not in the snapshot" in out and "not verified: 1 difference" in out


def test_a_members_inclusion_proof_is_served_and_checks_against_the_root(session, client):
    raffle, users = raffle_with_entries(session, {"ann@example.com": 4, "bob@example.com": 6})
    draw = raffles.draw_of(session, raffle.id)
    ann, _ = raffles.member_ref(session, raffle.id, users["ann@example.com"].id)
    early = client.get(f"/api/draws/{draw.id}/entry?ref={ann}")
    assert early.status_code == 404 and "when the pool closes" in early.json()["error"]

    close_then_draw()
    answer = client.get(f"/api/draws/{draw.id}/entry?ref={ann}").json()
    assert answer["line"] == f"{ann}\t4" and answer["size"] == 2 and answer["verified"]
    proof = InclusionProof(index=answer["index"], size=answer["size"], path=tuple(answer["path"]))
    assert verify_inclusion(answer["line"].encode(), proof, answer["merkleRoot"])
    session.expire_all()
    assert answer["merkleRoot"] == raffles.draw_of(session, raffle.id).merkle_root

    assert client.get(f"/api/draws/{draw.id}/entry?ref={'f' * 32}").status_code == 404
    assert client.get(f"/api/draws/{draw.id}/entry").status_code == 400
    assert client.get(f"/api/draws/{'9' * 20}/entry?ref={ann}").status_code == 404


def test_one_address_checking_entries_without_end_is_slowed_and_told_when_to_come_back(
    session, client
):
    raffle, users = raffle_with_entries(session, {"ann@example.com": 4, "bob@example.com": 6})
    draw = raffles.draw_of(session, raffle.id)
    ann, _ = raffles.member_ref(session, raffle.id, users["ann@example.com"].id)
    close_then_draw()
    free = throttle.ENTRY_CHECK_ADDRESS.free

    answers = [client.get(f"/api/draws/{draw.id}/entry?ref={ann}") for _ in range(free + 1)]

    assert {a.status_code for a in answers[:free]} == {200}
    slowed = answers[free]
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) > 0
    assert "Too many checks from your network: try again in" in slowed.json()["error"]
    # Another address is served meanwhile.
    session.expire_all()
    other = draw_public.check_entry(session, draw.id, ann, client_ip="198.51.100.2")
    assert other.found and other.verified
