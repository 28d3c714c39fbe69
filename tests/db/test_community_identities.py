"""Linking Kick: one Kick id per account and one account per id, a rename following the id, and
held tickets released on link within their period (never into another)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from luckyclub.club import ledger
from luckyclub.community import identities, periods, tickets
from luckyclub.core import db
from luckyclub.core.errors import UserError
from luckyclub.models import EntryLedger, KickIdentity, LedgerSource, User
from tests.db.community_helpers import community_with_moderator
from tests.db.factories import add_user
from tests.db.locks import all_at_once

NOV = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)
DEC_3 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
DEC_4 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_linking_releases_the_ids_held_tickets_of_the_current_period(session):
    community, _ = community_with_moderator(session)
    ann = add_user(session, "ann@example.com")
    tickets.credit_kick(session, community, 42, LedgerSource.WATCHTIME, 10, "chat:1", DEC_3, "ann")
    tickets.credit_kick(session, community, 42, LedgerSource.GIFTED_SUB, 15, "gift:1", DEC_3)
    session.commit()

    linked = identities.link_kick(session, ann, 42, "ann_k", DEC_4)
    replay = tickets.credit_kick(
        session, community, 42, LedgerSource.GIFTED_SUB, 15, "gift:1", DEC_4
    )
    session.commit()

    december = periods.period_of(session, community, DEC_4)
    assert linked.released == 25 and replay.outcome == "duplicate"
    assert tickets.balance_by_source(session, december.id, ann.id) == {
        "watchtime": 10,
        "gifted_sub": 15,
    }
    assert tickets.held_for(session, december.id, 42) == 0
    reasons = {row.reason for row in session.exec(select(EntryLedger))}
    assert reasons == {"Earned before your Kick account was linked"}


def test_tickets_held_in_an_earlier_period_are_not_released_into_this_one(session):
    community, _ = community_with_moderator(session)
    ann = add_user(session, "ann@example.com")
    tickets.credit_kick(session, community, 42, LedgerSource.WATCHTIME, 10, "chat:nov", NOV)
    session.commit()

    linked = identities.link_kick(session, ann, 42, "ann_k", DEC_4)
    session.commit()

    november = periods.period_of(session, community, NOV)
    december = periods.period_of(session, community, DEC_4)
    assert linked.released == 0
    assert ledger.balance(session, december.id, ann.id) == 0
    assert ledger.balance(session, november.id, ann.id) == 0
    assert tickets.held_for(session, november.id, 42) == 10  # kept, for a dispute


def test_one_kick_id_per_account_and_one_account_per_id(session):
    ann = add_user(session, "ann@example.com")
    bob = add_user(session, "bob@example.com")
    identities.link_kick(session, ann, 1, "ann_k", DEC_4)
    session.commit()

    with pytest.raises(UserError, match="linked to another LuckyClub account"):
        identities.link_kick(session, bob, 1, "ann_k", DEC_4)
    with pytest.raises(UserError, match="one Kick account per LuckyClub account"):
        identities.link_kick(session, ann, 2, "ann_alt", DEC_4)
    again = identities.link_kick(session, ann, 1, "ann_renamed", DEC_4)
    session.commit()

    assert again.username == "ann_renamed"
    assert identities.account_of(session, 1) == ann.id
    assert identities.account_of(session, 2) is None


def test_a_rename_follows_the_kick_id(session):
    community, _ = community_with_moderator(session)
    ann = add_user(session, "ann@example.com")
    identities.link_kick(session, ann, 7, "old_name", DEC_3)
    tickets.credit_kick(session, community, 7, LedgerSource.WATCHTIME, 10, "c", DEC_4, "new_name")
    session.commit()

    identity = session.exec(select(KickIdentity).where(KickIdentity.kick_user_id == 7)).one()
    assert (identity.username, identity.user_id) == ("new_name", ann.id)
    assert ledger.balance(session, periods.period_of(session, community, DEC_4).id, ann.id) == 10


def test_two_accounts_linking_one_kick_id_at_once_one_wins(session):
    ann = add_user(session, "ann@example.com")
    bob = add_user(session, "bob@example.com")

    def link(user_id):
        def run():
            with db.session_scope() as s:
                return identities.link_kick(s, s.get(User, user_id), 99, "shared", DEC_4)

        return run

    results = all_at_once([link(ann.id), link(bob.id)])

    refused = [r for r in results if isinstance(r, UserError)]
    assert len(refused) == 1, results
    session.expire_all()
    assert identities.account_of(session, 99) in {ann.id, bob.id}


def test_a_credit_racing_a_link_is_never_left_held(session):
    community, _ = community_with_moderator(session)
    ann = add_user(session, "ann@example.com")
    tickets.credit_kick(session, community, 5, LedgerSource.WATCHTIME, 10, "c0", DEC_3)
    session.commit()

    def credit(n):
        def run():
            with db.session_scope() as s:
                return tickets.credit_kick(
                    s, s.merge(community), 5, LedgerSource.WATCHTIME, 10, f"c{n}", DEC_4
                )

        return run

    def link():
        with db.session_scope() as s:
            return identities.link_kick(s, s.get(User, ann.id), 5, "ann", DEC_4)

    results = all_at_once([credit(1), link, credit(2), credit(3)])

    assert not [r for r in results if isinstance(r, Exception)], results
    session.expire_all()
    december = periods.period_of(session, community, DEC_4)
    assert tickets.held_for(session, december.id, 5) == 0
    assert ledger.balance(session, december.id, ann.id) == 40


def test_after_unlinking_the_ids_new_tickets_are_held_and_earlier_ones_stay(session):
    community, _ = community_with_moderator(session)
    ann = add_user(session, "ann@example.com")
    identities.link_kick(session, ann, 8, "ann_k", DEC_3)
    tickets.credit_kick(session, community, 8, LedgerSource.WATCHTIME, 10, "c1", DEC_3)

    identities.unlink_kick(session, ann, DEC_4)
    after = tickets.credit_kick(session, community, 8, LedgerSource.WATCHTIME, 10, "c2", DEC_4)
    with pytest.raises(UserError, match="not linked"):
        identities.unlink_kick(session, ann, DEC_4)
    session.commit()

    december = periods.period_of(session, community, DEC_4)
    assert after.outcome == "held"
    assert ledger.balance(session, december.id, ann.id) == 10
    assert identities.kick_of(session, ann.id) is None
