"""The signup list pages' states, driven as a browser tab drives them: the New list form (its rows,
the lottery time refused as a sentence), a list's page for a visitor and a member (signing up,
entering the lottery), the editor refusing anyone but the list's editors in every handler, the
family page, an offer's page (nothing accepted by opening it), My signups, and the admin's Stop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from luckyclub.core import routes
from luckyclub.lotteries import lists, signups
from luckyclub.models import (
    LotteryEntry,
    Role,
    Signup,
    SignupList,
    SignupStatus,
    WaitlistEntry,
    utcnow,
)
from luckyclub.pages.admin.lists import ListsAdminState
from luckyclub.platform import accounts
from luckyclub.state.lists.editor import ListEditorState
from luckyclub.state.lists.family import FamilyState
from luckyclub.state.lists.list_page import ListPageState
from luckyclub.state.lists.lists import ListsState
from luckyclub.state.lists.my_signups import MySignupsState
from luckyclub.state.lists.offer import OfferState
from luckyclub.state.reason_dialog import ReasonDialogState, action_name
from luckyclub.state.session import SessionState
from tests.db.reflex_state import finish, state_for_tab
from tests.db.signup_lists import (
    add_person,
    elements_of,
    in_two_days,
    local_text,
    make_list,
    self_of,
)


def token_for(session, user) -> str:
    token, _ = accounts.start_session(session, user)
    session.commit()
    return token


def tab(state_cls, path: str, token: str | None = None):
    state = state_for_tab(state_cls, path=path, session_token=token)
    finish(SessionState.refresh, state)
    finish(state_cls.load, state)
    return state


@pytest.fixture()
def cara(session):
    return add_person(session, "cara@example.com")


@pytest.fixture()
def ann(session):
    return add_person(session, "ann@example.com")


def new_list_form(**fields) -> dict:
    return {
        "title": "Summer sessions",
        "description": "",
        "name_1": "Swimming",
        "date_1": (utcnow() + timedelta(days=30)).date().isoformat(),
        "time_1": "10:00",
        "place_1": "",
        "spots_1": "2",
        **fields,
    }


# ---- /lists --------------------------------------------------------------------------------------


def test_a_lottery_too_soon_is_refused_in_the_services_words_and_nothing_is_made(session, cara):
    state = tab(ListsState, routes.LISTS, token_for(session, cara))
    soon = local_text(utcnow() + timedelta(minutes=30))

    finish(ListsState.create, state, new_list_form(is_lottery="on", lottery_at=soon))

    assert state.error == "Lottery time must be at least 1 hour from now"
    assert session.exec(select(SignupList)).all() == []


def test_the_new_list_form_makes_a_lottery_list_from_its_rows_and_opens_it(session, cara):
    state = tab(ListsState, routes.LISTS, token_for(session, cara))
    finish(ListsState.add_row, state)
    assert state.rows == [1, 2]
    form = new_list_form(
        name_2="Climbing",
        date_2=(utcnow() + timedelta(days=31)).date().isoformat(),
        spots_2="1",
        waitlist="on",
        is_lottery="on",
        lottery_at=in_two_days(),
    )

    sent = finish(ListsState.create, state, form)

    [made] = session.exec(select(SignupList)).all()
    assert made.is_lottery and made.waitlist and made.timezone == "Europe/London"
    assert [e.name for e in elements_of(session, made)] == ["Swimming", "Climbing"]
    assert routes.list_page(made.id) in str(sent)
    listed = tab(ListsState, routes.LISTS, token_for(session, cara))
    assert [c.title for c in listed.cards] == ["Summer sessions"]


# ---- /lists/<id> --------------------------------------------------------------------------------


def test_a_visitor_reads_a_list_and_a_member_signs_up_a_family_member(session, cara, ann):
    made = make_list(session, cara, items=(("Cake", 1),))
    visitor = tab(ListPageState, routes.list_page(made.id))
    assert visitor.title == "Bake sale" and not visitor.missing
    assert visitor.elements[0].sign_up_for == []

    page = tab(ListPageState, routes.list_page(made.id), token_for(session, ann))
    [cake] = page.elements
    [me] = cake.sign_up_for

    finish(ListPageState.sign_up, page, {"element_id": str(cake.id), "member_id": str(me.id)})

    assert page.error == "" and page.notice == "Signed up."
    [cake] = page.elements
    assert cake.taken == 1 and cake.full and [p.member for p in cake.signups] == [me.name]
    assert cake.signups[0].mine and cake.sign_up_for == []


def test_a_member_enters_a_lottery_for_the_family_members_ticked(session, cara, ann):
    made = make_list(session, cara, is_lottery=True, lottery_local=in_two_days())
    page = tab(ListPageState, routes.list_page(made.id), token_for(session, ann))
    assert page.is_lottery and page.phase == "open" and page.lottery_ts > 0
    [cake] = page.elements
    [me] = cake.enter_for

    finish(ListPageState.enter, page, {"element_id": str(cake.id), f"member_{me.id}": "on"})

    assert page.notice == "Entered in the lottery."
    [cake] = page.elements
    assert cake.entries_words == "1 entry" and cake.my_entries_words == f"You entered: {me.name}"
    assert cake.enter_for == [] and [p.mine for p in cake.entrants] == [True]
    [entry] = session.exec(select(LotteryEntry)).all()
    assert entry.family_member_id == me.id


def test_a_list_that_does_not_exist_is_a_friendly_page(session, ann):
    page = tab(ListPageState, routes.list_page(987654), token_for(session, ann))
    assert page.loaded and page.missing


# ---- /lists/<id>/edit ---------------------------------------------------------------------------


def test_a_member_who_is_not_an_editor_is_refused_by_every_editor_handler(session, cara, ann):
    made = make_list(session, cara)
    [cake] = elements_of(session, made)
    path = routes.list_editor(made.id)
    editor = tab(ListEditorState, path, token_for(session, ann))
    assert not editor.allowed and editor.forms == [] and editor.title == ""

    attempts = [
        (ListEditorState.save_details, {"title": "Mine now"}),
        (ListEditorState.close,),
        (ListEditorState.delete,),
        (ListEditorState.delete_element, cake.id),
        (ListEditorState.add_editor, {"editor_email": "ann@example.com"}),
        (ListEditorState.add_element, {"name_0": "Pie", "spots_0": "3"}),
    ]
    for handler, *args in attempts:
        finish(handler, editor, *args)
        assert not editor.allowed and editor.error, handler.fn.__name__

    session.expire_all()
    kept = session.get(SignupList, made.id)
    assert kept is not None and kept.title == "Bake sale" and kept.status == "open"
    assert [e.name for e in elements_of(session, kept)] == ["Cake"]


def test_the_creator_edits_and_removes_a_signup_with_a_reason(session, cara, ann):
    made = make_list(session, cara)
    [cake] = elements_of(session, made)
    page = tab(ListPageState, routes.list_page(made.id), token_for(session, ann))
    member = page.elements[0].sign_up_for[0]
    finish(ListPageState.sign_up, page, {"element_id": str(cake.id), "member_id": str(member.id)})
    editor = tab(ListEditorState, routes.list_editor(made.id), token_for(session, cara))
    assert editor.allowed and editor.is_creator
    [form] = editor.forms
    [person] = form.signups

    finish(ListEditorState.save_details, editor, {"title": "Bake sale 2027", "waitlist": "on"})
    assert editor.notice == "Saved." and editor.title == "Bake sale 2027" and editor.waitlist

    dialog = state_for_tab(ReasonDialogState)
    sent = finish(
        ReasonDialogState.submit,
        dialog,
        {
            "signup_id": str(person.id),
            "reason": "Double booked by mistake",
            "reason_action": action_name(ListEditorState.remove_signup),
        },
    )
    assert sent is not None and sent.handler.fn is ListEditorState.remove_signup.fn
    finish(ListEditorState.remove_signup, editor, dict(sent.args[0][1]._var_value))
    assert editor.error == ""
    assert session.exec(select(Signup)).all() == []


def test_the_creator_takes_someone_off_a_waitlist_with_a_reason(session, cara, ann):
    made = make_list(session, cara, items=(("Cake", 1),), waitlist=True)
    [cake] = elements_of(session, made)
    bob = add_person(session, "bob@example.com")
    signups.sign_up(session, ann, cake.id, self_of(session, ann).id)
    signups.join_waitlist(session, bob, cake.id, self_of(session, bob).id)
    session.commit()
    editor = tab(ListEditorState, routes.list_editor(made.id), token_for(session, cara))
    [place] = editor.forms[0].waitlist

    sent = finish(
        ReasonDialogState.submit,
        state_for_tab(ReasonDialogState),
        {
            "place_id": str(place.id),
            "reason": "Bob asked to be taken off",
            "reason_action": action_name(ListEditorState.remove_place),
        },
    )
    assert sent is not None and sent.handler.fn is ListEditorState.remove_place.fn
    finish(ListEditorState.remove_place, editor, dict(sent.args[0][1]._var_value))
    assert editor.error == "" and editor.forms[0].waitlist == []
    assert session.exec(select(WaitlistEntry)).all() == []


# ---- /family, /offers/<token>, /my-signups ------------------------------------------------------


def test_the_family_page_adds_renames_and_removes_a_family_member(session, ann):
    family = tab(FamilyState, routes.FAMILY, token_for(session, ann))
    assert [m.is_self for m in family.members] == [True]

    finish(FamilyState.add, family, {"name": "Alfie"})
    alfie = next(m for m in family.members if m.name == "Alfie")
    finish(FamilyState.rename, family, {"member_id": str(alfie.id), "name": "Alfie Adams"})
    assert "Alfie Adams" in [m.name for m in family.members]
    finish(FamilyState.remove, family, alfie.id)

    assert [m.is_self for m in family.members] == [True] and family.error == ""


def test_an_offer_is_answered_only_by_a_button_of_the_account_it_was_made_to(session, cara, ann):
    made = make_list(session, cara, waitlist=True)
    [cake] = elements_of(session, made)
    bob = add_person(session, "bob@example.com")
    bob_page = tab(ListPageState, routes.list_page(made.id), token_for(session, bob))
    [bob_self] = bob_page.elements[0].sign_up_for
    finish(ListPageState.sign_up, bob_page, {"element_id": cake.id, "member_id": bob_self.id})
    ann_page = tab(ListPageState, routes.list_page(made.id), token_for(session, ann))
    [ann_self] = ann_page.elements[0].waitlist_for
    finish(ListPageState.join_waitlist, ann_page, {"element_id": cake.id, "member_id": ann_self.id})
    [held] = session.exec(select(Signup)).all()
    signups.cancel(session, bob, held.id)
    session.commit()
    [offer] = session.exec(select(Signup).where(Signup.status == SignupStatus.PENDING)).all()
    link = routes.offer_page(offer.accept_token or "")

    visitor = tab(OfferState, link)
    assert not visitor.found and visitor.sign_in_url == f"{routes.LOGIN}?next={link}"
    other = tab(OfferState, link, token_for(session, bob))
    assert not other.found
    mine = tab(MySignupsState, routes.MY_SIGNUPS, token_for(session, ann))
    assert [r.pending for r in mine.signups] == [True] and mine.signups[0].deadline

    opened = tab(OfferState, link, token_for(session, ann))
    assert opened.found and opened.offer.member == ann_self.name
    session.expire_all()
    assert session.get(Signup, offer.id).status == SignupStatus.PENDING  # opening accepts nothing
    finish(OfferState.accept, opened)

    assert opened.answered == "accepted" and opened.error == ""
    session.expire_all()
    assert session.get(Signup, offer.id).status == SignupStatus.CONFIRMED


# ---- /admin/lists -------------------------------------------------------------------------------


def test_only_a_platform_admin_sees_every_list_and_stops_one(session, cara, ann):
    made = make_list(session, cara)
    member = tab(ListsAdminState, routes.ADMIN_LISTS, token_for(session, ann))
    assert not member.allowed and member.cards == []

    admin = add_person(session, "admin@example.com", role=Role.ADMIN)
    page = tab(ListsAdminState, routes.ADMIN_LISTS, token_for(session, admin))
    assert [c.title for c in page.cards] == ["Bake sale"]
    finish(ListsAdminState.stop, page, {"list_id": str(made.id), "reason": "Reported as spam"})

    assert page.error == "" and [c.status for c in page.cards] == ["stopped"]
    session.expire_all()
    assert lists.get_list(session, made.id).stopped_reason == "Reported as spam"


def test_my_signups_groups_lottery_entries_by_list_with_their_countdown(session, cara, ann):
    made = make_list(session, cara, is_lottery=True, lottery_local=in_two_days())
    page = tab(ListPageState, routes.list_page(made.id), token_for(session, ann))
    [cake] = page.elements
    [me] = cake.enter_for
    finish(ListPageState.enter, page, {"element_id": str(cake.id), f"member_{me.id}": "on"})

    mine = tab(MySignupsState, routes.MY_SIGNUPS, token_for(session, ann))

    [group] = mine.groups
    assert group.list_title == "Bake sale" and group.can_remove and group.lottery_ts > 0
    [entry] = group.entered
    finish(MySignupsState.remove_entry, mine, entry.id)
    assert mine.notice == "Entry removed." and mine.groups == []


def test_a_member_accepts_their_own_offer_on_the_lists_page(session, cara, ann):
    made = make_list(session, cara, waitlist=True)
    [cake] = elements_of(session, made)
    bob = add_person(session, "bob@example.com")
    bob_page = tab(ListPageState, routes.list_page(made.id), token_for(session, bob))
    [bob_self] = bob_page.elements[0].sign_up_for
    finish(ListPageState.sign_up, bob_page, {"element_id": cake.id, "member_id": bob_self.id})
    ann_page = tab(ListPageState, routes.list_page(made.id), token_for(session, ann))
    [ann_self] = ann_page.elements[0].waitlist_for
    finish(ListPageState.join_waitlist, ann_page, {"element_id": cake.id, "member_id": ann_self.id})
    finish(ListPageState.cancel, bob_page, bob_page.elements[0].signups[0].id)

    finish(ListPageState.changed, ann_page, "v1")  # the list's topic changed
    [offer] = ann_page.elements[0].signups
    assert offer.pending and offer.mine and offer.token
    assert bob_page.elements[0].signups[0].token == ""  # no one else's secret reaches a tab
    finish(ListPageState.accept, ann_page, offer.token)

    assert ann_page.notice == "Accepted: the spot is yours."
    [held] = ann_page.elements[0].signups
    assert not held.pending and held.token == ""
