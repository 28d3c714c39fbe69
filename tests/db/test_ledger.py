"""The entry ledger: keyed credits, admin grants and removals, and what is read from the rows."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from luckyclub.club import ledger
from luckyclub.club.raffles import month_of, next_month
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.models import (
    AuditLog,
    EntryBalance,
    EntryLedger,
    LedgerSource,
    RaffleStatus,
    Role,
    User,
    utcnow,
)
from tests.db.factories import add_open_raffle, add_user
from tests.db.locks import wait_until_blocked

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)  # mid-way through the November raffle


# ---- helpers ----------------------------------------------------------------------------------


def credit(session, raffle, user, amount, key, source=LedgerSource.BONUS):
    row = ledger.credit(
        session,
        raffle_id=raffle.id,
        user_id=user.id,
        source=source,
        amount=amount,
        key=key,
        now=NOW,
    )
    session.commit()
    return row


def grant(session, admin, raffle, user, amount, reason="Checked by hand"):
    row = ledger.grant(
        session,
        admin,
        raffle_id=raffle.id,
        user_id=user.id,
        amount=amount,
        reason=reason,
        now=NOW,
    )
    session.commit()
    return row


def rows(session, user=None) -> list[EntryLedger]:
    query = select(EntryLedger).order_by(EntryLedger.id)
    if user is not None:
        query = query.where(EntryLedger.user_id == user.id)
    return list(session.exec(query))


NEXT_MONTH = next_month(month_of(utcnow()))


@pytest.fixture()
def raffle(session):
    return add_open_raffle(session, title="November Raffle")  # this month: open for real


@pytest.fixture()
def admin(session):
    return add_user(session, "admin@example.com", role=Role.ADMIN)


@pytest.fixture()
def ann(session):
    return add_user(session, "ann@example.com")


# ---- crediting --------------------------------------------------------------------------------


def test_a_replayed_idempotency_key_credits_once(session, raffle, ann):
    results = [credit(session, raffle, ann, 3, "stripe:in_123") for _ in range(5)]

    assert results[0] is not None and results[1:] == [None] * 4
    assert ledger.balance(session, raffle.id, ann.id) == 3
    [row] = rows(session)
    assert (row.source, row.amount, row.idempotency_key) == ("bonus", 3, "stripe:in_123")


def test_a_batch_of_credits_is_stored_once_per_key_with_the_sums_kept(session, raffle, ann):
    bob = add_user(session, "bob@example.com")
    credit(session, raffle, ann, 3, "chat:earlier")
    batch = [
        ledger.NewCredit(ann.id, LedgerSource.WATCHTIME, 10, "chat:1"),
        ledger.NewCredit(bob.id, LedgerSource.WATCHTIME, 20, "chat:2"),
        ledger.NewCredit(ann.id, LedgerSource.GIFTED_SUB, 15, "chat:earlier"),  # used before
    ]

    first = ledger.credit_many(session, raffle.id, batch, now=NOW)
    again = ledger.credit_many(session, raffle.id, batch, now=NOW)
    session.commit()

    assert first == {"chat:1", "chat:2"} and again == set()
    assert ledger.balance(session, raffle.id, ann.id) == 13
    assert ledger.balance(session, raffle.id, bob.id) == 20
    assert ledger.totals(session, raffle.id) == ledger.RaffleTotals(entries=33, entrants=2)
    assert ledger.cache_matches_ledger(session)


def test_crediting_a_closed_raffle_is_refused_with_a_sentence(session, raffle, ann):
    raffle.status = RaffleStatus.CLOSED
    session.commit()

    with pytest.raises(UserError) as refused:
        credit(session, raffle, ann, 3, "proof:7")

    assert refused.value.message == (
        "November Raffle has closed, so its entries can no longer change."
    )
    assert rows(session) == []


def test_crediting_a_raffle_past_its_closing_time_is_refused(session, raffle, ann):
    with pytest.raises(UserError, match="has closed"):
        ledger.credit(
            session,
            raffle_id=raffle.id,
            user_id=ann.id,
            source=LedgerSource.PROOF,
            amount=1,
            key="proof:8",
            now=raffle.closes_at + timedelta(seconds=1),
        )


def test_crediting_a_draft_raffle_is_refused_with_a_sentence(session, ann):
    draft = add_open_raffle(session, NEXT_MONTH, title="December Raffle", status=RaffleStatus.DRAFT)

    with pytest.raises(UserError) as refused:
        credit(session, draft, ann, 3, "proof:9")

    assert refused.value.message == "December Raffle has not opened yet, so it cannot take entries."
    assert rows(session) == []


# ---- admin grants and removals ----------------------------------------------------------------


def test_an_admin_grant_adds_entries_with_its_reason_and_an_audit_row(session, raffle, admin, ann):
    row = grant(session, admin, raffle, ann, 5, reason="  Won the stream quiz ")

    assert (row.source, row.amount, row.actor_id) == (LedgerSource.ADMIN, 5, admin.id)
    assert row.reason == "Won the stream quiz"
    assert ledger.balance(session, raffle.id, ann.id) == 5
    [audit] = session.exec(select(AuditLog)).all()
    assert (audit.actor_id, audit.action, audit.target_type, audit.target_id) == (
        admin.id,
        "entries.grant",
        "user",
        str(ann.id),
    )
    assert audit.detail == f"+5 in raffle #{raffle.id}: Won the stream quiz"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_grant_without_a_reason_is_refused(session, raffle, admin, ann, reason):
    with pytest.raises(UserError) as refused:
        grant(session, admin, raffle, ann, 5, reason=reason)

    assert refused.value.field == "reason"
    assert refused.value.message == "Give a reason; the member sees it next to the change."
    assert rows(session) == [] and session.exec(select(AuditLog)).all() == []


@pytest.mark.parametrize("amount", [0, 10_001, -10_001])
def test_a_grant_of_no_entries_or_too_many_is_refused(session, raffle, admin, ann, amount):
    with pytest.raises(UserError, match="between 1 and 10,000"):
        grant(session, admin, raffle, ann, amount)


def test_a_member_cannot_grant_entries(session, raffle, ann):
    bob = add_user(session, "bob@example.com")

    with pytest.raises(NotAllowed):
        grant(session, bob, raffle, ann, 5)

    assert rows(session) == []


def test_a_removal_is_a_negative_correction_row_with_the_acting_admin(session, raffle, admin, ann):
    credit(session, raffle, ann, 10, "base:1", source=LedgerSource.BASE)

    row = grant(session, admin, raffle, ann, -4, reason="Same proof sent twice")

    assert (row.source, row.amount, row.actor_id, row.reason) == (
        LedgerSource.CORRECTION,
        -4,
        admin.id,
        "Same proof sent twice",
    )
    assert ledger.balance(session, raffle.id, ann.id) == 6
    [audit] = session.exec(select(AuditLog)).all()
    assert audit.action == "entries.remove"
    assert audit.detail == f"-4 in raffle #{raffle.id}: Same proof sent twice"


def test_removing_more_than_the_balance_is_refused_naming_the_balance(session, raffle, admin, ann):
    credit(session, raffle, ann, 6, "base:1", source=LedgerSource.BASE)

    with pytest.raises(UserError) as refused:
        grant(session, admin, raffle, ann, -7)
    session.rollback()

    assert refused.value.message == (
        "Ann has 6 entries in this raffle, so at most 6 can be removed. "
        "A balance never goes below zero."
    )
    assert ledger.balance(session, raffle.id, ann.id) == 6

    grant(session, admin, raffle, ann, -6)
    with pytest.raises(UserError, match="Ann has 0 entries in this raffle"):
        grant(session, admin, raffle, ann, -1)
    session.rollback()

    assert ledger.balance(session, raffle.id, ann.id) == 0
    assert [r.amount for r in rows(session)] == [6, -6]


# ---- reading the ledger -----------------------------------------------------------------------


def test_the_breakdown_sums_each_source(session, raffle, admin, ann):
    bob = add_user(session, "bob@example.com")
    credit(session, raffle, ann, 15, "base:ann", source=LedgerSource.BASE)
    credit(session, raffle, ann, 2, "proof:1", source=LedgerSource.PROOF)
    credit(session, raffle, ann, 3, "proof:2", source=LedgerSource.PROOF)
    credit(session, raffle, ann, 1, "kick:abc", source=LedgerSource.GIFTED_SUB)
    credit(session, raffle, bob, 15, "base:bob", source=LedgerSource.BASE)
    grant(session, admin, raffle, ann, -1)

    assert ledger.breakdown(session, raffle.id, ann.id) == {
        "base": 15,
        "proof": 5,
        "gifted_sub": 1,
        "correction": -1,
    }
    assert ledger.breakdown(session, raffle.id, admin.id) == {}


def test_totals_count_entries_and_entrants_and_a_member_at_zero_is_not_an_entrant(
    session, raffle, admin, ann
):
    bob, cat = add_user(session, "bob@example.com"), add_user(session, "cat@example.com")
    credit(session, raffle, ann, 15, "base:ann")
    credit(session, raffle, bob, 10, "base:bob")
    credit(session, raffle, cat, 5, "base:cat")
    grant(session, admin, raffle, cat, -5)
    other = add_open_raffle(session, NEXT_MONTH)
    credit(session, other, ann, 100, "base:ann:december")

    assert ledger.totals(session, raffle.id) == ledger.RaffleTotals(entries=25, entrants=2)
    assert ledger.totals(session, other.id) == ledger.RaffleTotals(entries=100, entrants=1)


def test_totals_of_an_empty_raffle_are_zero(session, raffle):
    assert ledger.totals(session, raffle.id) == ledger.RaffleTotals(entries=0, entrants=0)


def test_odds_read_as_mine_in_all_with_a_percentage(session, raffle, ann):
    bob = add_user(session, "bob@example.com")
    credit(session, raffle, ann, 1_500, "grant:ann")
    credit(session, raffle, bob, 2_500, "grant:bob")
    cat = add_user(session, "cat@example.com")

    odds = ledger.odds(session, raffle.id, ann.id)

    assert (odds.mine, odds.total) == (1_500, 4_000)
    assert odds.sentence() == "1,500 in 4,000 (37.50 %)"
    assert ledger.odds(session, raffle.id, cat.id).sentence() == (
        "You have no entries in this raffle yet."
    )


def test_the_leaderboard_shows_the_top_25_and_hides_names_unless_the_member_chose(
    session, raffle, admin
):
    members = []
    for n in range(30):
        member = add_user(session, f"member{n:02d}@example.com")
        member.show_on_leaderboard = n % 3 == 0
        members.append(member)
    session.commit()
    for n, member in enumerate(members):
        # member n holds n entries (member 0 holds 1); member 29 ties with member 28 at 28
        credit(session, raffle, member, max(n, 1) if n < 29 else 28, f"base:{member.id}")
    grant(session, admin, raffle, members[0], -1)  # at 0: not on the board

    board = ledger.leaderboard(session, raffle.id)

    assert len(board) == 25
    assert [row.rank for row in board] == list(range(1, 26))
    assert [row.entries for row in board] == [28, 28, *range(27, 4, -1)]
    assert [row.user_id for row in board[:3]] == [members[28].id, members[29].id, members[27].id]
    for row in board:
        member = next(m for m in members if m.id == row.user_id)
        expected = member.display_name if member.show_on_leaderboard else f"Member #{member.id}"
        assert row.name == expected
    assert [row.name for row in board[:3]] == [
        f"Member #{members[28].id}",
        f"Member #{members[29].id}",
        "Member27",  # chose to be shown
    ]
    assert members[0].id not in {
        row.user_id for row in ledger.leaderboard(session, raffle.id, limit=100)
    }


def test_entries_per_day_groups_by_utc_day_and_source(session, raffle, ann):
    def at(moment, source, amount):
        session.add(
            EntryLedger(
                raffle_id=raffle.id,
                user_id=ann.id,
                source=source,
                amount=amount,
                idempotency_key=f"test:{moment.isoformat()}:{source}",
                created_at=moment,
            )
        )

    berlin = timezone(timedelta(hours=1))
    at(datetime(2026, 11, 4, 23, 59, tzinfo=UTC), "bonus", 7)  # before `since`
    at(datetime(2026, 11, 10, 8, 0, tzinfo=UTC), "base", 15)
    at(datetime(2026, 11, 10, 23, 59, tzinfo=UTC), "proof", 2)
    at(datetime(2026, 11, 11, 0, 30, tzinfo=berlin), "proof", 3)  # 10 Nov 23:30 UTC
    at(datetime(2026, 11, 11, 0, 0, tzinfo=UTC), "proof", 4)
    at(datetime(2026, 11, 11, 9, 0, tzinfo=UTC), "correction", -1)
    session.commit()

    days = ledger.entries_per_day(session, since=date(2026, 11, 5))

    assert sorted(days) == [
        ("2026-11-10", "base", 15),
        ("2026-11-10", "proof", 5),
        ("2026-11-11", "correction", -1),
        ("2026-11-11", "proof", 4),
    ]
    assert [day for day, _, _ in days] == sorted(day for day, _, _ in days)


def test_member_rows_are_newest_first_and_limited(session, raffle, ann):
    for n in range(5):
        credit(session, raffle, ann, n + 1, f"proof:{n}")

    newest = ledger.member_rows(session, ann.id, raffle_id=raffle.id, limit=3)

    assert [row.amount for row in newest] == [5, 4, 3]


# ---- races (PostgreSQL: SQLite lets one writer in at a time) ------------------------------------


def race(engine, works) -> list[str]:
    """Run each work(session) in a thread of its own with its own Session, all released at one
    moment; each outcome is what the work returned, a refusal's sentence, or an unexpected error."""
    start_together = threading.Barrier(len(works))
    outcomes: list[str] = []

    def attempt(work):
        with Session(engine) as s:
            start_together.wait(timeout=20)
            try:
                outcomes.append(work(s))
                s.commit()
            except UserError as refused:
                s.rollback()
                outcomes.append(refused.message)
            except Exception as exc:  # noqa: BLE001 - reported by the caller's assertion
                outcomes.append(repr(exc))

    workers = [threading.Thread(target=attempt, args=(work,)) for work in works]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    return outcomes


def test_the_same_credit_from_eight_threads_at_once_is_stored_once(app_db, session, raffle, ann):
    if app_db.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; the race needs PostgreSQL")

    def credit_once(s):
        row = ledger.credit(
            s,
            raffle_id=raffle.id,
            user_id=ann.id,
            source=LedgerSource.GIFTED_SUB,
            amount=5,
            key="kick:event-42",
            now=NOW,
        )
        return "credited" if row is not None else "replay"

    outcomes = race(app_db, [credit_once] * 8)

    assert sorted(outcomes) == ["credited"] + ["replay"] * 7
    assert len(rows(session)) == 1
    assert ledger.balance(session, raffle.id, ann.id) == 5


def removal_by(admin_id: int, member_id: int, raffle_id: int, amount: int):
    def remove(s) -> str:
        ledger.grant(
            s,
            s.get(User, admin_id),
            raffle_id=raffle_id,
            user_id=member_id,
            amount=amount,
            reason="Duplicate proof",
            now=NOW,
        )
        return "removed"

    return remove


AT_MOST_3 = (
    "Ann has 3 entries in this raffle, so at most 3 can be removed. "
    "A balance never goes below zero."
)


def test_two_admins_removing_at_once_cannot_take_a_balance_below_zero(
    app_db, session, raffle, admin, ann
):
    if app_db.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; the race needs PostgreSQL")
    other_admin = add_user(session, "admin2@example.com", role=Role.ADMIN)

    for round_no in range(5):  # several rounds: one lucky interleaving proves little
        credit(session, raffle, ann, 10, f"base:{round_no}")  # each round starts at 10
        removals = [removal_by(a.id, ann.id, raffle.id, -7) for a in (admin, other_admin)]

        outcomes = race(app_db, removals)

        assert sorted(outcomes) == [AT_MOST_3, "removed"], f"round {round_no}"
        assert ledger.balance(session, raffle.id, ann.id) == 3
        grant(session, admin, raffle, ann, -3)


def test_a_removal_waits_for_another_admins_unfinished_removal(app_db, session, raffle, admin, ann):
    """The member's row lock, step by step: the second removal cannot read the balance until the
    first one's transaction ends, so it sees 3 entries, not 10."""
    if app_db.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; the race needs PostgreSQL")
    credit(session, raffle, ann, 10, "base:1")
    other_admin = add_user(session, "admin2@example.com", role=Role.ADMIN)
    second_removal = removal_by(other_admin.id, ann.id, raffle.id, -7)
    outcome: list[str] = []

    def second():
        with Session(app_db) as s:
            try:
                outcome.append(second_removal(s))
                s.commit()
            except UserError as refused:
                outcome.append(refused.message)

    with Session(app_db) as first:
        removal_by(admin.id, ann.id, raffle.id, -7)(first)
        worker = threading.Thread(target=second)
        worker.start()
        wait_until_blocked(app_db, worker)
        first.commit()
    worker.join(timeout=30)

    assert outcome == [AT_MOST_3]
    assert ledger.balance(session, raffle.id, ann.id) == 3


def test_cached_balances_always_equal_the_ledger_and_can_be_rebuilt_from_it(
    session, raffle, admin, ann
):
    bob = add_user(session, "bob@example.com")
    credit(session, raffle, ann, 15, "base:ann")
    credit(session, raffle, ann, 15, "base:ann")  # a replay
    credit(session, raffle, bob, 3, "proof:1")
    grant(session, admin, raffle, ann, -5)
    grant(session, admin, raffle, bob, -3)  # bob back to zero: no longer an entrant
    session.commit()

    assert ledger.cache_matches_ledger(session)
    assert ledger.totals(session, raffle.id) == ledger.RaffleTotals(entries=10, entrants=1)

    session.get(EntryBalance, (raffle.id, ann.id)).held = 999  # a cache gone wrong
    session.commit()
    assert not ledger.cache_matches_ledger(session)

    assert ledger.rebuild_cache(session) == 2
    session.commit()
    assert ledger.cache_matches_ledger(session)
    assert ledger.balance(session, raffle.id, ann.id) == 10
    assert ledger.totals(session, raffle.id) == ledger.RaffleTotals(entries=10, entrants=1)
