"""Draws in the app: commitment, close, beacon, draw, proof, overrides, rerolls, voids, winners."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlmodel import select

from luckyclub.club import ledger, raffles
from luckyclub.core.errors import UserError
from luckyclub.models import (
    Draw,
    DrawStatus,
    DrawTrigger,
    DrawWinner,
    EntryLedger,
    LedgerSource,
    OutboxMessage,
    Raffle,
    RaffleStatus,
    Role,
    WinnerStatus,
)
from luckyclub.platform import draw_actions, draw_public, draws
from tests import drand_relay
from tests.db.factories import add_open_raffle, add_user

IP = "203.0.113.7"  # a client address, for the per-address limit of entry checks

CLOSES = drand_relay.close_time_for(drand_relay.ROUND)  # its bound round is the recorded one
BEFORE = CLOSES - timedelta(days=3)
AFTER_ROUND = CLOSES + timedelta(minutes=1)


def raffle_with_entries(session, holdings: dict[str, int], **fields) -> tuple[Raffle, dict]:
    """A raffle closing at CLOSES, its draw, and members holding the given entries."""
    raffle = add_open_raffle(session, month="2023-08", closes_at=CLOSES, **fields)
    raffles.schedule_draw(session, raffle)
    session.commit()
    users = {}
    for email, held in holdings.items():
        user = add_user(session, email)
        ledger.credit(
            session,
            raffle_id=raffle.id,
            user_id=user.id,
            source=LedgerSource.BASE,
            amount=held,
            key=f"test:{raffle.id}:{user.id}",
            now=BEFORE,
        )
        users[email] = user
    session.commit()
    return raffle, users


def close_then_draw() -> list[draws.Outcome]:
    """The draws job at the closing time (it closes), then after the bound round (it draws)."""
    draws.run_due(now=CLOSES + timedelta(seconds=1))
    return draws.run_due(now=AFTER_ROUND)


def draw_of(session, raffle) -> Draw:
    session.expire_all()
    return raffles.draw_of(session, raffle.id)


def test_a_new_raffle_publishes_the_commitment_of_a_secret_seed(session):
    admin = add_user(session, "boss@example.com", role=Role.ADMIN)
    raffle = raffles.create(
        session, admin, month="2099-01", title="January", prize="A bike", winners=2
    )
    session.commit()
    draw = raffles.draw_of(session, raffle.id)

    assert draw.status == DrawStatus.SCHEDULED
    assert draw.winners_wanted == 2 and draw.draw_at == raffle.closes_at
    assert draw.commitment == hashlib.sha256(bytes.fromhex(draw.seed)).hexdigest()
    shown = draw_public.view(session, draw.id)
    assert shown.commitment == draw.commitment
    assert shown.seed == "" and shown.snapshot_digest == ""  # nothing else before the close
    with pytest.raises(draw_public.ProofNotReady):
        draw_public.proof_document(session, draw.id)


def test_edits_reach_the_scheduled_draw(session):
    admin = add_user(session, "boss@example.com", role=Role.ADMIN)
    raffle = raffles.create(session, admin, month="2099-01", title="January", prize="A bike")
    raffles.update(session, admin, raffle.id, prize="Two bikes", winners=3)
    session.commit()
    draw = raffles.draw_of(session, raffle.id)
    assert (draw.prize, draw.winners_wanted) == ("Two bikes", 3)


def test_closing_freezes_the_snapshot_and_binds_the_next_beacon_round(session, relays):
    raffle, users = raffle_with_entries(session, {"ann@example.com": 15, "bob@example.com": 3})

    draws.run_due(now=CLOSES + timedelta(seconds=1))  # closed; its round is not out yet
    draw = draw_of(session, raffle)

    assert draw.status == DrawStatus.CLOSED
    assert draw.beacon_round == drand_relay.ROUND
    assert (draw.entrant_count, draw.entry_count) == (2, 18)
    assert session.get(Raffle, raffle.id).status == RaffleStatus.CLOSED
    assert relays == []  # nobody asked a relay for a round that did not exist yet
    snapshot = draw_public.snapshot_text(session, draw.id).decode()
    ann_ref = draws.ref_for(draw.pool_id, users["ann@example.com"].id)
    assert f"{ann_ref}\t15\n" in snapshot
    assert "ann@example.com" not in snapshot
    assert hashlib.sha256(snapshot.encode()).hexdigest() == draw.snapshot_digest
    with pytest.raises(UserError, match="closed"):  # entries are final
        ledger.credit(
            session,
            raffle_id=raffle.id,
            user_id=users["bob@example.com"].id,
            source=LedgerSource.BASE,
            amount=1,
            key="late",
        )


def test_the_draw_uses_the_verified_beacon_and_its_proof_verifies(session, relays):
    raffle, users = raffle_with_entries(
        session,
        {"ann@example.com": 15, "bob@example.com": 3, "cat@example.com": 40},
        winners=2,
    )

    outcomes = close_then_draw()
    draw = draw_of(session, raffle)

    assert [o.status for o in outcomes] == ["drawn"]
    assert draw.status == DrawStatus.DRAWN and draw.trigger == DrawTrigger.SCHEDULED
    assert draw.beacon_randomness == drand_relay.RANDOMNESS
    winners = session.exec(select(DrawWinner).where(DrawWinner.draw_id == draw.id)).all()
    assert len(winners) == 2 and len({w.user_id for w in winners}) == 2
    emails = session.exec(select(OutboxMessage).where(OutboxMessage.template == "draw_won")).all()
    winner_emails = {session.get(type(users["ann@example.com"]), w.user_id).email for w in winners}
    assert {m.to_address for m in emails} == winner_emails

    proof = draw_public.proof_document(session, draw.id)
    assert proof["beacon"]["round"] == drand_relay.ROUND
    assert draw_public.verify_document(proof).ok
    tampered = proof | {"result": {**proof["result"], "winners": proof["result"]["winners"][::-1]}}
    assert not draw_public.verify_document(tampered).ok
    shown = draw_public.view(session, draw.id)
    assert shown.seed == draw.seed and len(shown.winners) == 2


def test_a_raffle_winner_told_twice_gets_one_email(session, relays):
    raffle, users = raffle_with_entries(session, {"ann@example.com": 5, "bob@example.com": 5})
    close_then_draw()
    draw = draw_of(session, raffle)
    [winner] = session.exec(select(DrawWinner).where(DrawWinner.draw_id == draw.id)).all()
    user = session.get(type(users["ann@example.com"]), winner.user_id)

    draws.pool_of(draw).congratulate(session, draw, winner, user)  # a retried job, say
    session.commit()

    emails = session.exec(select(OutboxMessage).where(OutboxMessage.template == "draw_won")).all()
    assert [m.to_address for m in emails] == [user.email]
    assert "you were drawn as a winner" in emails[0].text_body


def test_a_second_trigger_finds_the_draw_taken(session, relays):
    raffle, _ = raffle_with_entries(session, {"ann@example.com": 5, "bob@example.com": 5})
    close_then_draw()
    draw = draw_of(session, raffle)

    again = draws.perform(draw.id, now=AFTER_ROUND)
    admin = add_user(session, "boss@example.com", role=Role.ADMIN)
    by_admin = draw_actions.draw_now(admin.id, draw.id, now=AFTER_ROUND)

    assert again.status == "taken" and by_admin.status == "taken"
    assert len(session.exec(select(DrawWinner)).all()) == 1


def test_without_a_relay_the_draw_waits_and_an_admin_may_go_without_beacon(session, no_relay):
    raffle, _ = raffle_with_entries(session, {"ann@example.com": 5, "bob@example.com": 5})

    [outcome] = close_then_draw()
    draw = draw_of(session, raffle)
    assert outcome.status == "waiting"
    assert draw.status == DrawStatus.WAITING_FOR_BEACON
    assert draw.attempts == 1 and draw.next_attempt_at > AFTER_ROUND
    assert "not available" in draw.last_problem
    assert draw_public.view(session, draw.id).status_words == "Waiting for public randomness"
    assert draws.run_due(now=AFTER_ROUND + timedelta(seconds=1)) == []  # backing off

    admin = add_user(session, "boss@example.com", role=Role.ADMIN)
    with pytest.raises(UserError, match="reason"):
        draw_actions.skip_beacon(session, admin, draw.id, "")
    draw_actions.skip_beacon(
        session, admin, draw.id, "drand relays down for an hour", now=AFTER_ROUND
    )
    session.commit()
    [outcome] = draws.run_due(now=AFTER_ROUND + timedelta(seconds=2))
    draw = draw_of(session, raffle)

    assert outcome.status == "drawn"
    proof = draw_public.proof_document(session, draw.id)
    assert proof["beacon"] is None
    assert proof["no_beacon_reason"] == "drand relays down for an hour"
    assert draw_public.verify_document(proof).ok


def test_a_manual_override_is_recorded_and_never_passes_as_random(session, relays):
    raffle, users = raffle_with_entries(session, {"ann@example.com": 5, "bob@example.com": 5})
    admin = add_user(session, "boss@example.com", role=Role.ADMIN)
    outsider = add_user(session, "zed@example.com")
    draw = raffles.draw_of(session, raffle.id)

    with pytest.raises(UserError, match="held no entries"):
        draw_actions.override(
            session, admin, draw.id, email=outsider.email, reason="Prize rules", now=AFTER_ROUND
        )
    session.rollback()
    draw_actions.override(
        session,
        admin,
        draw.id,
        email="bob@example.com",
        reason="Court order: the prize goes to Bob",
        now=AFTER_ROUND,
    )
    session.commit()
    draw = draw_of(session, raffle)

    assert draw.status == DrawStatus.DRAWN and draw.trigger == DrawTrigger.OVERRIDE
    shown = draw_public.view(session, draw.id)
    assert shown.is_override and "Court order" in shown.reason
    [winner] = shown.winners
    assert "manual override" in winner.ticket
    report = draw_public.verify_draw(session, draw.id)
    assert not report.ok
    assert "manual override" in report.differences[0]
    assert len(report.differences) == 1  # commitment, snapshot and entrant all check out
    with pytest.raises(UserError, match="override"):
        draw_actions.reroll(
            session, admin, session.exec(select(DrawWinner)).one().id, "unreachable"
        )


def test_a_reroll_replaces_a_winner_from_the_same_stream_and_has_its_own_proof(session, relays):
    holdings = {f"m{n}@example.com": n + 1 for n in range(6)}
    raffle, _ = raffle_with_entries(session, holdings)
    admin = add_user(session, "boss@example.com", role=Role.ADMIN)
    close_then_draw()
    draw = draw_of(session, raffle)
    first = session.exec(select(DrawWinner)).one()

    with pytest.raises(UserError, match="reason"):
        draw_actions.reroll(session, admin, first.id, "no")
    second = draw_actions.reroll(session, admin, first.id, "Did not answer for 14 days")
    session.commit()
    third = draw_actions.reroll(session, admin, second.id, "Turned out to be staff")
    session.commit()

    assert session.get(DrawWinner, first.id).status == WinnerStatus.REPLACED
    assert len({first.entrant_ref, second.entrant_ref, third.entrant_ref}) == 3
    assert (second.reroll, third.reroll) == (1, 2)
    with pytest.raises(UserError, match="replaced already"):
        draw_actions.reroll(session, admin, first.id, "Did not answer")
    for number in (0, 1, 2):
        assert draw_public.verify_draw(session, draw.id, reroll=number).ok
    proof = draw_public.proof_document(session, draw.id, reroll=2)
    assert proof["parameters"]["exclude"] == sorted([first.entrant_ref, second.entrant_ref])


def test_a_pool_nobody_entered_is_void_and_an_admin_can_void_a_draw(session, relays):
    empty, _ = raffle_with_entries(session, {})
    close_then_draw()
    assert draw_of(session, empty).status == DrawStatus.VOID

    admin = add_user(session, "boss@example.com", role=Role.ADMIN)
    other = add_open_raffle(session, month="2099-02")
    draw = raffles.schedule_draw(session, other)
    session.commit()
    draw_actions.void(session, admin, draw.id, "Prize withdrawn by the sponsor")
    session.commit()
    shown = draw_public.view(session, draw.id)
    assert shown.status == DrawStatus.VOID and shown.seed == draw.seed
    with pytest.raises(UserError, match="void already"):
        draw_actions.void(session, admin, draw.id, "again, please")


def test_members_are_not_admins(session, relays):
    raffle, users = raffle_with_entries(session, {"ann@example.com": 5})
    draw = raffles.draw_of(session, raffle.id)
    with pytest.raises(UserError):
        draw_actions.draw_now(users["ann@example.com"].id, draw.id)
    with pytest.raises(UserError):
        draw_actions.void(session, users["ann@example.com"], draw.id, "I want to")
    assert draw_of(session, raffle).status == DrawStatus.SCHEDULED


def test_winners_carry_nothing_over_to_the_next_raffle(session, relays):
    raffle, users = raffle_with_entries(
        session, {"ann@example.com": 10, "bob@example.com": 20}, carry_over_percent=50
    )
    following = add_open_raffle(session, month="2023-09", closes_at=CLOSES + timedelta(days=30))
    close_then_draw()
    winner = session.exec(select(DrawWinner)).one()

    carried = session.exec(
        select(EntryLedger).where(
            EntryLedger.raffle_id == following.id, EntryLedger.source == LedgerSource.CARRY_OVER
        )
    ).all()
    assert [row.user_id for row in carried] != [] and winner.user_id not in {
        row.user_id for row in carried
    }


def test_a_member_checks_their_entry_against_the_published_root(session, relays):
    raffle, users = raffle_with_entries(session, {"ann@example.com": 7, "bob@example.com": 2})
    draws.run_due(now=CLOSES + timedelta(seconds=1))
    ref, draw_id = raffles.member_ref(session, raffle.id, users["ann@example.com"].id)

    found = draw_public.check_entry(session, draw_id, ref.upper() + " ", client_ip=IP)
    assert found.found and found.verified and "holding 7 entries" in found.message
    assert not draw_public.check_entry(session, draw_id, "0" * 32, client_ip=IP).found
    assert (
        "32 characters"
        in draw_public.check_entry(session, draw_id, "my email", client_ip=IP).message
    )


def test_winner_queue_champions_and_announcement(session, relays):
    raffle, users = raffle_with_entries(session, {"ann@example.com": 10, "bob@example.com": 30})
    admin = add_user(session, "boss@example.com", role=Role.ADMIN)
    close_then_draw()
    draw = draw_of(session, raffle)
    [row] = draw_public.winner_queue(session)
    assert row.status == WinnerStatus.NOTIFIED and not row.published
    assert draw_public.champions(session) == []

    draw_actions.set_winner_status(session, admin, row.winner_id, "contacted")
    draw_actions.set_winner_status(session, admin, row.winner_id, "delivered")
    draw_actions.set_winner_status(session, admin, row.winner_id, "publish")
    session.commit()

    [champion] = draw_public.champions(session)
    assert champion.draw_id == draw.id and champion.prize == raffle.prize
    assert champion.name.startswith("Member #")  # nobody opted in to show their name
    text = draw_public.announcement(session, draw.id)
    assert "among 2 participants" in text and "of 40" in text
    assert f"/draws/{draw.id}" in text


def test_a_draft_raffle_past_its_closing_time_is_not_closed_by_the_scheduler(session):
    raffle = add_open_raffle(session, month="2023-08", closes_at=CLOSES, status=RaffleStatus.DRAFT)
    raffles.schedule_draw(session, raffle)
    session.commit()

    draws.run_due(now=AFTER_ROUND)

    session.refresh(raffle)
    assert raffle.status == RaffleStatus.DRAFT
    assert draw_of(session, raffle).status == DrawStatus.SCHEDULED
