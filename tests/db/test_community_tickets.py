"""A community's tickets: credits from Kick ids (linked or held), the month boundary, a
moderator's give and remove, reversals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from luckyclub.club import ledger
from luckyclub.community import periods, tickets
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.models import (
    AuditLog,
    EntryLedger,
    HeldTicket,
    KickIdentity,
    LedgerSource,
    Raffle,
    Role,
    ScopedRole,
)
from luckyclub.platform import roles
from tests.db.factories import add_community, add_user

NOW = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)


def linked(session, email: str, kick_user_id: int, username: str = ""):
    """An account linked to a Kick id (directly: identities.link_kick has tests of its own)."""
    user = add_user(session, email)
    session.add(KickIdentity(kick_user_id=kick_user_id, username=username, user_id=user.id))
    session.commit()
    return user


def moderator_of(session, community, email: str = "mod@example.com"):
    admin = add_user(session, f"admin-{email}", Role.ADMIN)
    mod = add_user(session, email)
    roles.grant(session, admin, mod.id, ScopedRole.MODERATOR, community.program_id)
    session.commit()
    return mod


def test_a_credit_to_a_linked_kick_id_lands_in_its_accounts_ledger_once(session):
    community = add_community(session)
    viewer = linked(session, "ann@example.com", 9001, "ann")
    for _ in range(3):
        result = tickets.credit_kick(
            session, community, 9001, LedgerSource.GIFTED_SUB, 15, "gift:a", NOW
        )
    session.commit()

    assert result.outcome == "duplicate"
    period = periods.period_of(session, community, NOW)
    assert period.month == "2026-11"
    assert ledger.balance(session, period.id, viewer.id) == 15
    assert tickets.balance_by_source(session, period.id, viewer.id) == {"gifted_sub": 15}


@pytest.mark.parametrize(
    ("moment", "month"),
    [
        (datetime(2026, 11, 30, 23, 59, 59, 999000, tzinfo=UTC), "2026-11"),
        (datetime(2026, 12, 1, 0, 0, 0, tzinfo=UTC), "2026-12"),
        (datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), "2026-12"),
        (datetime(2027, 1, 1, 0, 0, 0, tzinfo=UTC), "2027-01"),
    ],
)
def test_credits_either_side_of_midnight_on_the_1st_land_in_their_own_month(session, moment, month):
    community = add_community(session)
    viewer = linked(session, "ann@example.com", 9001)

    result = tickets.credit_kick(session, community, 9001, LedgerSource.WATCHTIME, 10, "k", moment)
    session.commit()

    period = session.get(Raffle, result.period_id)
    assert result.outcome == "credited" and period.month == month
    assert ledger.balance(session, period.id, viewer.id) == 10


def test_tickets_of_an_unlinked_id_are_held_and_a_rename_follows_the_id(session):
    community = add_community(session)

    first = tickets.credit_kick(
        session, community, 77, LedgerSource.WATCHTIME, 10, "c1", NOW, "old"
    )
    tickets.credit_kick(session, community, 77, LedgerSource.GIFTED_SUB, 15, "g1", NOW, "new")
    session.commit()

    assert first.outcome == "held"
    assert tickets.held_for(session, first.period_id, 77) == 25
    identity = session.exec(select(KickIdentity).where(KickIdentity.kick_user_id == 77)).one()
    assert identity.username == "new" and identity.user_id is None
    assert session.exec(select(EntryLedger)).all() == []


def test_an_excluded_id_earns_nothing(session):
    from luckyclub.models import ExcludedViewer

    community = add_community(session)
    linked(session, "bot@example.com", 5)
    session.add(ExcludedViewer(community_id=community.id, kick_user_id=5, reason="a bot"))
    session.commit()

    result = tickets.credit_kick(session, community, 5, LedgerSource.WATCHTIME, 10, "x", NOW)

    assert result.outcome == "excluded"
    assert session.exec(select(EntryLedger)).all() == []


def test_a_moderator_gives_and_removes_with_a_reason_never_below_zero(session):
    community = add_community(session)
    mod = moderator_of(session, community)
    viewer = add_user(session, "ann@example.com")

    with pytest.raises(UserError, match="reason"):
        tickets.give(session, mod, community, viewer.id, 10, "", NOW)
    tickets.give(session, mod, community, viewer.id, 10, "Won the stream quiz", NOW)
    with pytest.raises(UserError, match="at most 10 can be removed"):
        tickets.remove(session, mod, community, viewer.id, 11, "Spamming the chat", NOW)
    tickets.remove(session, mod, community, viewer.id, 4, "Spamming the chat", NOW)
    session.commit()

    period = periods.period_of(session, community, NOW)
    assert ledger.balance(session, period.id, viewer.id) == 6
    assert tickets.balance_by_source(session, period.id, viewer.id) == {
        "bonus": 10,
        "removal": -4,
    }
    rows = session.exec(select(EntryLedger).order_by(EntryLedger.id)).all()
    assert [(r.actor_id, r.reason) for r in rows] == [
        (mod.id, "Won the stream quiz"),
        (mod.id, "Spamming the chat"),
    ]
    actions = session.exec(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-2:] == ["community.tickets.give", "community.tickets.remove"]


def test_a_moderator_of_one_community_cannot_touch_another(session):
    mine = add_community(session, "mine")
    other = add_community(session, "other")
    mod = moderator_of(session, mine)
    viewer = add_user(session, "ann@example.com")

    with pytest.raises(NotAllowed):
        tickets.give(session, mod, other, viewer.id, 10, "Won the stream quiz", NOW)
    with pytest.raises(NotAllowed):
        tickets.remove(session, mod, other, viewer.id, 1, "Spamming the chat", NOW)


def test_a_reversal_takes_back_a_credit_once_and_never_below_zero(session):
    community = add_community(session)
    mod = moderator_of(session, community)
    viewer = linked(session, "ann@example.com", 9001)
    tickets.credit_kick(session, community, 9001, LedgerSource.GIFTED_SUB, 15, "gift:a", NOW)
    tickets.remove(session, mod, community, viewer.id, 10, "Spamming the chat", NOW)

    done = tickets.reverse(session, mod, community, "gift:a", "The payment failed", NOW)
    with pytest.raises(UserError, match="reversed already"):
        tickets.reverse(session, mod, community, "gift:a", "The payment failed", NOW)
    session.commit()

    assert done.amount == 5 and done.user_id == viewer.id
    assert ledger.balance(session, done.period_id, viewer.id) == 0


def test_a_reversal_of_held_tickets_is_applied_when_the_id_links(session):
    community = add_community(session)
    mod = moderator_of(session, community)
    tickets.credit_kick(session, community, 77, LedgerSource.GIFTED_SUB, 15, "gift:a", NOW)
    tickets.credit_kick(session, community, 77, LedgerSource.WATCHTIME, 10, "chat:a", NOW)

    done = tickets.reverse(session, mod, community, "gift:a", "The payment failed", NOW)
    session.commit()

    assert done.amount == 15 and done.user_id is None
    assert tickets.held_for(session, done.period_id, 77) == 10
    assert len(session.exec(select(HeldTicket)).all()) == 3


def test_a_batch_of_credits_sorts_out_linked_held_excluded_and_duplicates(session):
    from luckyclub.models import ExcludedViewer

    community = add_community(session)
    ann = linked(session, "ann@example.com", 1)
    session.add(ExcludedViewer(community_id=community.id, kick_user_id=3, reason="a bot"))
    session.commit()
    tickets.credit_kick(session, community, 1, LedgerSource.WATCHTIME, 10, "chat:old", NOW)
    batch = [
        tickets.KickCredit(1, LedgerSource.WATCHTIME, 10, "chat:1"),
        tickets.KickCredit(2, LedgerSource.WATCHTIME, 20, "chat:2", "newcomer"),
        tickets.KickCredit(3, LedgerSource.WATCHTIME, 10, "chat:3"),
        tickets.KickCredit(1, LedgerSource.WATCHTIME, 10, "chat:old"),
        tickets.KickCredit(2, LedgerSource.WATCHTIME, 20, "chat:2"),
    ]

    results = tickets.credit_kick_many(session, community, batch, NOW)
    session.commit()

    assert [r.outcome for r in results] == [
        "credited",
        "held",
        "excluded",
        "duplicate",
        "duplicate",
    ]
    period = periods.period_of(session, community, NOW)
    assert ledger.balance(session, period.id, ann.id) == 20
    assert tickets.held_for(session, period.id, 2) == 20
    assert ledger.cache_matches_ledger(session)


def test_one_batch_run_by_two_workers_at_once_credits_once(session):
    from luckyclub.core import db
    from tests.db.locks import all_at_once

    community = add_community(session)
    viewers = [linked(session, f"v{n}@example.com", n) for n in range(1, 21)]
    batch = [
        tickets.KickCredit(n, LedgerSource.WATCHTIME, 10, f"chat:{n}") for n in range(1, 41)
    ]  # ids 21-40 are not linked: held

    def run():
        with db.session_scope() as s:
            return tickets.credit_kick_many(s, s.merge(community), batch, NOW)

    results = all_at_once([run, run])

    assert not [r for r in results if isinstance(r, Exception)], results
    outcomes = [r.outcome for result in results for r in result]  # type: ignore[union-attr]
    assert outcomes.count("credited") == 20 and outcomes.count("held") == 20
    assert outcomes.count("duplicate") == 40
    session.expire_all()
    period = periods.period_of(session, community, NOW)
    assert ledger.totals(session, period.id) == ledger.RaffleTotals(200, 20)
    assert sum(tickets.held_for(session, period.id, n) for n in range(21, 41)) == 200
    assert all(ledger.balance(session, period.id, v.id) == 10 for v in viewers)


def test_two_moderators_reversing_one_gift_at_once_reverse_it_once(session):
    from luckyclub.core import db
    from luckyclub.models import Community, User
    from tests.db.locks import all_at_once

    community = add_community(session)
    mods = [moderator_of(session, community, f"mod{n}@example.com") for n in (1, 2)]
    viewer = linked(session, "ann@example.com", 9001)
    tickets.credit_kick(session, community, 9001, LedgerSource.GIFTED_SUB, 30, "gift:a", NOW)
    session.commit()

    def reverse(mod_id):
        def run():
            with db.session_scope() as s:
                return tickets.reverse(
                    s,
                    s.get(User, mod_id),
                    s.get(Community, community.id),
                    "gift:a",
                    "The payment failed",
                    NOW,
                )

        return run

    results = all_at_once([reverse(m.id) for m in mods])

    assert len([r for r in results if isinstance(r, UserError)]) == 1, results
    session.expire_all()
    period = periods.period_of(session, community, NOW)
    assert ledger.balance(session, period.id, viewer.id) == 0
    assert ledger.cache_matches_ledger(session)


def test_a_gift_reversed_while_held_is_taken_back_when_the_id_links(session):
    from luckyclub.community import identities

    community = add_community(session)
    mod = moderator_of(session, community)
    ann = add_user(session, "ann@example.com")
    tickets.credit_kick(session, community, 77, LedgerSource.GIFTED_SUB, 15, "gift:a", NOW)
    tickets.credit_kick(session, community, 77, LedgerSource.WATCHTIME, 10, "chat:a", NOW)
    tickets.reverse(session, mod, community, "gift:a", "The payment failed", NOW)

    linked_now = identities.link_kick(session, ann, 77, "ann", NOW)
    session.commit()

    period = periods.period_of(session, community, NOW)
    assert linked_now.released == 10
    assert tickets.balance_by_source(session, period.id, ann.id) == {
        "gifted_sub": 15,
        "watchtime": 10,
        "reversal": -15,
    }
