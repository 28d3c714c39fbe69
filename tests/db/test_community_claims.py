"""Affiliate username claims: one per viewer, one viewer per username, at most one a day,
approved or rejected (with a reason) by this community's moderators only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from luckyclub.community import claims
from luckyclub.core import db
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.models import AuditLog, ClaimStatus, Community, User
from tests.db.community_helpers import community_with_moderator
from tests.db.factories import add_user
from tests.db.locks import all_at_once

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_a_claim_waits_for_a_moderator_who_verifies_it(session):
    community, mod = community_with_moderator(session)
    ann = add_user(session, "ann@example.com")

    made = claims.claim(session, ann, community, " AnnBets ", NOW)
    with pytest.raises(UserError, match="waiting for a moderator"):
        claims.claim(session, ann, community, "Other", NOW)
    claims.approve(session, mod, made.id, NOW)
    with pytest.raises(UserError, match="verified already"):
        claims.claim(session, ann, community, "Other", NOW + timedelta(days=2))
    session.commit()

    assert made.username == "AnnBets" and made.status == ClaimStatus.VERIFIED
    assert claims.verified_usernames(session, community) == {"annbets": ann.id}
    audit = session.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert audit.action == "community.claim.approve" and audit.actor_id == mod.id


def test_a_rejection_needs_a_reason_and_a_new_claim_waits_a_day(session):
    community, mod = community_with_moderator(session)
    ann = add_user(session, "ann@example.com")
    made = claims.claim(session, ann, community, "AnnBets", NOW)

    with pytest.raises(UserError, match="reason"):
        claims.reject(session, mod, made.id, "", NOW)
    claims.reject(session, mod, made.id, "Not in our affiliate stats", NOW)
    with pytest.raises(UserError, match="once a day"):
        claims.claim(session, ann, community, "AnnBets2", NOW + timedelta(hours=23))
    again = claims.claim(session, ann, community, "AnnBets2", NOW + timedelta(hours=24))
    session.commit()

    assert made.reason == "Not in our affiliate stats" and again.status == ClaimStatus.PENDING


def test_one_viewer_per_username_whatever_its_case(session):
    community, mod = community_with_moderator(session)
    ann = add_user(session, "ann@example.com")
    bob = add_user(session, "bob@example.com")
    claims.claim(session, ann, community, "LuckyOne", NOW)

    with pytest.raises(UserError, match="Another viewer has claimed that username"):
        claims.claim(session, bob, community, "luckyone", NOW)


def test_two_viewers_claiming_one_username_at_once_one_wins(session):
    community, _ = community_with_moderator(session)
    ann = add_user(session, "ann@example.com")
    bob = add_user(session, "bob@example.com")

    def claim(user_id):
        def run():
            with db.session_scope() as s:
                return claims.claim(
                    s, s.get(User, user_id), s.get(Community, community.id), "Lucky", NOW
                )

        return run

    results = all_at_once([claim(ann.id), claim(bob.id)])

    assert len([r for r in results if isinstance(r, UserError)]) == 1, results


def test_a_moderator_of_another_community_cannot_decide_a_claim(session):
    community, _ = community_with_moderator(session)
    _other, other_mod = community_with_moderator(session, "other")
    ann = add_user(session, "ann@example.com")
    made = claims.claim(session, ann, community, "AnnBets", NOW)

    with pytest.raises(NotAllowed):
        claims.approve(session, other_mod, made.id, NOW)
    with pytest.raises(NotAllowed):
        claims.reject(session, other_mod, made.id, "Not in our stats", NOW)
    with pytest.raises(NotAllowed):
        claims.approve(session, ann, made.id, NOW)


def test_a_username_must_look_like_one(session):
    community, _ = community_with_moderator(session)
    ann = add_user(session, "ann@example.com")

    with pytest.raises(UserError, match="exactly as the site shows it"):
        claims.claim(session, ann, community, "https://example.com/x", NOW)
