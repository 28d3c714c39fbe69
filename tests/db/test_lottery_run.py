"""A lottery list's run on the draw lifecycle: entering, the run by the draws job, its signups,
waitlists and emails, its proof, and that it runs exactly once (tests/db/test_draw_races.py has
the race helpers)."""

from __future__ import annotations

import json
from datetime import date, time, timedelta

import pytest
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from luckyclub import jobs
from luckyclub.api.routes import build_api
from luckyclub.core.errors import UserError
from luckyclub.draws import verify
from luckyclub.lotteries import entries, phase, signups
from luckyclub.lotteries.lists import element_names, ordered_elements
from luckyclub.lotteries.phase import LotteryPhase
from luckyclub.lotteries.pool import LotteryPool
from luckyclub.models import (
    Draw,
    DrawStatus,
    DrawWinner,
    FamilyMember,
    ListElement,
    ListKind,
    ListStatus,
    LotteryEntry,
    OutboxMessage,
    Role,
    Signup,
    SignupList,
    SignupSource,
    SignupStatus,
    User,
    WaitlistEntry,
    utcnow,
)
from luckyclub.platform import draw_actions, draw_public, draws
from tests.db.factories import add_user
from tests.db.locks import all_at_once

pytestmark = pytest.mark.usefixtures("no_beacon")  # drawn as soon as it closes

LOTTERY_AT = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
DURING = LOTTERY_AT + timedelta(seconds=1)  # the lottery's time has come; not run yet
AFTER = LOTTERY_AT + timedelta(minutes=1)


def lottery_list(
    session: Session,
    creator: User,
    spots: dict[str, int],
    *,
    kind: str = ListKind.ITEMS,
    **options: object,
) -> SignupList:
    """A committed lottery list with its draw scheduled for LOTTERY_AT: items named as `spots`."""
    signup_list = SignupList(
        creator_id=creator.id,
        title="Summer <club>",
        kind=kind,
        is_lottery=True,
        lottery_at=LOTTERY_AT,
        timezone="Europe/London",
        **options,
    )
    session.add(signup_list)
    session.flush()
    for name, count in spots.items():
        session.add(ListElement(list_id=signup_list.id, name=name, spots=count))
    phase.sync_draw(session, signup_list)
    session.commit()
    return signup_list


def family(session: Session, user: User, *names: str) -> list[FamilyMember]:
    members = [FamilyMember(user_id=user.id, name=name) for name in names]
    session.add_all(members)
    session.commit()
    return members


def element(session: Session, signup_list: SignupList, name: str) -> ListElement:
    return session.exec(
        select(ListElement).where(ListElement.list_id == signup_list.id, ListElement.name == name)
    ).one()


def enter(session, user, signup_list, name, *members: FamilyMember) -> None:
    entries.enter(session, user, element(session, signup_list, name).id, [m.id for m in members])
    session.commit()


def run(now=AFTER) -> list[draws.Outcome]:
    return draws.run_due(now)


def draw_of(session, signup_list) -> Draw:
    session.expire_all()
    draw = phase.draw_of(session, signup_list)
    assert draw is not None
    return draw


def result_of(session, signup_list) -> dict[str, dict]:
    """The engine's result per element name: winners and waitlist as refs."""
    result = draws.runs_of(draw_of(session, signup_list))[0]["result"]
    return {e["name"]: e for e in result["elements"]}


def ref_of(session, signup_list, member: FamilyMember) -> str:
    return draws.ref_for(draw_of(session, signup_list).pool_id, member.id)


def signups_of(session, signup_list) -> list[Signup]:
    session.expire_all()
    return list(
        session.exec(
            select(Signup).where(Signup.list_id == signup_list.id).order_by(col(Signup.id))
        ).all()
    )


def waitlist_of(session, signup_list, name) -> list[int]:
    """Family member ids on an element's waitlist, first offered first."""
    return list(
        session.exec(
            select(WaitlistEntry.family_member_id)
            .where(WaitlistEntry.element_id == element(session, signup_list, name).id)
            .order_by(col(WaitlistEntry.position))
        ).all()
    )


def emails(session, template: str) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.template == template)))


@pytest.fixture()
def creator(session) -> User:
    return add_user(session, "creator@example.com")


@pytest.fixture()
def accounts(session) -> list[User]:
    return [add_user(session, f"parent{n}@example.com") for n in range(4)]


# ---- entering ------------------------------------------------------------------------------------


def test_an_account_enters_its_family_members_once_each_and_removes_an_entry(
    session, creator, accounts
):
    signup_list = lottery_list(session, creator, {"Cake": 3})
    ann, bob = family(session, accounts[0], "Ann", "Bob")
    enter(session, accounts[0], signup_list, "Cake", ann, bob)

    with pytest.raises(UserError, match="each family member enters once"):
        enter(session, accounts[0], signup_list, "Cake", ann)
    session.rollback()
    [stranger] = family(session, accounts[1], "Cy")
    with pytest.raises(UserError, match="members of your own family"):
        enter(session, accounts[0], signup_list, "Cake", stranger)
    session.rollback()

    entry = session.exec(select(LotteryEntry).where(LotteryEntry.family_member_id == bob.id)).one()
    with pytest.raises(UserError, match="not yours"):
        entries.remove(session, accounts[1], entry.id)
    entries.remove(session, accounts[0], entry.id)
    session.commit()
    assert LotteryPool().live_counts(session, draw_of(session, signup_list)) == (1, 1)


def test_an_account_enters_no_more_of_its_family_than_the_element_has_spots(
    session, creator, accounts
):
    signup_list = lottery_list(session, creator, {"Cake": 1})
    ann, bob = family(session, accounts[0], "Ann", "Bob")

    with pytest.raises(UserError, match="Cake has 1 spot: enter at most"):
        enter(session, accounts[0], signup_list, "Cake", ann, bob)


def test_closed_stopped_and_first_come_lists_take_no_entries(session, creator, accounts):
    signup_list = lottery_list(session, creator, {"Cake": 2})
    [ann] = family(session, accounts[0], "Ann")
    for status, words in ((ListStatus.CLOSED, "is closed"), (ListStatus.STOPPED, "stopped")):
        signup_list.status = status
        session.commit()
        with pytest.raises(UserError, match=words):
            enter(session, accounts[0], signup_list, "Cake", ann)
        session.rollback()
    signup_list.status, signup_list.is_lottery = ListStatus.OPEN, False
    session.commit()
    with pytest.raises(UserError, match="first come, first served"):
        enter(session, accounts[0], signup_list, "Cake", ann)


def test_entering_or_removing_once_the_lottery_time_has_come_is_refused(session, creator, accounts):
    signup_list = lottery_list(session, creator, {"Cake": 2})
    ann, bob = family(session, accounts[0], "Ann", "Bob")
    enter(session, accounts[0], signup_list, "Cake", ann)
    entry = session.exec(select(LotteryEntry)).one()
    cake = element(session, signup_list, "Cake")

    with pytest.raises(UserError, match=phase.IN_PROGRESS):
        entries.enter(session, accounts[0], cake.id, [bob.id], now=DURING)
    session.rollback()
    with pytest.raises(UserError, match=phase.IN_PROGRESS):
        entries.remove(session, accounts[0], entry.id, now=DURING)
    session.rollback()

    # Closed and frozen, but not drawn yet (its drand round is not out): still in progress.
    draw = draw_of(session, signup_list)
    assert draws.close(session, draw.id, DURING)
    session.commit()
    assert phase.phase_of(session, signup_list, DURING) == LotteryPhase.RUNNING
    with pytest.raises(UserError, match=phase.IN_PROGRESS):
        entries.enter(session, accounts[0], cake.id, [bob.id], now=DURING)
    session.rollback()
    assert session.exec(select(LotteryEntry.family_member_id)).all() == [ann.id]


# ---- the run -------------------------------------------------------------------------------------


def test_winners_get_pending_signups_for_24_hours_and_the_rest_join_the_waitlist_in_drawn_order(
    session, creator, accounts
):
    signup_list = lottery_list(session, creator, {"Cake": 2}, waitlist=True)
    members = [m for n, user in enumerate(accounts) for m in family(session, user, f"Kid{n}")]
    for user, member in zip(accounts, members, strict=True):
        enter(session, user, signup_list, "Cake", member)

    assert [o.status for o in run()] == ["drawn"]

    result = result_of(session, signup_list)["Cake"]
    by_ref = {ref_of(session, signup_list, m): m.id for m in members}
    won = signups_of(session, signup_list)
    assert sorted(s.family_member_id for s in won) == sorted(by_ref[r] for r in result["winners"])
    assert {(s.source, s.status) for s in won} == {(SignupSource.LOTTERY, SignupStatus.PENDING)}
    assert {s.expires_at for s in won} == {AFTER + timedelta(hours=24)}
    assert len({s.accept_token for s in won}) == 2
    assert waitlist_of(session, signup_list, "Cake") == [by_ref[r] for r in result["waitlist"]]
    assert len(result["waitlist"]) == 2
    positions = session.exec(select(WaitlistEntry.position).order_by(col(WaitlistEntry.position)))
    assert list(positions) == [1, 2]
    winners = session.exec(select(DrawWinner).order_by(col(DrawWinner.position))).all()
    assert [(w.position, w.element, w.ticket) for w in winners] == [
        (1, "Cake", None),
        (2, "Cake", None),
    ]
    assert {w.user_id for w in winners} == {s.user_id for s in won}


def test_without_a_waitlist_those_who_did_not_win_are_told_so(session, creator, accounts):
    signup_list = lottery_list(session, creator, {"Cake": 1}, waitlist=False)
    ann, bob = family(session, accounts[0], "Ann", "Bob")
    [cy] = family(session, accounts[1], "Cy")
    enter(session, accounts[0], signup_list, "Cake", ann)
    enter(session, accounts[1], signup_list, "Cake", cy)
    run()

    assert len(signups_of(session, signup_list)) == 1
    assert session.exec(select(WaitlistEntry)).all() == []
    texts = [m.text_body for m in emails(session, "lottery_result")]
    assert sum("did not win a spot: Cake." in text for text in texts) == 1


def test_an_under_subscribed_lottery_lets_everyone_win(session, creator, accounts):
    signup_list = lottery_list(session, creator, {"Cake": 5, "Tea": 2})
    ann, bob = family(session, accounts[0], "Ann", "Bob")
    [cy] = family(session, accounts[1], "Cy")
    enter(session, accounts[0], signup_list, "Cake", ann, bob)
    enter(session, accounts[1], signup_list, "Cake", cy)
    enter(session, accounts[1], signup_list, "Tea", cy)
    run()

    won = {(s.element_id, s.family_member_id) for s in signups_of(session, signup_list)}
    cake, tea = element(session, signup_list, "Cake").id, element(session, signup_list, "Tea").id
    assert won == {(cake, ann.id), (cake, bob.id), (cake, cy.id), (tea, cy.id)}
    assert session.exec(select(WaitlistEntry)).all() == []


def test_the_per_member_limit_holds_across_elements_and_those_at_it_still_wait(
    session, creator, accounts
):
    spots = {f"Day {n}": 1 for n in range(1, 6)}
    signup_list = lottery_list(session, creator, spots, per_member_limit=2, waitlist=True)
    [ann] = family(session, accounts[0], "Ann")
    [bob] = family(session, accounts[1], "Bob")
    for name in spots:
        enter(session, accounts[0], signup_list, name, ann)
        enter(session, accounts[1], signup_list, name, bob)
    run()

    held = [s.family_member_id for s in signups_of(session, signup_list)]
    assert sorted(held) == [ann.id, ann.id, bob.id, bob.id]  # 4 spots won, 2 each at most
    # The fifth day: both are at their limit, so nobody wins it; both wait on its list.
    result = result_of(session, signup_list)
    unwon = [name for name, e in result.items() if not e["winners"]]
    assert len(unwon) == 1
    assert sorted(waitlist_of(session, signup_list, unwon[0])) == sorted([ann.id, bob.id])


def test_events_are_drawn_in_date_order_a_date_alone_at_midnight_then_by_id(session, creator):
    signup_list = lottery_list(session, creator, {}, kind=ListKind.EVENTS)
    for name, day, at in (
        ("Late", date(2027, 3, 16), time(9)),
        ("Morning", date(2027, 3, 15), time(10)),
        ("All day", date(2027, 3, 15), None),
        ("Also all day", date(2027, 3, 15), None),
    ):
        session.add(ListElement(list_id=signup_list.id, name=name, event_date=day, event_time=at))
    session.commit()

    ordered = ordered_elements(session, signup_list.id)
    assert [e.name for e in ordered] == ["All day", "Also all day", "Morning", "Late"]
    names = element_names(signup_list, ordered)
    assert names[ordered[2].id] == "Morning, Mon 15 Mar 2027 10:00 GMT"
    assert names[ordered[0].id] == "All day, Mon 15 Mar 2027"


def test_an_accounts_family_entered_together_wins_together(session, creator, accounts):
    signup_list = lottery_list(session, creator, {"Cake": 2}, waitlist=True, families_together=True)
    ann, bob = family(session, accounts[0], "Ann", "Bob")
    singles = [m for user in accounts[1:] for m in family(session, user, f"Solo {user.id}")]
    enter(session, accounts[0], signup_list, "Cake", ann, bob)
    for user, member in zip(accounts[1:], singles, strict=True):
        enter(session, user, signup_list, "Cake", member)
    run()

    parameters = json.loads(draw_of(session, signup_list).parameters)
    pair = sorted([ref_of(session, signup_list, ann), ref_of(session, signup_list, bob)])
    assert parameters["groups"] == [{"element": "Cake", "refs": pair}]
    won = {s.family_member_id for s in signups_of(session, signup_list)}
    assert ({ann.id, bob.id} <= won) or not ({ann.id, bob.id} & won)


def test_one_email_per_account_and_one_to_the_creator(session, creator, accounts):
    signup_list = lottery_list(session, creator, {"Cake": 1, "Tea": 5}, waitlist=True)
    ann, bob = family(session, accounts[0], "Ann", "Bob")
    [cy] = family(session, accounts[1], "Cy")
    accounts[0].timezone = "America/New_York"
    session.commit()
    enter(session, accounts[0], signup_list, "Cake", ann)
    enter(session, accounts[1], signup_list, "Cake", cy)
    enter(session, accounts[0], signup_list, "Tea", ann, bob)
    run()

    mail = emails(session, "lottery_result")
    assert sorted(m.to_address for m in mail) == [accounts[0].email, accounts[1].email]
    text = next(m.text_body for m in mail if m.to_address == accounts[0].email)
    assert "The lottery for Summer <club> has completed." in text
    tokens = {
        s.family_member_id: s.accept_token
        for s in signups_of(session, signup_list)
        if s.element_id == element(session, signup_list, "Tea").id
    }
    deadline = (AFTER + timedelta(hours=24)).astimezone(__import__("zoneinfo").ZoneInfo("EST5EDT"))
    assert f"Ann won a spot: Tea. Accept it by {deadline:%d %b %Y, %H:%M} E" in text
    assert f"/offers/{tokens[ann.id]}" in text and f"/offers/{tokens[bob.id]}" in text
    assert "Bob won a spot: Tea." in text
    cake_winner = result_of(session, signup_list)["Cake"]["winners"]
    if cake_winner == [ref_of(session, signup_list, ann)]:
        assert "Ann won a spot: Cake." in text
    else:
        assert "Ann is number 1 on the waitlist: Cake." in text
    assert "&lt;club&gt;" in next(m.html_body for m in mail)

    [to_creator] = emails(session, "lottery_creator")
    assert to_creator.to_address == creator.email
    assert "Cake: 2 entries, 1 spot filled (pending acceptance), 1 on the waitlist." in (
        to_creator.text_body
    )
    assert "Tea: 2 entries, 2 spots filled (pending acceptance), 0 on the waitlist." in (
        to_creator.text_body
    )
    assert f"/lists/{signup_list.id}/edit" in to_creator.text_body


def test_the_proof_of_a_drawn_lottery_verifies(session, creator, accounts):
    signup_list = lottery_list(
        session, creator, {"Cake": 1, "Tea": 2}, per_member_limit=1, waitlist=True
    )
    for user in accounts:
        members = family(session, user, "Kid A", "Kid B")
        enter(session, user, signup_list, "Cake", members[0])
        enter(session, user, signup_list, "Tea", *members)
    run()
    draw = draw_of(session, signup_list)

    with TestClient(build_api()) as client:
        proof = client.get(f"/api/draws/{draw.id}/proof").json()
    assert proof["kind"] == "lottery"
    assert [e["name"] for e in proof["parameters"]["elements"]] == ["Cake", "Tea"]
    assert verify(proof).ok, verify(proof).differences
    assert draw_public.verify_document(proof).ok
    tampered = json.loads(json.dumps(proof))
    tampered["result"]["elements"][1]["waitlist"].reverse()
    assert not verify(tampered).ok

    view = draw_public.view(session, draw.id)
    assert view is not None and [w.ticket for w in view.winners][:1] == ["Cake"]
    ref = ref_of(session, signup_list, session.get(FamilyMember, 1) or FamilyMember())
    check = draw_public.check_entry(session, draw.id, ref, client_ip="203.0.113.9")
    assert check.found and check.verified
    assert draw_public.announcement(session, draw.id).startswith("🎉 Summer <club>")


def test_a_draw_page_lists_the_first_winners_and_says_the_proof_has_them_all(
    session, creator, accounts, monkeypatch
):
    from luckyclub.state.draws.draw_views import summary

    signup_list = lottery_list(session, creator, {"Cake": 3})
    for user in accounts:
        enter(session, user, signup_list, "Cake", *family(session, user, "Kid"))
    run()
    draw = draw_of(session, signup_list)
    monkeypatch.setattr(draw_public, "SHOWN_WINNERS", 2)

    view = draw_public.view(session, draw.id)
    assert view is not None and len(view.winners) == 2
    assert (view.winner_count, view.more_winners) == (3, 1)  # 3 spots, 4 entrants
    assert summary(view).more_winners_words == (
        "Showing the first 2 of 3 winners: the proof lists them all."
    )


def test_the_draws_job_runs_a_lottery_whose_time_has_come(session, creator, accounts):
    signup_list = lottery_list(session, creator, {"Cake": 1})
    [ann] = family(session, accounts[0], "Ann")
    enter(session, accounts[0], signup_list, "Cake", ann)
    assert jobs.run_draws() == "none due"
    draw = draw_of(session, signup_list)
    draw.draw_at = signup_list.lottery_at = utcnow() - timedelta(seconds=1)
    session.commit()

    assert jobs.run_draws() == "drawn: Drawn: 1 winner."
    assert [s.family_member_id for s in signups_of(session, signup_list)] == [ann.id]
    # Spots are not prizes: the admin's winner queue stays for the prizes to deliver.
    assert draw_public.winner_queue(session) == []


@pytest.mark.parametrize("status", [ListStatus.CLOSED, ListStatus.STOPPED])
def test_a_closed_or_stopped_lists_lottery_waits_until_it_is_reopened(
    session, creator, accounts, status
):
    signup_list = lottery_list(session, creator, {"Cake": 1})
    [ann] = family(session, accounts[0], "Ann")
    enter(session, accounts[0], signup_list, "Cake", ann)
    signup_list.status = status
    session.commit()

    assert run() == []  # held: not closed, not drawn
    assert draw_of(session, signup_list).status == DrawStatus.SCHEDULED
    assert phase.phase_of(session, signup_list, AFTER) == LotteryPhase.OPEN  # not "in progress"

    signup_list.status = ListStatus.OPEN
    session.commit()
    assert phase.phase_of(session, signup_list, AFTER) == LotteryPhase.RUNNING
    assert [o.status for o in run()] == ["drawn"]
    assert [s.family_member_id for s in signups_of(session, signup_list)] == [ann.id]


def test_the_lottery_never_runs_again_and_the_list_then_works_first_come(
    session, creator, accounts
):
    signup_list = lottery_list(session, creator, {"Cake": 1, "Tea": 1})
    [ann] = family(session, accounts[0], "Ann")
    [cy] = family(session, accounts[1], "Cy")
    enter(session, accounts[0], signup_list, "Cake", ann)
    tea = element(session, signup_list, "Tea")
    with pytest.raises(UserError):  # before the run: enter its lottery, not sign up
        signups.sign_up(session, accounts[1], tea.id, cy.id)
    session.rollback()
    run()
    draw = draw_of(session, signup_list)

    assert run(AFTER + timedelta(minutes=5)) == []  # nothing is due any more
    assert draws.perform(draw.id).status == "taken"
    assert phase.phase_of(session, signup_list) == LotteryPhase.DONE
    with pytest.raises(UserError, match="The lottery has run: sign up for what is left"):
        enter(session, accounts[1], signup_list, "Cake", cy)
    session.rollback()
    assert len(signups_of(session, signup_list)) == 1
    assert len(emails(session, "lottery_result")) == 1
    signups.sign_up(session, accounts[1], tea.id, cy.id, now=AFTER + timedelta(minutes=6))
    session.commit()
    assert [s.source for s in signups_of(session, signup_list)] == ["lottery", "direct"]


def test_admins_cannot_override_or_reroll_a_lottery_but_can_void_it_before_it_runs(
    session, creator, accounts
):
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    signup_list = lottery_list(session, creator, {"Cake": 1})
    [ann] = family(session, accounts[0], "Ann")
    enter(session, accounts[0], signup_list, "Cake", ann)
    draw = draw_of(session, signup_list)

    with pytest.raises(UserError, match="cannot name or reroll a winner"):
        draw_actions.override(session, admin, draw.id, reason="The sponsor said so", email="x@y.z")
    session.rollback()
    draw_actions.void(session, admin, draw.id, "The event was cancelled")
    session.commit()
    assert phase.phase_of(session, signup_list) == LotteryPhase.DONE
    assert run() == [] and signups_of(session, signup_list) == []


def test_a_drawn_lottery_winner_cannot_be_rerolled(session, creator, accounts):
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    signup_list = lottery_list(session, creator, {"Cake": 1})
    [ann] = family(session, accounts[0], "Ann")
    enter(session, accounts[0], signup_list, "Cake", ann)
    run()
    winner = session.exec(select(DrawWinner)).one()

    with pytest.raises(UserError, match="cannot name or reroll a winner"):
        draw_actions.reroll(session, admin, winner.id, "Could not reach them")


# ---- exactly once --------------------------------------------------------------------------------


def filled_lottery(session, creator, accounts) -> SignupList:
    signup_list = lottery_list(session, creator, {"Cake": 2, "Tea": 1}, waitlist=True)
    for user in accounts:
        members = family(session, user, "Kid A", "Kid B")
        enter(session, user, signup_list, "Cake", *members)
        enter(session, user, signup_list, "Tea", members[0])
    return signup_list


def assert_recorded_once(session, signup_list, accounts) -> None:
    session.expire_all()
    assert draw_of(session, signup_list).status == DrawStatus.DRAWN
    assert len(signups_of(session, signup_list)) == 3
    assert len(session.exec(select(WaitlistEntry)).all()) == 8 + 4 - 3
    assert len(session.exec(select(DrawWinner)).all()) == 3
    mail = emails(session, "lottery_result")
    assert sorted(m.to_address for m in mail) == sorted(u.email for u in accounts)
    assert len(emails(session, "lottery_creator")) == 1


def test_a_run_that_fails_in_settle_leaves_nothing_and_the_next_run_completes_it(
    session, creator, accounts, monkeypatch
):
    signup_list = filled_lottery(session, creator, accounts)
    settle = LotteryPool.settle

    def crash_after_half(self, session, draw, now):
        settle(self, session, draw, now)  # signups and emails written …
        raise RuntimeError("the worker died")  # … then lost with the transaction

    monkeypatch.setattr(LotteryPool, "settle", crash_after_half)
    with pytest.raises(RuntimeError):
        run()
    session.expire_all()
    draw = draw_of(session, signup_list)
    assert draw.status == DrawStatus.CLOSED and draw.claim_token is None
    assert signups_of(session, signup_list) == [] and emails(session, "lottery_result") == []
    assert phase.phase_of(session, signup_list, AFTER) == LotteryPhase.RUNNING

    monkeypatch.setattr(LotteryPool, "settle", settle)
    assert [o.status for o in run(AFTER + timedelta(seconds=10))] == ["drawn"]
    assert_recorded_once(session, signup_list, accounts)


def test_a_claim_never_released_lapses_and_the_next_run_completes_it_once(
    session, creator, accounts
):
    signup_list = filled_lottery(session, creator, accounts)
    draw = draw_of(session, signup_list)
    with Session(session.get_bind()) as s:
        assert draws.close(s, draw.id, AFTER)
        s.commit()
    assert draws._claim(draw.id, AFTER) is not None  # a runner took it, then its process died

    assert [o.status for o in run(AFTER + timedelta(seconds=10))] == ["taken"]
    assert signups_of(session, signup_list) == []
    lapsed = AFTER + draws.CLAIM_FOR + timedelta(seconds=1)
    assert [o.status for o in run(lapsed)] == ["drawn"]
    assert [o.status for o in run(lapsed + timedelta(seconds=10))] == []
    assert_recorded_once(session, signup_list, accounts)


def test_two_runners_at_once_run_the_lottery_once(app_db, session, creator, accounts):
    if app_db.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; the race needs PostgreSQL's row locks")
    signup_list = filled_lottery(session, creator, accounts)
    draw = draw_of(session, signup_list)

    results = all_at_once([run, run, lambda: [draws.perform(draw.id, now=AFTER)]] * 2)

    assert [r for r in results if isinstance(r, Exception)] == []
    outcomes = [o.status for result in results for o in result]
    assert outcomes.count("drawn") == 1
    assert_recorded_once(session, signup_list, accounts)
