"""Signing up first come, first served, waitlists and the offers a freed spot makes, as members
meet them: limits, cancellations, offers accepted, declined or expired down the waitlist, and the
races (the last spot, two offer jobs at once) on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, func, select

from luckyclub import jobs
from luckyclub.core import db, routes
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.core.settings import get_settings
from luckyclub.lotteries import family, signups
from luckyclub.models import (
    AuditLog,
    DrawStatus,
    Signup,
    SignupSource,
    SignupStatus,
    User,
    WaitlistEntry,
    utcnow,
)
from tests.db.locks import all_at_once
from tests.db.signup_lists import (  # noqa: F401 - lottery_pool: a fixture every test uses
    add_person,
    elements_of,
    emails_to,
    in_two_days,
    lottery_pool,
    make_list,
    self_of,
    set_phase,
)


@pytest.fixture()
def people(session) -> list[User]:
    return [add_person(session, f"{name}@example.com") for name in ("ann", "bob", "cat", "dan")]


def signup_of(session, user: User) -> Signup | None:
    return session.exec(
        select(Signup).where(Signup.user_id == user.id).order_by(col(Signup.id).desc())
    ).first()


def waiting(session, element_id: int) -> list[int]:
    """The user ids on an element's waitlist, in order."""
    return list(
        session.exec(
            select(WaitlistEntry.user_id)
            .where(WaitlistEntry.element_id == element_id)
            .order_by(col(WaitlistEntry.position))
        ).all()
    )


def test_members_sign_up_while_spots_remain_then_join_the_waitlist(session, people):
    ann, bob, cat, _ = people
    made = make_list(session, ann, items=(("Cake", 2),), waitlist=True)
    [cake] = elements_of(session, made)
    me = self_of(session, ann)

    with pytest.raises(UserError, match="Cake has a free spot: sign up instead"):
        signups.join_waitlist(session, cat, cake.id, self_of(session, cat).id)
    signups.sign_up(session, ann, cake.id, me.id)
    with pytest.raises(UserError, match="is already signed up for Cake"):
        signups.sign_up(session, ann, cake.id, me.id)
    signups.sign_up(session, bob, cake.id, self_of(session, bob).id)
    with pytest.raises(UserError, match="^Cake is full: join its waitlist instead.$"):
        signups.sign_up(session, cat, cake.id, self_of(session, cat).id)
    with pytest.raises(UserError, match="Ann already has a spot on Cake"):
        signups.join_waitlist(session, ann, cake.id, me.id)
    with pytest.raises(UserError, match="Choose one of your own family members"):
        signups.sign_up(session, cat, cake.id, me.id)
    place = signups.join_waitlist(session, cat, cake.id, self_of(session, cat).id)
    with pytest.raises(UserError, match="on the waitlist for Cake already"):
        signups.join_waitlist(session, cat, cake.id, self_of(session, cat).id)
    session.commit()

    assert signups.taken(session, cake.id) == 2 and place.position == 1
    assert signup_of(session, ann).source == SignupSource.DIRECT


def test_a_list_without_a_waitlist_is_simply_full(session, people):
    ann, bob, *_ = people
    made = make_list(session, ann, items=(("Cake", 1),))
    [cake] = elements_of(session, made)
    signups.sign_up(session, ann, cake.id, self_of(session, ann).id)
    with pytest.raises(UserError, match="^Cake is full.$"):
        signups.sign_up(session, bob, cake.id, self_of(session, bob).id)
    with pytest.raises(UserError, match="This list has no waitlist"):
        signups.join_waitlist(session, bob, cake.id, self_of(session, bob).id)


def test_the_limit_counts_confirmed_and_pending_spots_across_the_list(session, people):
    ann, bob, *_ = people
    made = make_list(
        session, ann, items=(("Cake", 1), ("Tea", 1), ("Jam", 1)), per_member_limit=2, waitlist=True
    )
    cake, tea, jam = elements_of(session, made)
    me = self_of(session, bob)
    signups.sign_up(session, ann, cake.id, self_of(session, ann).id)
    signups.join_waitlist(session, bob, cake.id, me.id)
    signups.sign_up(session, bob, tea.id, me.id)
    signups.cancel(session, ann, signup_of(session, ann).id)  # Bob is offered the cake
    session.commit()
    assert signups.held(session, made.id, me.id) == 2

    with pytest.raises(UserError, match="^Bob already holds 2 spots on this list, its limit"):
        signups.sign_up(session, bob, jam.id, me.id)
    kid = family.add(session, bob, "Kim")  # the limit is per family member
    signups.sign_up(session, bob, jam.id, kid.id)


def test_cancelling_offers_the_spot_to_the_next_person_by_email(session, people):
    ann, bob, cat, _ = people
    made = make_list(session, ann, items=(("Cake", 1),), waitlist=True)
    [cake] = elements_of(session, made)
    signups.sign_up(session, ann, cake.id, self_of(session, ann).id)
    signups.join_waitlist(session, bob, cake.id, self_of(session, bob).id)
    signups.join_waitlist(session, cat, cake.id, self_of(session, cat).id)
    session.commit()
    before = utcnow()

    signups.cancel(session, ann, signup_of(session, ann).id)
    session.commit()

    offer = signup_of(session, bob)
    assert (offer.status, offer.source) == (SignupStatus.PENDING, SignupSource.WAITLIST)
    assert before + signups.OFFER_FOR <= offer.expires_at <= utcnow() + signups.OFFER_FOR
    assert waiting(session, cake.id) == [cat.id]  # Bob holds the offer instead of his place
    [email] = emails_to(session, "bob@example.com", "spot_offered")
    link = get_settings().app_url + routes.offer_page(offer.accept_token)
    assert link in email.text_body and "Bake sale" in email.subject
    assert emails_to(session, "ann@example.com") == []  # cancelling is not emailed


def test_an_offer_is_accepted_or_declined_by_its_link_and_its_own_account(session, people):
    ann, bob, cat, _ = people
    made = make_list(session, ann, items=(("Cake", 1),), waitlist=True)
    [cake] = elements_of(session, made)
    signups.sign_up(session, ann, cake.id, self_of(session, ann).id)
    for person in (bob, cat):
        signups.join_waitlist(session, person, cake.id, self_of(session, person).id)
    signups.cancel(session, ann, signup_of(session, ann).id)
    session.commit()
    token = signup_of(session, bob).accept_token

    with pytest.raises(NotAllowed, match="made to another account"):
        signups.accept(session, cat, token)
    signups.decline(session, bob, token)
    session.commit()
    with pytest.raises(UserError, match="This offer has ended"):
        signups.accept(session, bob, token)
    assert signup_of(session, bob) is None

    cats = signup_of(session, cat)
    accepted = signups.accept(session, cat, cats.accept_token)
    session.commit()
    assert (accepted.status, accepted.expires_at, accepted.accept_token) == (
        SignupStatus.CONFIRMED,
        None,
        None,
    )


def test_an_expired_offer_passes_down_the_waitlist_skipping_people_at_their_limit(session, people):
    ann, bob, cat, dan = people
    made = make_list(
        session, ann, items=(("Cake", 1), ("Tea", 1)), per_member_limit=1, waitlist=True
    )
    cake, tea = elements_of(session, made)
    signups.sign_up(session, ann, cake.id, self_of(session, ann).id)
    for person in (bob, cat, dan):
        signups.join_waitlist(session, person, cake.id, self_of(session, person).id)
    signups.sign_up(session, cat, tea.id, self_of(session, cat).id)  # Cat is at her limit
    signups.cancel(session, ann, signup_of(session, ann).id)
    session.commit()
    first = signup_of(session, bob)

    assert signups.expire_offers(session, first.expires_at - timedelta(seconds=1)) == 0
    later = first.expires_at + timedelta(seconds=1)
    assert signups.expire_offers(session, later) == 1
    session.commit()

    assert signup_of(session, bob) is None
    assert len(emails_to(session, "bob@example.com", "offer_expired")) == 1
    dans = signup_of(session, dan)  # Cat was skipped...
    assert dans.status == SignupStatus.PENDING and dans.expires_at == later + signups.OFFER_FOR
    assert waiting(session, cake.id) == [cat.id]  # ...and keeps her place
    assert emails_to(session, "cat@example.com", "spot_offered") == []

    signups.cancel(session, cat, signup_of(session, cat).id)  # under her limit again
    assert signups.expire_offers(session, dans.expires_at + timedelta(seconds=1)) == 1
    session.commit()
    assert signup_of(session, cat).element_id == cake.id  # now she is offered the cake


def test_with_no_one_left_on_the_waitlist_the_spot_opens_to_everyone(session, people):
    ann, bob, cat, _ = people
    made = make_list(session, ann, items=(("Cake", 1),), waitlist=True)
    [cake] = elements_of(session, made)
    signups.sign_up(session, ann, cake.id, self_of(session, ann).id)
    signups.join_waitlist(session, bob, cake.id, self_of(session, bob).id)
    signups.cancel(session, ann, signup_of(session, ann).id)
    signups.expire_offers(session, utcnow() + timedelta(days=2))
    session.commit()

    assert signups.taken(session, cake.id) == 0 and waiting(session, cake.id) == []
    signups.sign_up(session, cat, cake.id, self_of(session, cat).id)


def test_an_offer_past_its_deadline_cannot_be_accepted(session, people):
    ann, bob, *_ = people
    made = make_list(session, ann, items=(("Cake", 1),), waitlist=True)
    [cake] = elements_of(session, made)
    signups.sign_up(session, ann, cake.id, self_of(session, ann).id)
    signups.join_waitlist(session, bob, cake.id, self_of(session, bob).id)
    signups.cancel(session, ann, signup_of(session, ann).id)
    session.commit()
    offer = signup_of(session, bob)
    with pytest.raises(UserError, match="^This offer expired on "):
        signups.accept(session, bob, offer.accept_token, offer.expires_at + timedelta(minutes=1))


def test_an_editor_removes_a_signup_and_the_person_is_told_why(session, people):
    ann, bob, cat, _ = people
    made = make_list(session, ann, items=(("Cake", 1),), waitlist=True)
    [cake] = elements_of(session, made)
    signups.sign_up(session, bob, cake.id, self_of(session, bob).id)
    signups.join_waitlist(session, cat, cake.id, self_of(session, cat).id)
    session.commit()

    with pytest.raises(NotAllowed):
        signups.remove_by_editor(session, cat, signup_of(session, bob).id, "Not in the club")
    with pytest.raises(UserError, match="Give a reason"):
        signups.remove_by_editor(session, ann, signup_of(session, bob).id, "no")
    signups.remove_by_editor(session, ann, signup_of(session, bob).id, "Bob baked last time")
    session.commit()

    [email] = emails_to(session, "bob@example.com", "signup_removed")
    assert "Bob baked last time" in email.text_body
    assert signup_of(session, cat).status == SignupStatus.PENDING  # the spot went on
    audited = session.exec(select(AuditLog).where(AuditLog.action == "signup.remove")).one()
    assert audited.actor_id == ann.id and "Bob from Cake" in audited.detail


def test_an_editor_takes_someone_off_a_waitlist_and_they_are_told_why(session, people):
    ann, bob, cat, dan = people
    made = make_list(session, ann, items=(("Cake", 1),), waitlist=True)
    [cake] = elements_of(session, made)
    signups.sign_up(session, bob, cake.id, self_of(session, bob).id)
    signups.join_waitlist(session, cat, cake.id, self_of(session, cat).id)
    signups.join_waitlist(session, dan, cake.id, self_of(session, dan).id)
    session.commit()
    cats = session.exec(select(WaitlistEntry).where(WaitlistEntry.user_id == cat.id)).one()

    with pytest.raises(NotAllowed):
        signups.remove_place_by_editor(session, bob, cats.id, "Not in the club")
    session.rollback()
    signups.remove_place_by_editor(session, ann, cats.id, "Cat moved away")
    session.commit()

    [email] = emails_to(session, "cat@example.com", "signup_removed")
    assert email.subject == "Cat's place on the waitlist on Bake sale was removed"
    assert "Cat moved away" in email.text_body
    assert waiting(session, cake.id) == [dan.id]  # Dan is next now
    audited = session.exec(select(AuditLog).where(AuditLog.action == "place.remove")).one()
    assert audited.actor_id == ann.id and "Cat from Cake: Cat moved away" in audited.detail


def test_a_lottery_list_takes_entries_first_then_first_come_signups(session, people):
    ann, bob, *_ = people
    made = make_list(
        session,
        ann,
        items=(("Cake", 2),),
        is_lottery=True,
        lottery_local=in_two_days(),
        waitlist=True,
    )
    [cake] = elements_of(session, made)
    me = self_of(session, bob)

    with pytest.raises(UserError) as before:
        signups.sign_up(session, bob, cake.id, me.id)
    assert before.value.message.startswith("This list's spots are drawn by lottery on ")
    assert before.value.message.endswith(": enter the lottery instead.")
    with pytest.raises(UserError, match="drawn by lottery"):
        signups.join_waitlist(session, bob, cake.id, me.id)

    set_phase(session, made, DrawStatus.CLOSED)
    with pytest.raises(UserError, match="^Lottery in progress"):
        signups.sign_up(session, bob, cake.id, me.id)

    set_phase(session, made, DrawStatus.DRAWN)
    signups.sign_up(session, bob, cake.id, me.id)  # what is left: first come, first served


def test_the_offers_job_runs_every_two_minutes_and_expires_offers(session, people, app_db):
    ann, bob, *_ = people
    made = make_list(session, ann, items=(("Cake", 1),), waitlist=True)
    [cake] = elements_of(session, made)
    signups.sign_up(session, ann, cake.id, self_of(session, ann).id)
    signups.join_waitlist(session, bob, cake.id, self_of(session, bob).id)
    signups.cancel(session, ann, signup_of(session, ann).id)
    offer = signup_of(session, bob)
    offer.expires_at = utcnow() - timedelta(minutes=1)
    session.add(offer)
    session.commit()

    job = jobs.JOBS["offers"]
    assert job.trigger.interval == timedelta(minutes=2)
    assert jobs.run_job(job).detail == "expired 1 offer"
    assert jobs.run_job(job).detail == "expired 0 offers"


# ---- races on PostgreSQL -----------------------------------------------------------------------


@pytest.fixture()
def postgres(app_db):
    if app_db.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; the race needs PostgreSQL's row locks")
    return app_db


def test_two_members_racing_for_the_last_spot_get_one_signup(postgres, session, people):
    ann, *racers = people
    made = make_list(session, ann, items=(("Cake", 1),))
    [cake] = elements_of(session, made)
    members = {racer.id: self_of(session, racer).id for racer in racers}

    def sign_up(racer: User):
        with db.session_scope() as s:
            return signups.sign_up(s, s.get(User, racer.id), cake.id, members[racer.id]).id

    for _ in range(5):  # a race is won by chance: run it a few times
        results = all_at_once([lambda racer=racer: sign_up(racer) for racer in racers])
        won = [r for r in results if isinstance(r, int)]
        refused = [r for r in results if isinstance(r, UserError)]
        assert len(won) == 1 and len(refused) == len(racers) - 1, results
        assert all(r.message == "Cake is full." for r in refused)
        with Session(postgres) as s:
            assert s.exec(select(func.count()).select_from(Signup)).one() == 1
            s.delete(s.get(Signup, won[0]))
            s.commit()


def test_two_offer_jobs_at_once_expire_each_offer_once(postgres, session, people):
    ann, *waiters = people
    made = make_list(session, ann, items=(("Cake", 1), ("Tea", 1)), waitlist=True)
    elements = elements_of(session, made)
    for element in elements:
        signups.sign_up(session, ann, element.id, self_of(session, ann).id)
        for person in waiters:
            signups.join_waitlist(session, person, element.id, self_of(session, person).id)
        signups.cancel(session, ann, signup_of(session, ann).id)
    session.commit()
    first_offers = session.exec(select(Signup)).all()
    assert len(first_offers) == 2
    late = max(o.expires_at for o in first_offers) + timedelta(seconds=1)

    def expire() -> int:
        with db.session_scope() as s:
            return signups.expire_offers(s, late)

    results = all_at_once([expire, expire, expire])

    assert sorted(results) in ([0, 0, 2], [0, 1, 1]), results
    with Session(postgres) as s:
        offers = s.exec(select(Signup).order_by(col(Signup.element_id))).all()
        assert [o.user_id for o in offers] == [waiters[1].id, waiters[1].id]  # the next person
        assert len(emails_to(s, waiters[0].email, "offer_expired")) == 2
        assert len(emails_to(s, waiters[1].email, "spot_offered")) == 2


def test_each_change_is_announced_on_the_list_and_on_each_members_own_pages(session, people):
    ann, bob, *_ = people
    made = make_list(session, ann, items=(("Cake", 1),), waitlist=True)
    [cake] = elements_of(session, made)
    topics = changes_said(session)

    signups.sign_up(session, ann, cake.id, self_of(session, ann).id)
    assert topics() == {f"list:{made.id}", f"member:{ann.id}"}
    signups.join_waitlist(session, bob, cake.id, self_of(session, bob).id)
    assert topics() == {f"list:{made.id}", f"member:{bob.id}"}
    signups.cancel(session, ann, signup_of(session, ann).id)  # Bob is offered the spot
    assert topics() == {f"list:{made.id}", f"member:{ann.id}", f"member:{bob.id}"}


def changes_said(session):
    """What the open unit of work has announced since the last call (committing in between)."""

    def said() -> set[str]:
        pending = set(session.info.get("luckyclub.changes.pending", set()))
        session.commit()
        return pending

    said()
    return said
