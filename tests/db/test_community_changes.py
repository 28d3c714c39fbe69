"""Every community service announces its change on the community's topic (and the members'
whose pages change), once its unit of work commits and never when it fails; community tickets
do not wake the club's pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session

from luckyclub.community import (
    chat_time,
    claims,
    communities,
    exclusions,
    identities,
    periods,
    pool,
    tickets,
)
from luckyclub.core import db
from luckyclub.core.errors import UserError
from luckyclub.models import Community, LedgerSource, Role, User, utcnow
from luckyclub.platform import changes
from tests.db.community_helpers import community_with_moderator, linked_viewer
from tests.db.factories import add_user
from tests.db.test_announced_changes import (
    REFUSED,
    Case,
    Ear,
    Records,
    announcing_commits_fail,
)


@pytest.fixture()
def ear(app_db) -> Iterator[Ear]:
    ear = Ear()
    yield ear
    ear.listening.stop()


def _community(session: Session) -> Records:
    community, moderator = community_with_moderator(session)
    viewer = linked_viewer(session, "ann@example.com", 1)
    return {
        "community": community.id,
        "moderator": moderator.id,
        "viewer": viewer.id,
        "unlinked": add_user(session, "bob@example.com").id,
        "admin": add_user(session, "boss@example.com", Role.ADMIN).id,
    }


def _topic(r: Records) -> str:
    return changes.community(r["community"])


def _with(act):
    """Run `act(session, community, moderator, r)` in its own unit of work."""

    def run(r: Records) -> None:
        with db.session_scope() as session:
            community = db.get_existing(session, Community, r["community"])
            act(session, community, db.get_existing(session, User, r["moderator"]), r)

    return run


def _ended_period(session: Session) -> Records:
    """A community whose viewer earned in last month's period, which has ended."""
    r = _community(session)
    with db.session_scope() as writing:
        community = db.get_existing(writing, Community, r["community"])
        last_month = utcnow() - timedelta(days=32)
        tickets.credit_kick(writing, community, 1, LedgerSource.WATCHTIME, 10, "a", last_month)
        r["period"] = periods.period_of(writing, community, last_month).id
    return r


def _drawn_topics(r: Records) -> set[str]:
    with db.session_scope() as session:
        draw = periods.draw_of(session, r["period"])
        assert draw is not None
        return {changes.draw(draw.id), _topic(r), changes.ADMIN_DRAWS, changes.member(r["viewer"])}


def _created(r: Records) -> None:
    with db.session_scope() as session:
        admin = db.get_existing(session, User, r["admin"])
        communities.create(
            session, admin, communities.CommunityForm(name="New one", slug="new-one")
        )


def _created_topics(r: Records) -> set[str]:
    with db.session_scope() as session:
        community = communities.by_slug(session, "new-one")
        assert community is not None
        return {changes.community(community.id)}


def _claimed(session: Session) -> Records:
    r = _community(session)
    with db.session_scope() as writing:
        viewer = db.get_existing(writing, User, r["viewer"])
        community = db.get_existing(writing, Community, r["community"])
        r["claim"] = claims.claim(writing, viewer, community, "AnnBets").id
    return r


CASES = [
    Case(
        "a Kick credit to a linked viewer",
        _community,
        _with(
            lambda s, c, m, r: tickets.credit_kick(
                s, c, 1, LedgerSource.WATCHTIME, 10, "chat:1", utcnow()
            )
        ),
        lambda r: {_topic(r), changes.member(r["viewer"])},
    ),
    Case(
        "tickets held for an unlinked Kick id",
        _community,
        _with(
            lambda s, c, m, r: tickets.credit_kick(
                s, c, 2, LedgerSource.GIFTED_SUB, 15, "gift:1", utcnow()
            )
        ),
        lambda r: {_topic(r)},
    ),
    Case(
        "a moderator's bonus",
        _community,
        _with(lambda s, c, m, r: tickets.give(s, m, c, r["viewer"], 5, "Won the quiz")),
        lambda r: {_topic(r), changes.member(r["viewer"])},
    ),
    Case(
        "a Kick link that releases held tickets",
        _community,
        _with(
            lambda s, c, m, r: (
                tickets.credit_kick(s, c, 2, LedgerSource.WATCHTIME, 10, "chat:2", utcnow()),
                identities.link_kick(s, db.get_existing(s, User, r["unlinked"]), 2, "bob"),
            )
        ),
        lambda r: {_topic(r), changes.member(r["unlinked"])},
    ),
    Case(
        "an affiliate username claimed",
        _community,
        _with(lambda s, c, m, r: claims.claim(s, db.get_existing(s, User, r["viewer"]), c, "AnnB")),
        lambda r: {_topic(r), changes.member(r["viewer"])},
    ),
    Case(
        "an affiliate username verified",
        _claimed,
        _with(lambda s, c, m, r: claims.approve(s, m, r["claim"])),
        lambda r: {_topic(r), changes.member(r["viewer"])},
    ),
    Case(
        "a Kick account excluded",
        _community,
        _with(lambda s, c, m, r: exclusions.exclude(s, m, c, 99, "A chat bot")),
        lambda r: {_topic(r)},
    ),
    Case("a community created", _community, _created, _created_topics),
    Case(
        "the monthly reset",
        _ended_period,
        lambda r: periods.run_reset(),
        lambda r: {_topic(r)},
    ),
    Case(
        "a moderator's draw",
        _ended_period,
        lambda r: pool.draw_now(r["moderator"], r["community"], r["period"]),
        _drawn_topics,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_community_change_is_heard_once_committed_and_never_when_it_fails(
    session, ear, settings_env, case
):
    settings_env(DRAW_BEACON="0")
    records = case.setup(session)
    ear.since_last_time()

    with pytest.raises(UserError, match=REFUSED), announcing_commits_fail():
        case.act(records)
    assert ear.since_last_time() == set()

    case.act(records)
    heard = ear.since_last_time()
    wanted = case.topics(records)
    assert wanted <= heard, f"not heard: {sorted(wanted - heard)}"


def test_community_tickets_do_not_wake_the_club_pages(session, ear):
    records = _community(session)
    ear.since_last_time()

    _with(
        lambda s, c, m, r: (
            tickets.credit_kick(s, c, 1, LedgerSource.WATCHTIME, 10, "chat:1", utcnow()),
            tickets.give(s, m, c, r["viewer"], 5, "Won the quiz"),
        )
    )(records)

    assert changes.CLUB not in ear.since_last_time()


def test_a_chat_minute_wakes_the_moderators_console_not_every_viewers_page(session, ear):
    """While a channel is live, minutes are given every minute: only the console shows them, so
    only its topic is announced; the public pages wake when the hour converts to tickets."""
    records = _community(session)
    community = session.get(Community, records["community"])
    community.is_live = True
    session.add(community)
    session.commit()
    now = utcnow()
    for kick_id in (1, 2):
        chat_time.record_chat(session, community, kick_id, f"k{kick_id}", now)
    session.commit()
    ear.since_last_time()

    with db.session_scope() as s:
        given = chat_time.tick(s, db.get_existing(s, Community, records["community"]), now)

    assert given == 2
    heard = ear.since_last_time()
    assert changes.community_chat(records["community"]) in heard
    assert _topic(records) not in heard
