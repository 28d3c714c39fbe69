"""Family members: the account holder first (made on first use), people added, renamed and
removed — a removed person's signups, places and entries go quietly, their spots on to the next
person."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from luckyclub.core.errors import UserError
from luckyclub.lotteries import family, signups
from luckyclub.models import DrawStatus, FamilyMember, LotteryEntry, Signup, WaitlistEntry
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
def ann(session):
    return add_person(session, "ann@example.com")


def test_the_account_holder_is_the_first_family_member_made_once(session, ann):
    first = family.members_of(session, ann)
    again = family.members_of(session, ann)
    session.commit()
    assert [(m.name, m.is_self) for m in again] == [("Ann", True)]
    assert first[0].id == again[0].id
    assert session.exec(select(func.count()).select_from(FamilyMember)).one() == 1


def test_people_are_added_and_renamed_each_with_their_own_name(session, ann):
    kim = family.add(session, ann, "  Kim   Lee ")
    family.add(session, ann, "Alex")
    with pytest.raises(UserError) as taken:
        family.add(session, ann, "kim lee")
    assert (taken.value.message, taken.value.field) == (
        "You already have a family member called kim lee: give each a different name.",
        "name",
    )
    with pytest.raises(UserError, match="Give a name of 1 to 80 characters"):
        family.add(session, ann, "   ")
    family.rename(session, ann, kim.id, "Kimberly")
    session.commit()
    assert [m.name for m in family.members_of(session, ann)] == ["Ann", "Alex", "Kimberly"]

    bob = add_person(session, "bob@example.com")
    with pytest.raises(UserError, match="Choose one of your own family members"):
        family.rename(session, bob, kim.id, "Mine now")
    with pytest.raises(UserError, match="Choose one of your own family members"):
        family.remove(session, bob, kim.id)


def test_an_account_holds_at_most_twenty_people(session, ann):
    for n in range(family.MAX_MEMBERS - 1):
        family.add(session, ann, f"Child {n}")
    with pytest.raises(UserError, match="up to 20 family members"):
        family.add(session, ann, "One more")


def test_the_account_holder_cannot_be_removed(session, ann):
    with pytest.raises(UserError, match="You cannot remove yourself"):
        family.remove(session, ann, self_of(session, ann).id)


def test_removing_someone_takes_their_signups_quietly_and_offers_their_spot_on(session, ann):
    bob = add_person(session, "bob@example.com")
    made = make_list(session, bob, items=(("Cake", 1), ("Tea", 1)), waitlist=True)
    lottery = make_list(
        session, bob, title="Raffle day", is_lottery=True, lottery_local=in_two_days()
    )
    cake, tea = elements_of(session, made)
    [stall] = elements_of(session, lottery)
    kim = family.add(session, ann, "Kim")
    signups.sign_up(session, ann, cake.id, kim.id)
    signups.sign_up(session, ann, tea.id, kim.id)
    signups.join_waitlist(session, bob, cake.id, self_of(session, bob).id)
    session.add(
        LotteryEntry(
            list_id=lottery.id, element_id=stall.id, family_member_id=kim.id, user_id=ann.id
        )
    )
    session.commit()

    family.remove(session, ann, kim.id)
    session.commit()

    for table in (LotteryEntry, WaitlistEntry):
        assert session.exec(select(func.count()).select_from(table)).one() == 0
    [offer] = session.exec(select(Signup)).all()
    assert (offer.user_id, offer.element_id, offer.status) == (bob.id, cake.id, "pending")
    assert emails_to(session, "ann@example.com") == []  # removing is quiet
    assert len(emails_to(session, "bob@example.com", "spot_offered")) == 1


def test_nobody_on_a_running_lottery_can_be_removed_until_it_is_done(session, ann):
    made = make_list(session, ann, is_lottery=True, lottery_local=in_two_days())
    [cake] = elements_of(session, made)
    kim = family.add(session, ann, "Kim")
    session.add(
        LotteryEntry(list_id=made.id, element_id=cake.id, family_member_id=kim.id, user_id=ann.id)
    )
    session.commit()
    set_phase(session, made, DrawStatus.CLOSED)

    with pytest.raises(UserError, match="^Lottery in progress"):
        family.remove(session, ann, kim.id)
    set_phase(session, made, DrawStatus.DRAWN)
    family.remove(session, ann, kim.id)
