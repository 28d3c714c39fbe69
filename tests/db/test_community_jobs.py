"""The community's scheduled jobs: registered on their schedules, and each run twice at once (two
schedulers, or one and `luckyclub jobs run-due`) doing its work once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import insert
from sqlmodel import Session, select

from luckyclub import jobs
from luckyclub.club import ledger
from luckyclub.community import chat_time, inbox, periods, wagers
from luckyclub.core import db
from luckyclub.models import AffiliateClaim, ChatMinute, ClaimStatus, WagerPoll, utcnow
from tests.db.community_helpers import linked_viewer
from tests.db.factories import add_community, add_user
from tests.db.kick_viewers import BROADCASTER, as_json, gift_body
from tests.db.locks import all_at_once
from tests.fake_affiliate import FakeAffiliate


def test_the_community_jobs_run_on_their_schedules():
    assert jobs.JOBS["kick_inbox"].trigger.interval == timedelta(seconds=5)
    assert jobs.JOBS["chat_time"].trigger.interval == timedelta(minutes=1)
    assert jobs.JOBS["wagers"].trigger.interval == timedelta(minutes=15)
    hourly = jobs.JOBS["chat_hours"].trigger
    assert isinstance(hourly, CronTrigger)
    assert {f.name: str(f) for f in hourly.fields}["minute"] == "1"


def twice_at_once(name: str) -> list:
    runs = all_at_once([lambda: jobs.run_job(jobs.JOBS[name])] * 2)
    assert [run.outcome for run in runs] == ["ok", "ok"], [run.detail for run in runs]
    return runs


def test_the_inbox_job_twice_at_once_processes_each_event_once(app_db, session):
    community = add_community(session, kick_broadcaster_id=BROADCASTER)
    gifter = linked_viewer(session, "ann@example.com", 42)
    now = utcnow()
    with db.session_scope() as unit:
        for n in range(5):
            moment = now - timedelta(seconds=n)
            body = as_json(gift_body(42, [7], moment))
            inbox.store(unit, f"msg-{n}", inbox.GIFTED_SUBS, body, moment)

    twice_at_once("kick_inbox")

    with Session(app_db) as fresh:
        period = periods.period_of(fresh, community, now)
        assert ledger.balance(fresh, period.id, gifter.id) == 5 * 15


def test_the_hourly_job_twice_at_once_converts_each_hour_once(app_db, session):
    community = add_community(session, kick_broadcaster_id=BROADCASTER)
    ann = linked_viewer(session, "ann@example.com", 1)
    hour = chat_time.hour_of(utcnow()) - timedelta(hours=2)
    session.execute(
        insert(ChatMinute),
        [
            {
                "community_id": community.id,
                "kick_user_id": 1,
                "minute": hour + timedelta(minutes=m),
                "converted": False,
            }
            for m in range(60)
        ],
    )
    session.commit()

    twice_at_once("chat_hours")

    with Session(app_db) as fresh:
        period = periods.period_of(fresh, community, hour)
        assert ledger.balance(fresh, period.id, ann.id) == 10


@pytest.fixture()
def stats(monkeypatch):
    with FakeAffiliate().running() as server:
        monkeypatch.setenv("LELE_STATS", server.stats_url)
        yield server


def test_the_wagers_job_twice_at_once_credits_once(app_db, session, stats):
    community = add_community(session, affiliate_source="LELE_STATS")
    obel = add_user(session, "obel@example.com")
    session.add(
        AffiliateClaim(
            community_id=community.id,
            user_id=obel.id,
            username="Obel",
            username_key="obel",
            status=ClaimStatus.VERIFIED,
        )
    )
    session.commit()
    stats.totals = {"Obel": 3000}

    twice_at_once("wagers")

    with Session(app_db) as fresh:
        period = periods.period_of(fresh, community, utcnow())
        assert wagers.credited_so_far(fresh, period.id, obel.id) == 60
        polls = fresh.exec(select(WagerPoll)).all()
        assert [(p.ok, p.credited) for p in polls] in ([(True, 60)], [(True, 60), (True, 0)])
