"""Signup lists as their creators, editors and admins meet them: making, editing, closing, stopping
and deleting a list, its elements and lottery time, and who may do each."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlmodel import col, func, select

from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.lotteries import lists, phase, signups
from luckyclub.models import (
    AuditLog,
    DrawStatus,
    ListStatus,
    LotteryEntry,
    OutboxMessage,
    Role,
    RoleGrant,
    Signup,
    SignupList,
    WaitlistEntry,
    utcnow,
)
from tests.db.signup_lists import (  # noqa: F401 - lottery_pool: a fixture every test uses
    add_person,
    elements_of,
    in_two_days,
    local_text,
    lottery_pool,
    make_list,
    self_of,
    set_phase,
)


@pytest.fixture()
def ann(session):
    return add_person(session, "ann@example.com")


@pytest.fixture()
def bob(session):
    return add_person(session, "bob@example.com")


def test_a_member_makes_a_list_of_events_read_in_date_order(session, ann):
    made = lists.create(
        session,
        ann,
        lists.NewList(
            title="  Summer   swimming ",
            kind="events",
            elements=[
                lists.NewElement("Gala", "2027-07-10", "18:30", "Town pool", 2),
                lists.NewElement("Lesson", "2027-07-03", "", "", "5"),
                lists.NewElement("", date(2027, 7, 10), None, "", 1),  # date only: midnight
            ],
        ),
    )
    session.commit()

    assert (made.title, made.timezone, made.is_lottery) == (
        "Summer swimming",
        "Europe/London",
        False,
    )
    labels = [lists.element_label(made, e) for e in elements_of(session, made)]
    assert labels == [
        "Lesson, Sat 3 Jul 2027",
        "Sat 10 Jul 2027",
        "Gala, Sat 10 Jul 2027 18:30 BST",
    ]
    assert phase.draw_of(session, made) is None  # first come, first served: no draw


def test_what_a_list_form_gets_wrong_is_said_in_a_sentence_on_its_field(session, ann):
    def refusal(**changes) -> UserError:
        fields = {"title": "Bake sale", "kind": "items", "elements": [lists.NewElement("Cake")]}
        with pytest.raises(UserError) as caught:
            lists.create(session, ann, lists.NewList(**(fields | changes)))
        return caught.value

    assert refusal(title="Hi").field == "title"
    assert refusal(elements=[]).message == "Add at least one event or item."
    bad_spots = refusal(elements=[lists.NewElement("Cake"), lists.NewElement("Tea", spots="0")])
    assert (bad_spots.message, bad_spots.field) == (
        "Element 2: Spots is a whole number from 1 to 10,000.",
        "elements.1.spots",
    )
    assert refusal(elements=[lists.NewElement("")]).field == "elements.0.name"
    no_date = refusal(kind="events", elements=[lists.NewElement("Gala")])
    assert no_date.field == "elements.0.event_date"
    assert refusal(per_member_limit="two").field == "per_member_limit"
    assert "no LuckyClub account with the email nobody@example.com" in (
        refusal(editors=["Nobody@example.com"]).message
    )
    assert refusal(is_lottery=True, lottery_local="").field == "lottery_local"
    assert session.exec(select(func.count()).select_from(SignupList)).one() == 0


def test_a_lottery_time_must_be_an_hour_ahead_when_made_and_when_moved(session, ann):
    soon = local_text(utcnow() + timedelta(minutes=50))
    with pytest.raises(UserError, match="^Lottery time must be at least 1 hour from now$"):
        make_list(session, ann, is_lottery=True, lottery_local=soon)

    made = make_list(session, ann, is_lottery=True, lottery_local=in_two_days())
    draw = phase.draw_of(session, made)
    assert draw is not None and draw.draw_at == made.lottery_at  # the commitment is public now
    assert phase.phase_of(session, made) == phase.LotteryPhase.OPEN

    with pytest.raises(UserError, match="^Lottery time must be at least 1 hour from now$"):
        lists.set_lottery_time(session, ann, made.id, soon)
    with pytest.raises(UserError, match="happens twice in Europe/London"):
        lists.set_lottery_time(session, ann, made.id, "2099-10-25T01:30")
    later = utcnow().replace(second=0, microsecond=0) + timedelta(days=3)
    lists.set_lottery_time(session, ann, made.id, local_text(later))
    session.commit()
    assert made.lottery_at == later and phase.draw_of(session, made).draw_at == later


def test_lottery_times_the_clocks_skip_or_repeat_are_refused_by_name(session, ann):
    spring = lists.NewList(
        "Spring fair",
        "items",
        [lists.NewElement("Stall")],
        is_lottery=True,
        lottery_local="2027-03-28T01:30",
    )
    with pytest.raises(UserError) as skipped:
        lists.create(session, ann, spring)
    assert skipped.value.message == (
        "28 March 2027 at 01:30 does not exist in Europe/London (the clocks go forward that "
        "night). Choose another time."
    )
    autumn = lists.NewList(
        "Autumn fair",
        "items",
        [lists.NewElement("Stall")],
        is_lottery=True,
        lottery_local="2027-10-31T01:30",
    )
    with pytest.raises(UserError) as twice:
        lists.create(session, ann, autumn)
    assert twice.value.message == (
        "31 October 2027 at 01:30 happens twice in Europe/London (the clocks go back that "
        "night): choose a time outside that hour."
    )
    made = make_list(session, ann, is_lottery=True, lottery_local="2027-10-31T02:30")
    assert made.lottery_at.isoformat() == "2027-10-31T02:30:00+00:00"  # GMT again by then


def test_an_editor_added_by_email_edits_the_list_and_another_member_cannot(session, ann, bob):
    carol = add_person(session, "carol@example.com")
    made = make_list(session, ann, editors=["BOB@example.com"])
    other = make_list(session, carol, title="Carol's list")
    cake = elements_of(session, made)[0]

    lists.update_element(session, bob, cake.id, lists.ElementEdit("Chocolate cake", spots=3))
    lists.add_element(session, bob, made.id, lists.NewElement("Tea", spots=2))
    session.commit()
    assert [e.name for e in elements_of(session, made)] == ["Chocolate cake", "Tea"]

    # a list editor cannot touch another list
    with pytest.raises(NotAllowed):
        lists.update(session, bob, other.id, lists.ListEdit("Taken over"))
    with pytest.raises(NotAllowed):
        lists.close(session, carol, made.id)
    # editors edit; only the creator (or an admin) chooses editors and deletes
    with pytest.raises(NotAllowed):
        lists.add_editor(session, bob, made.id, "carol@example.com")
    with pytest.raises(NotAllowed):
        lists.delete(session, bob, made.id)

    lists.remove_editor(session, ann, made.id, bob.id)
    session.commit()
    with pytest.raises(NotAllowed):
        lists.add_element(session, bob, made.id, lists.NewElement("Scones"))
    actions = session.exec(select(AuditLog.action).order_by(col(AuditLog.id))).all()
    assert actions == [
        "list.create",
        "role.grant",
        "list.create",
        "list.element_update",
        "list.element_add",
        "role.revoke",
    ]


def test_closing_stops_new_signups_and_an_admins_stop_only_an_admin_lifts(session, ann, bob):
    admin = add_person(session, "admin@example.com", role=Role.ADMIN)
    made = make_list(session, ann)
    cake = elements_of(session, made)[0]
    lists.close(session, ann, made.id)
    session.commit()
    with pytest.raises(UserError, match="This list is closed"):
        signups.sign_up(session, bob, cake.id, self_of(session, bob).id)
    lists.reopen(session, ann, made.id)
    session.commit()

    with pytest.raises(NotAllowed):
        lists.stop(session, ann, made.id, "Spam everywhere")
    lists.stop(session, admin, made.id, "Selling tickets for money")
    session.commit()
    assert made.status == ListStatus.STOPPED
    with pytest.raises(UserError, match="An administrator stopped this list. The reason: Selling"):
        lists.reopen(session, ann, made.id)
    with pytest.raises(UserError, match="An administrator stopped this list"):
        signups.sign_up(session, bob, cake.id, self_of(session, bob).id)
    lists.reopen(session, admin, made.id)
    session.commit()
    assert (made.status, made.stopped_reason) == (ListStatus.OPEN, None)
    audited = session.exec(
        select(AuditLog.action, AuditLog.actor_id).where(col(AuditLog.action) != "list.create")
    ).all()
    assert audited == [
        ("list.close", ann.id),
        ("list.reopen", ann.id),
        ("list.stop", admin.id),
        ("list.reopen", admin.id),
    ]


def test_deleting_a_list_takes_everything_on_it_with_no_email(session, ann, bob):
    made = make_list(session, ann, items=(("Cake", 1),), waitlist=True, editors=["bob@example.com"])
    cake = elements_of(session, made)[0]
    signups.sign_up(session, bob, cake.id, self_of(session, bob).id)
    carol = add_person(session, "carol@example.com")
    signups.join_waitlist(session, carol, cake.id, self_of(session, carol).id)
    session.commit()

    lists.delete(session, ann, made.id)
    session.commit()

    for table in (SignupList, Signup, WaitlistEntry, RoleGrant):
        assert session.exec(select(func.count()).select_from(table)).one() == 0
    assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 0
    assert session.exec(select(AuditLog.action).order_by(col(AuditLog.id).desc())).first() == (
        "list.delete"
    )


def test_deleting_a_lottery_list_before_it_runs_voids_its_draw(session, ann):
    made = make_list(session, ann, is_lottery=True, lottery_local=in_two_days())
    draw = phase.draw_of(session, made)
    lists.delete(session, ann, made.id)
    session.commit()
    session.refresh(draw)
    assert draw.status == DrawStatus.VOID and "deleted" in draw.reason


def test_while_the_lottery_runs_every_edit_is_refused_with_one_sentence(session, ann):
    made = make_list(session, ann, is_lottery=True, lottery_local=in_two_days())
    cake = elements_of(session, made)[0]
    set_phase(session, made, DrawStatus.CLOSED)

    for edit in (
        lambda: lists.update(session, ann, made.id, lists.ListEdit("New title")),
        lambda: lists.set_lottery_time(session, ann, made.id, in_two_days()),
        lambda: lists.add_element(session, ann, made.id, lists.NewElement("Tea")),
        lambda: lists.update_element(session, ann, cake.id, lists.ElementEdit("Pie")),
        lambda: lists.delete_element(session, ann, cake.id),
        lambda: lists.close(session, ann, made.id),
        lambda: lists.delete(session, ann, made.id),
    ):
        with pytest.raises(UserError, match="^Lottery in progress. Please check back"):
            edit()

    set_phase(session, made, DrawStatus.DRAWN)
    with pytest.raises(UserError, match="The lottery has run already"):
        lists.set_lottery_time(session, ann, made.id, in_two_days())
    lists.add_element(session, ann, made.id, lists.NewElement("Tea"))  # first come from now on


def test_spots_never_drop_below_those_taken_and_new_spots_go_to_the_waitlist(session, ann, bob):
    made = make_list(session, ann, items=(("Cake", 1),), waitlist=True)
    cake = elements_of(session, made)[0]
    signups.sign_up(session, ann, cake.id, self_of(session, ann).id)
    signups.join_waitlist(session, bob, cake.id, self_of(session, bob).id)
    session.commit()

    lists.update_element(session, ann, cake.id, lists.ElementEdit("Cake", spots=2))
    session.commit()
    offered = session.exec(select(Signup).where(Signup.user_id == bob.id)).one()
    assert (offered.status, offered.source) == ("pending", "waitlist")
    with pytest.raises(UserError) as caught:
        lists.update_element(session, ann, cake.id, lists.ElementEdit("Cake", spots=1))
    assert caught.value.message == "2 spots are taken: keep at least 2, or remove signups first."


def test_deleting_an_element_takes_its_signups_and_offers_nobody_the_spot(session, ann, bob):
    made = make_list(session, ann, items=(("Cake", 1), ("Tea", 1)), waitlist=True)
    cake, tea = elements_of(session, made)
    signups.sign_up(session, ann, cake.id, self_of(session, ann).id)
    signups.join_waitlist(session, bob, cake.id, self_of(session, bob).id)
    session.add(
        LotteryEntry(
            list_id=made.id,
            element_id=tea.id,
            family_member_id=self_of(session, bob).id,
            user_id=bob.id,
        )
    )
    session.commit()

    lists.delete_element(session, ann, cake.id)
    session.commit()

    assert session.exec(select(func.count()).select_from(Signup)).one() == 0
    assert session.exec(select(func.count()).select_from(WaitlistEntry)).one() == 0
    assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 0
    assert [e.name for e in elements_of(session, made)] == ["Tea"]


def test_element_names_are_unique_for_the_lottery(session, ann):
    made = make_list(session, ann, items=(("Cake", 1), ("Cake", 2), ("Tea", 1)))
    one, two, tea = elements_of(session, made)
    names = lists.element_names(made, [one, two, tea])
    assert names == {one.id: f"Cake (#{one.id})", two.id: f"Cake (#{two.id})", tea.id: "Tea"}


def test_an_event_time_is_a_wall_clock_in_the_lists_zone(session):
    tokyo = add_person(session, "kenji@example.com", timezone="Asia/Tokyo")
    made = lists.create(
        session,
        tokyo,
        lists.NewList("Tea ceremony", "events", [lists.NewElement("Tea", "2027-01-09", time(15))]),
    )
    session.commit()
    [tea] = elements_of(session, made)
    assert lists.element_label(made, tea) == "Tea, Sat 9 Jan 2027 15:00 JST"
