"""What the list pages show, read from the services: a list with what each of the viewer's family
members may do, the lottery's banner and entries, My Signups in its three parts, the editor's
and the admin's views, and an offer's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from luckyclub.core.errors import NotAllowed
from luckyclub.lotteries import family, lists, signups
from luckyclub.models import DrawStatus, LotteryEntry, Role, Signup, utcnow
from tests.db.signup_lists import (  # noqa: F401 - lottery_pool: a fixture every test uses
    add_person,
    elements_of,
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
    return add_person(session, "bob@example.com", timezone="America/New_York")


def test_a_list_shows_each_family_member_what_they_can_do(session, ann, bob):
    made = make_list(
        session, ann, items=(("Cake", 1), ("Tea", 2)), waitlist=True, per_member_limit=1
    )
    cake, tea = elements_of(session, made)
    kim = family.add(session, bob, "Kim")
    signups.sign_up(session, ann, cake.id, self_of(session, ann).id)
    signups.sign_up(session, bob, tea.id, kim.id)
    session.commit()

    view = lists.list_view(session, made.id, bob)

    assert (view.title, view.limit_words, view.banner) == (
        "Bake sale",
        "Up to 1 spot per person on this list",
        "",
    )
    assert view.takes_signups and not view.takes_entries and not view.can_edit
    cake_view, tea_view = view.elements
    assert (cake_view.label, cake_view.taken, cake_view.free, cake_view.full) == (
        "Cake",
        1,
        0,
        True,
    )
    assert [(s.member_name, s.account_name, s.mine) for s in cake_view.signups] == [
        ("Ann", "Ann", False)
    ]
    bob_on_cake, kim_on_cake = cake_view.mine
    assert bob_on_cake.name == "Bob" and bob_on_cake.can_join_waitlist
    assert not bob_on_cake.can_sign_up
    assert kim_on_cake.at_limit and kim_on_cake.can_join_waitlist  # places are allowed at a limit
    bob_on_tea, kim_on_tea = tea_view.mine
    assert bob_on_tea.can_sign_up and not bob_on_tea.can_join_waitlist
    assert kim_on_tea.signup_status == "confirmed" and kim_on_tea.can_cancel

    signed_out = lists.list_view(session, made.id, None)
    assert not signed_out.signed_in and signed_out.elements[0].mine == ()


def test_a_lottery_list_shows_its_time_entries_and_phase(session, ann, bob):
    made = make_list(session, ann, is_lottery=True, lottery_local="2099-03-15T15:00")
    [cake] = elements_of(session, made)
    bobs = self_of(session, bob)
    session.add(
        LotteryEntry(list_id=made.id, element_id=cake.id, family_member_id=bobs.id, user_id=bob.id)
    )
    session.commit()

    view = lists.list_view(session, made.id, bob)
    assert view.phase == "open" and view.lottery_when == "15 March 2099 at 15:00 GMT"
    assert view.banner.startswith("This is a lottery list: its spots are drawn on 15 March 2099 at")
    assert "within a few minutes" in view.banner and view.draw_path.startswith("/draws/")
    [element] = view.elements
    assert element.entries_words == "1 entry"
    assert [(e.member_name, e.account_name, e.mine) for e in element.entries] == [
        ("Bob", "Bob", True)
    ]
    [state] = element.mine
    assert not state.can_sign_up and state.can_remove_entry and not state.can_enter

    mine = signups.my_signups(session, bob)
    [lottery] = mine.lotteries
    assert (lottery.list_title, lottery.lottery_when, lottery.can_remove) == (
        "Bake sale",
        "15 March 2099 at 15:00 GMT",
        True,
    )
    assert [(e.element, e.member_name) for e in lottery.entries] == [("Cake", "Bob")]

    set_phase(session, made, DrawStatus.CLOSED)
    view = lists.list_view(session, made.id, bob)
    assert view.banner == "Lottery in progress. Please check back in a few minutes."
    assert not view.elements[0].mine[0].can_remove_entry
    set_phase(session, made, DrawStatus.DRAWN)
    assert signups.my_signups(session, bob).lotteries == ()  # only lotteries not run yet
    assert lists.list_view(session, made.id, bob).elements[0].mine[0].can_sign_up


def test_my_signups_lists_offers_first_then_entries_then_places(session, ann, bob):
    made = make_list(session, ann, items=(("Cake", 1), ("Tea", 1)), waitlist=True)
    cake, tea = elements_of(session, made)
    carol = add_person(session, "carol@example.com")
    signups.sign_up(session, bob, tea.id, self_of(session, bob).id)
    signups.sign_up(session, ann, cake.id, self_of(session, ann).id)
    signups.join_waitlist(session, bob, cake.id, self_of(session, bob).id)
    signups.join_waitlist(session, carol, tea.id, self_of(session, carol).id)
    kim = family.add(session, carol, "Kim")
    signups.join_waitlist(session, carol, tea.id, kim.id)
    signups.cancel(
        session, ann, session.exec(select(Signup).where(Signup.user_id == ann.id)).one().id
    )
    session.commit()

    bobs = signups.my_signups(session, bob)
    assert [(s.element, s.status) for s in bobs.signups] == [
        ("Cake", "pending"),
        ("Tea", "confirmed"),
    ]
    offer = bobs.signups[0]
    assert offer.deadline.endswith("EST") or offer.deadline.endswith("EDT")  # Bob's own zone
    assert offer.accept_token and bobs.places == ()

    carols = signups.my_signups(session, carol)
    assert [(p.member_name, p.position) for p in carols.places] == [("Carol", 1), ("Kim", 2)]

    page = signups.offer_view(session, offer.accept_token, bob)
    assert page is not None and page.is_yours and page.member_name == "Bob"
    stranger = signups.offer_view(session, offer.accept_token, carol)
    assert stranger is not None and not stranger.is_yours and stranger.member_name == ""
    assert signups.offer_view(session, "no-such-token", bob) is None


def test_only_editors_see_the_editor_view_and_only_admins_all_lists(session, ann, bob):
    admin = add_person(session, "admin@example.com", role=Role.ADMIN)
    made = make_list(
        session, ann, is_lottery=True, lottery_local="2099-03-15T15:00", editors=["bob@example.com"]
    )
    make_list(session, bob, title="Bob's list")

    view = lists.editor_view(session, bob, made.id)
    assert view.lottery_local == "2099-03-15T15:00" and view.can_move_lottery
    assert [(e.name, e.email) for e in view.editors] == [("Bob", "bob@example.com")]
    assert view.list.can_edit and not view.list.can_manage
    assert [e.name for e in view.elements] == ["Cake"]
    with pytest.raises(NotAllowed):
        lists.editor_view(session, add_person(session, "eve@example.com"), made.id)

    assert [(s.title, s.role) for s in lists.visible_lists(session, bob)] == [
        ("Bob's list", "creator"),
        ("Bake sale", "editor"),
    ]
    with pytest.raises(NotAllowed):
        lists.admin_lists(session, ann)
    rows = lists.admin_lists(session, admin)
    assert [(r.title, r.creator, r.is_lottery) for r in rows] == [
        ("Bob's list", "Bob <bob@example.com>", False),
        ("Bake sale", "Ann <ann@example.com>", True),
    ]


def test_an_event_shows_its_day_and_time_in_the_lists_zone(session, ann):
    made = lists.create(
        session,
        ann,
        lists.NewList(
            "Swimming", "events", [lists.NewElement("Lesson", "2027-07-03", "10:00", "Pool")]
        ),
    )
    session.commit()
    [lesson] = lists.list_view(session, made.id, ann, utcnow() - timedelta(days=1)).elements
    assert (lesson.date_words, lesson.time_words, lesson.place) == (
        "Sat 3 Jul 2027",
        "10:00 BST",
        "Pool",
    )
