"""The read models of a community's pages: public page, a viewer's page, the console."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlmodel import select

from luckyclub.community import claims, communities, console, periods, tickets, views
from luckyclub.core.errors import NotAllowed
from luckyclub.models import (
    EntryBalance,
    KickGift,
    KickIdentity,
    LedgerSource,
    Role,
    User,
    table_of,
)
from tests.db.factories import add_user

NOW = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)


def community_with_moderator(session, slug="lele"):
    admin = add_user(session, f"admin@{slug}.example.com", Role.ADMIN)
    community = communities.create(
        session,
        admin,
        communities.CommunityForm(
            name="Lele's raffle", slug=slug, prize="$500", affiliate_source="LELE_STATS_URL"
        ),
    )
    session.commit()
    mod = add_user(session, f"mod@{slug}.example.com")
    communities.add_moderator(session, admin, community.id, mod.email)
    session.commit()
    return community, mod


def linked(session, email, kick_user_id, username, shown=False):
    user = add_user(session, email)
    user.show_on_leaderboard = shown
    session.add(KickIdentity(kick_user_id=kick_user_id, username=username, user_id=user.id))
    session.commit()
    return user


def test_the_public_page_shows_the_period_totals_by_source_and_the_leaderboard(session):
    community, _mod = community_with_moderator(session)
    ann = linked(session, "ann@example.com", 1, "ann_kick", shown=True)
    linked(session, "bob@example.com", 2, "bob_kick")
    tickets.credit_kick(session, community, 1, LedgerSource.WATCHTIME, 10, "c1", NOW)
    tickets.credit_kick(session, community, 1, LedgerSource.GIFTED_SUB, 30, "g1", NOW)
    tickets.credit_kick(session, community, 2, LedgerSource.WATCHTIME, 20, "c2", NOW)
    tickets.credit_kick(session, community, 3, LedgerSource.WATCHTIME, 10, "c3", NOW)  # held
    session.commit()

    page = views.public_page(session, "lele", NOW)

    assert page is not None and page.name == "Lele's raffle" and page.prize == "$500"
    assert page.period_label == "November 2026"
    assert page.period_ends_at == datetime(2026, 12, 1, tzinfo=UTC)
    assert (page.total_tickets, page.participants) == (60, 2)
    assert [(s.words, s.tickets) for s in page.by_source] == [
        ("Chat time", 30),
        ("Gifted subs", 30),
    ]
    bob = session.get(User, ann.id + 1)
    assert [(r.rank, r.name, r.tickets) for r in page.leaderboard] == [
        (1, "Ann", 40),
        (2, f"Viewer #{bob.id}", 20),
    ]
    assert "$1,000 wagered = 20 tickets" in page.rates.lines[-1]
    assert page.draw is not None and page.draw.status == "scheduled"
    assert views.public_page(session, "nobody", NOW) is None


def test_a_viewer_sees_their_tickets_rows_link_and_claim(session):
    community, _mod = community_with_moderator(session)
    ann = linked(session, "ann@example.com", 1, "ann_kick")
    tickets.credit_kick(session, community, 1, LedgerSource.WATCHTIME, 10, "c1", NOW)
    claims.claim(session, ann, community, "AnnBets", NOW)
    session.commit()

    page = views.viewer_page(session, community, ann, NOW)

    assert page.tickets == 10 and page.odds_percent == 100.0
    assert [(r.words, r.amount) for r in page.rows] == [("Chat time", 10)]
    assert page.kick.linked and page.kick.username == "ann_kick"
    assert page.claim is not None and page.claim.status == "pending"
    assert not page.can_claim


def test_the_console_is_for_this_communitys_moderators_only(session):
    community, mod = community_with_moderator(session)
    other, other_mod = community_with_moderator(session, "other")
    ann = add_user(session, "ann@example.com")
    claims.claim(session, ann, community, "AnnBets", NOW)
    tickets.give(session, mod, community, ann.id, 5, "Won the stream quiz", NOW)
    session.add(
        KickGift(
            community_id=community.id,
            raffle_id=1,
            message_id="m1",
            content_key="k1",
            gifter_kick_id=1,
            gifter_name="gifter",
            giftees=2,
            tickets=30,
            gifted_at=NOW,
        )
    )
    session.commit()

    page = console.moderator_console(session, mod, community, NOW)

    assert [row.username for row in page.link_queue] == ["AnnBets"]
    assert [g.gifter for g in page.gifts] == ["gifter"]
    assert page.stats.total_tickets == 5
    assert any(a.action == "community.tickets.give" for a in page.audit)
    assert page.moderators[0].name.startswith("Mod")
    with pytest.raises(NotAllowed):
        console.moderator_console(session, other_mod, community, NOW)
    with pytest.raises(NotAllowed):
        console.moderator_console(session, ann, community, NOW)


def test_the_leaderboard_of_100000_viewers_reads_in_milliseconds(session):
    community, _mod = community_with_moderator(session)
    period = periods.period_of(session, community, NOW)
    users = [
        {
            "email": f"v{n}@example.com",
            "password_hash": "x",
            "display_name": f"V{n}",
            "date_of_birth": datetime(1990, 1, 1).date(),
            "role": "member",
        }
        for n in range(100_000)
    ]
    blank = User(
        email="", password_hash="", display_name="", date_of_birth=users[0]["date_of_birth"]
    )
    defaults = {c.name: getattr(blank, c.name) for c in table_of(User).columns if c.name != "id"}
    session.execute(insert(table_of(User)), [defaults | u for u in users])
    ids = [u.id for u in session.exec(select(User).order_by(User.id))]
    session.execute(
        insert(table_of(EntryBalance)),
        [{"raffle_id": period.id, "user_id": i, "held": (i * 7919) % 5000 + 1} for i in ids],
    )
    session.commit()

    views.leaderboard(session, period.id)  # warm
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        rows = views.leaderboard(session, period.id, limit=25)
        timings.append(time.perf_counter() - started)
    timings.sort()

    assert [r.tickets for r in rows] == sorted((r.tickets for r in rows), reverse=True)
    assert rows[0].tickets == 5000
    assert timings[18] < 0.02, f"p95 {timings[18] * 1000:.1f} ms"
