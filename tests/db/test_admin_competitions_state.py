"""The competition admin pages' states (competitions, one competition, tickets, winners, members):
only an admin's session acts, forms reach the services, and the services' sentences are shown."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlmodel import Session, select
from starlette.testclient import TestClient

from luckyclub.api.routes import build_api
from luckyclub.competitions import catalogue, minimum, orders, refunds
from luckyclub.competitions.postal import record_postal
from luckyclub.core import routes
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.models import (
    AuditLog,
    Competition,
    CompetitionStatus,
    DrawStatus,
    DrawTrigger,
    DrawWinner,
    OrderStatus,
    OutboxMessage,
    Role,
    Ticket,
    TicketOrder,
    TicketStatus,
    User,
    utcnow,
)
from luckyclub.pages.admin.competitions import CompetitionsAdminState
from luckyclub.pages.admin.home import AdminState
from luckyclub.pages.admin.tickets import TicketsAdminState
from luckyclub.pages.admin.winners import WinnersAdminState
from luckyclub.pages.draws.champions import ChampionsState
from luckyclub.platform import draw_actions, draw_public, draws, winner_media
from luckyclub.state.competitions.admin_competition import CompetitionAdminState
from tests.db.factories import add_buyer, add_competition, add_user
from tests.db.reflex_state import finish, state_for_tab
from tests.db.test_admin_state import browser_session
from tests.db.test_competitions import buy

LOCAL = "%Y-%m-%dT%H:%M"


@pytest.fixture()
def people(session) -> dict[str, User]:
    return {
        "admin": add_user(session, "admin@example.com", Role.ADMIN),
        "member": add_user(session, "mallory@example.com"),
    }


def tab(session, user: User, state_cls, path: str = "/"):
    return state_for_tab(state_cls, session_token=browser_session(session, user), path=path)


def page_of(session, user: User, competition_id: int) -> CompetitionAdminState:
    state = tab(session, user, CompetitionAdminState, routes.admin_competition_page(competition_id))
    finish(CompetitionAdminState.load, state)
    return state


def fresh(app_db, model, record_id):
    with Session(app_db) as s:
        return s.get(model, record_id)


def audit_actions(app_db) -> list[str]:
    with Session(app_db) as s:
        return [a.action for a in s.exec(select(AuditLog).order_by(AuditLog.id))]


def new_form(**changes) -> dict:
    ends = (utcnow() + timedelta(days=10)).strftime(LOCAL)
    form = {
        "title": "Win a camper van",
        "prize": "A camper van",
        "description": "Two berths, one kettle.",
        "ticket_price": "2.50",
        "max_tickets": "500",
        "per_person_limit": "20",
        "min_tickets": "0",
        "winners": "1",
        "starts_at": "",
        "ends_at": ends,
        "draw_at": "",
        "question": "What colour is the sky on a clear day?",
        "choices": "Blue\nGreen\nRed",
        "answer": "Blue",
    }
    return form | changes


def ended_competition(session, admin: User, **fields) -> Competition:
    """An active competition whose sales closed a minute ago (the factory creates it earlier)."""
    now = utcnow()
    return add_competition(
        session,
        admin,
        starts_at=now - timedelta(hours=1),
        ends_at=now - timedelta(minutes=1),
        **fields,
    )


def postal(session, admin, competition, name="Pat Post", email=""):
    order = record_postal(
        session,
        admin,
        competition.id,
        name=name,
        address="1 High Street, Leeds",
        answer="Paris",
        email=email,
    )
    session.commit()
    return order


class Upload:
    """What Reflex hands an upload handler: a name, a claimed type, and the bytes to read."""

    def __init__(self, name: str, data: bytes, content_type: str = ""):
        self.name = self.filename = name
        self.content_type = content_type
        self._data = data

    async def read(self, size: int = -1) -> bytes:
        return self._data if size < 0 else self._data[:size]


def image_bytes(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 90)).save(buffer, kind)
    return buffer.getvalue()


MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free" * 8


# ---- who may act -------------------------------------------------------------------------------


# ---- the competitions list and the form -------------------------------------------------------


def test_an_admin_creates_a_competition_and_a_wrong_right_answer_is_a_sentence(
    session, people, app_db
):
    state = tab(session, people["admin"], CompetitionsAdminState)
    finish(CompetitionsAdminState.load, state)
    key = state.form_key

    finish(CompetitionsAdminState.create, state, new_form(answer="Purple"))
    assert state.error == "The right answer must be one of the answers to choose from."
    assert state.form_key == key and state.rows == []

    finish(CompetitionsAdminState.create, state, new_form(distinct_winners="on", winners="2"))
    assert state.error == "" and "created as a draft" in state.notice
    assert state.form_key == key + 1
    [row] = state.rows
    assert (row.title, row.phase, row.phase_words) == ("Win a camper van", "draft", "Draft")
    assert (row.sold_count, row.ticket_total, row.percent) == (0, 500, 0)
    assert row.ends.endswith("UTC") and row.admin_url == f"/admin/competitions/{row.id}"
    saved = fresh(app_db, Competition, row.id)
    assert saved.ticket_price_pence == 250 and saved.per_person_limit == 20
    assert saved.distinct_winners is True and saved.winners == 2
    assert catalogue.is_right_answer(saved, "blue") and "Blue" not in saved.answer_hash


def test_dates_are_read_in_the_admins_timezone(session, people, app_db):
    admin = people["admin"]
    admin.timezone = "Europe/London"
    session.add(admin)
    session.commit()
    state = tab(session, admin, CompetitionsAdminState)

    finish(CompetitionsAdminState.create, state, new_form(ends_at="2099-07-01T12:00"))

    [row] = state.rows
    assert fresh(app_db, Competition, row.id).ends_at.hour == 11  # 12:00 BST is 11:00 UTC


def test_the_list_features_activates_and_shows_competitions_waiting_for_a_decision(
    session, people, app_db, no_beacon
):
    admin = people["admin"]
    draft = add_competition(session, admin, active=False, title="Draft van")
    short = ended_competition(session, admin, title="Too few", min_tickets=5)
    postal(session, admin, short)
    minimum.flag_below_minimum(session)
    session.commit()
    state = tab(session, admin, CompetitionsAdminState)
    finish(CompetitionsAdminState.load, state)

    [waiting] = state.waiting
    assert (waiting.title, waiting.sold_count, waiting.minimum) == ("Too few", 1, 5)
    finish(CompetitionsAdminState.set_featured, state, draft.id, True)
    assert fresh(app_db, Competition, draft.id).featured is True
    finish(CompetitionsAdminState.activate, state, draft.id)
    assert fresh(app_db, Competition, draft.id).status == CompetitionStatus.ACTIVE

    finish(CompetitionsAdminState.extend, state, {"competition_id": short.id, "new_ends_at": ""})
    assert state.error == "The new end date must be in the future."
    later = (utcnow() + timedelta(days=3)).strftime(LOCAL)
    finish(CompetitionsAdminState.extend, state, {"competition_id": short.id, "new_ends_at": later})
    assert state.error == "" and state.notice.startswith("Extended")
    assert state.waiting == []
    assert catalogue.phase(fresh(app_db, Competition, short.id)) == catalogue.Phase.ON_SALE


def test_cancel_and_refund_everyone_needs_a_reason(session, people, app_db):
    admin = people["admin"]
    competition = add_competition(session, admin)
    buy(add_buyer(session, "ann@example.com"), competition, 2)
    state = tab(session, admin, CompetitionsAdminState)

    finish(CompetitionsAdminState.cancel, state, {"competition_id": competition.id, "reason": "no"})
    assert "reason of at least 5 characters" in state.error
    finish(
        CompetitionsAdminState.cancel,
        state,
        {"competition_id": competition.id, "reason": "The prize was recalled"},
    )
    assert state.notice.startswith("Cancelled")
    assert fresh(app_db, Competition, competition.id).status == CompetitionStatus.CANCELLED
    with Session(app_db) as s:
        assert s.exec(select(TicketOrder.status)).all() == [OrderStatus.REFUND_DUE]


# ---- one competition ------------------------------------------------------------------------


def test_an_admin_edits_a_competition_and_locked_fields_are_refused_once_sold(
    session, people, app_db
):
    admin = people["admin"]
    competition = add_competition(session, admin)
    state = page_of(session, admin, competition.id)
    form = {
        "title": state.editing.title,
        "prize": state.editing.prize,
        "description": state.editing.description,
        "ticket_price": state.editing.ticket_price,
        "max_tickets": state.editing.max_tickets,
        "per_person_limit": state.editing.per_person_limit,
        "min_tickets": state.editing.min_tickets,
        "winners": state.editing.winners,
        "starts_at": state.editing.starts_local,
        "ends_at": state.editing.ends_local,
        "draw_at": state.editing.draw_local,
        "question": state.editing.question,
        "choices": state.editing.choices,
        "answer": "",
    }
    assert form["ticket_price"] == "2.50" and form["choices"] == "Paris\nLyon\nNice"

    finish(CompetitionAdminState.save, state, form | {"title": "Win a carbon bike"})
    assert (state.error, state.notice) == ("", "Saved.")
    assert state.facts.title == "Win a carbon bike"
    buy(add_buyer(session, "ann@example.com"), competition, 2)
    finish(CompetitionAdminState.load, state)
    assert state.editing.locked is True

    # The form sent back as shown (start time rounded to the minute) is not a change.
    finish(
        CompetitionAdminState.save,
        state,
        form | {"title": "Win a carbon bike", "max_tickets": "80"},
    )
    assert (state.error, state.notice) == ("", "Saved.")
    finish(CompetitionAdminState.save, state, form | {"ticket_price": "3.00"})
    assert state.error.startswith("Tickets are sold already, so the price")
    saved = fresh(app_db, Competition, competition.id)
    assert (saved.ticket_price_pence, saved.max_tickets, saved.title) == (
        250,
        80,
        "Win a carbon bike",
    )


def test_activate_deactivate_feature_duplicate_and_delete_only_a_draft(session, people, app_db):
    admin = people["admin"]
    draft = add_competition(session, admin, active=False)
    state = page_of(session, admin, draft.id)
    assert state.facts.is_draft and state.draw.status == DrawStatus.SCHEDULED

    finish(CompetitionAdminState.activate, state)
    assert state.facts.phase == "active" and state.notice.startswith("Activated")
    assert state.facts.can_deactivate  # nobody has a ticket yet
    finish(CompetitionAdminState.delete, state)
    assert state.error == "Only a draft can be deleted. Cancel a published competition instead."
    finish(CompetitionAdminState.toggle_featured, state)
    assert state.facts.featured is True
    finish(CompetitionAdminState.deactivate, state)
    assert state.facts.is_draft and fresh(app_db, Competition, draft.id).status == "draft"

    redirect = finish(CompetitionAdminState.duplicate, state)
    assert redirect is not None and state.error == ""
    with Session(app_db) as s:
        copy = s.exec(select(Competition).where(Competition.id != draft.id)).one()
    assert copy.title.endswith("(copy)") and copy.status == CompetitionStatus.DRAFT
    finish(CompetitionAdminState.load, state)  # the page it went to says what happened, once
    assert state.notice == "A draft copy was made: you are looking at it now."
    finish(CompetitionAdminState.load, state)
    assert state.notice == ""

    gone = finish(CompetitionAdminState.delete, state)
    assert gone is not None and state.error == ""
    listing = state.parent_state.get_substate([CompetitionsAdminState.get_name()])
    finish(CompetitionsAdminState.load, listing)
    assert listing.notice == f"{draft.title} was deleted."
    assert fresh(app_db, Competition, draft.id) is None
    assert "competition.delete" in audit_actions(app_db)


def test_other_actions_keep_what_the_admin_typed_in_the_edit_and_postal_forms(
    session, people, app_db
):
    admin = people["admin"]
    competition = add_competition(session, admin, active=False)
    state = page_of(session, admin, competition.id)
    keys = lambda: (state.form_key, state.postal_key)  # noqa: E731
    shown = keys()

    finish(CompetitionAdminState.activate, state)
    finish(CompetitionAdminState.toggle_featured, state)
    picture = [Upload("a.png", image_bytes("PNG"))]
    asyncio.run(CompetitionAdminState.upload_images.fn(state, picture))
    assert state.error == "" and keys() == shown

    finish(CompetitionAdminState.save, state, {"title": "Win a better bike"})
    assert state.editing.title == "Win a better bike" and keys() == (shown[0] + 1, shown[1])
    postal_form = {"postal_name": "Pat", "postal_address": "1 High St", "postal_answer": "Paris"}
    finish(CompetitionAdminState.record_postal, state, postal_form)
    assert state.notice.startswith("Postal entry recorded") and state.postal_key == shown[1] + 1


def test_a_competitions_own_page_extends_and_cancels_it_whatever_id_the_form_carries(
    session, people, app_db, no_beacon
):
    admin = people["admin"]
    other = add_competition(session, admin, title="Someone else's")
    short = ended_competition(session, admin, title="Too few", min_tickets=5)
    postal(session, admin, short)
    minimum.flag_below_minimum(session)
    session.commit()
    state = page_of(session, admin, short.id)
    assert state.facts.below_minimum is True

    finish(CompetitionAdminState.extend, state, {"competition_id": other.id, "new_ends_at": ""})
    assert state.error == "The new end date must be in the future."
    later = (utcnow() + timedelta(days=3)).strftime(LOCAL)
    finish(CompetitionAdminState.extend, state, {"competition_id": other.id, "new_ends_at": later})
    assert state.error == "" and state.notice.startswith("Extended")
    assert state.facts.is_active and state.facts.below_minimum is False
    assert state.editing.ends_local == later  # the Edit form shows the new end date

    reason = {"competition_id": other.id, "reason": "The prize was recalled"}
    finish(CompetitionAdminState.cancel, state, reason | {"reason": "no"})
    assert "reason of at least 5 characters" in state.error
    finish(CompetitionAdminState.cancel, state, reason)
    assert state.notice.startswith("Cancelled") and state.facts.can_cancel is False
    assert fresh(app_db, Competition, short.id).status == CompetitionStatus.CANCELLED
    assert fresh(app_db, Competition, other.id).status == CompetitionStatus.ACTIVE


def test_pictures_are_checked_listed_and_removed(session, people, app_db):
    admin = people["admin"]
    competition = add_competition(session, admin)
    state = page_of(session, admin, competition.id)

    asyncio.run(
        CompetitionAdminState.upload_images.fn(state, [Upload("notes.jpg", b"just some text")])
    )
    assert "is not a PNG, JPEG or WebP image. Save the picture" in state.error
    assert state.images == []
    asyncio.run(
        CompetitionAdminState.upload_images.fn(
            state,
            [Upload("a.png", image_bytes("PNG")), Upload("b.jpg", image_bytes("JPEG"))],
        )
    )
    assert state.notice == "2 pictures added."
    first, _second = state.images
    assert first.url == routes.competition_image(competition.id, first.name)

    finish(CompetitionAdminState.remove_image, state, first.name)
    assert [image.name for image in state.images] == [_second.name]


def stored_files(folder) -> list[str]:
    return sorted(p.name for p in folder.glob("*")) if folder.exists() else []


def test_a_batch_with_one_bad_picture_adds_none_and_leaves_no_file(session, people, app_db):
    admin = people["admin"]
    competition = add_competition(session, admin)
    state = page_of(session, admin, competition.id)
    folder = get_settings().competition_image_dir
    before = stored_files(folder)

    asyncio.run(
        CompetitionAdminState.upload_images.fn(
            state,
            [Upload("a.png", image_bytes("PNG")), Upload("notes.jpg", b"just some text")],
        )
    )
    assert "is not a PNG, JPEG or WebP image" in state.error and state.images == []
    assert stored_files(folder) == before


def test_duplicating_a_competition_copies_its_pictures_and_skips_a_missing_file(
    session, people, app_db
):
    admin = people["admin"]
    competition = add_competition(session, admin)
    state = page_of(session, admin, competition.id)
    asyncio.run(
        CompetitionAdminState.upload_images.fn(
            state,
            [Upload("a.png", image_bytes("PNG")), Upload("b.jpg", image_bytes("JPEG"))],
        )
    )
    folder = get_settings().competition_image_dir
    kept, lost = (image.name for image in state.images)
    (folder / lost).unlink()  # a file that went missing from the disk

    assert finish(CompetitionAdminState.duplicate, state) is not None and state.error == ""
    with Session(app_db) as s:
        copy = s.exec(select(Competition).where(Competition.id != competition.id)).one()
        [copied] = catalogue.images_of(copy)
    assert copied != kept and (folder / copied).read_bytes() == (folder / kept).read_bytes()


def test_a_postal_entry_gets_a_ticket_and_appears_in_the_orders(session, people, app_db):
    admin = people["admin"]
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    buy(ann, competition, 2)
    state = page_of(session, admin, competition.id)
    entry = {
        "postal_name": "Pat Post",
        "postal_address": "1 High Street, Leeds",
        "postal_answer": "Lyon",
        "postal_email": "",
    }
    assert state.choices == ["Paris", "Lyon", "Nice"]

    finish(CompetitionAdminState.record_postal, state, entry)
    assert state.error.startswith("The answer on this entry is wrong")
    finish(CompetitionAdminState.record_postal, state, entry | {"postal_answer": "Paris"})
    assert state.notice == "Postal entry recorded: ticket 3 for Pat Post."

    newest, paid = state.orders
    assert (newest.buyer, newest.numbers, newest.status_words) == ("Pat Post", "3", "Postal entry")
    assert newest.amount == "free (postal)" and newest.can_refund is True
    assert (paid.buyer, paid.numbers, paid.amount) == ("Ann", "1–2", "£5.00")
    assert state.facts.sold_count == 3
    assert state.facts.export_url == routes.tickets_export(competition.id)


def test_perform_draw_now_before_the_end_says_why_not(session, people, app_db, no_beacon):
    admin = people["admin"]
    competition = add_competition(session, admin)
    state = page_of(session, admin, competition.id)

    asyncio.run(CompetitionAdminState.draw_now.fn(state))

    assert state.error.startswith("Sales are open until") and state.notice == ""
    assert state.running == [] and state.draw.status == DrawStatus.SCHEDULED


def test_perform_draw_now_after_the_end_draws_and_lists_the_history_and_proof(
    session, people, app_db, no_beacon
):
    admin = people["admin"]
    competition = ended_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    postal(session, admin, competition, name="Ann", email=ann.email)
    state = page_of(session, admin, competition.id)

    asyncio.run(CompetitionAdminState.draw_now.fn(state))

    assert state.error == "" and state.notice == "Drawn: 1 winner."
    assert state.draw.is_drawn and state.draw.can_draw is False
    assert state.proofs[0].url == routes.draw_proof(state.draw.id)
    assert len(state.proofs) == 1
    assert state.draw.announcement.splitlines()[1].startswith("Ticket 1 won A road bike!")
    history = [h.what for h in state.history]
    assert history[0].startswith("Draw scheduled; its commitment")
    assert any(h.startswith("Sales closed: 1 tickets frozen") for h in history)
    assert "Drawn by an admin (Draw now) by admin@example.com." in history
    assert any(h.startswith("competition.create by") for h in history)
    assert state.winners[0].startswith("Place 1: Ticket 1 — ")


def test_a_manual_winner_needs_a_reason_and_is_recorded_as_one(session, people, app_db, no_beacon):
    admin = people["admin"]
    competition = ended_competition(session, admin)
    postal(session, admin, competition, name="Pat Post")
    postal(session, admin, competition, name="Sam Stamp")
    state = page_of(session, admin, competition.id)

    finish(CompetitionAdminState.manual_winner, state, {"manual_ticket": "2", "reason": ""})
    assert state.error == "Give a reason of at least 5 characters: it is recorded."
    finish(
        CompetitionAdminState.manual_winner,
        state,
        {"manual_ticket": "7", "reason": "Drawn live on stream"},
    )
    assert state.error == "Ticket 7 was not in the draw (not sold, or refunded)."
    finish(
        CompetitionAdminState.manual_winner,
        state,
        {"manual_ticket": "2", "reason": "Drawn live on stream"},
    )

    assert state.error == "" and state.notice.startswith("Manual winner recorded")
    with Session(app_db) as s:
        winner = s.exec(select(DrawWinner)).one()
        draw = draws.get(s, winner.draw_id)
    assert winner.ticket == 2 and draw.trigger == DrawTrigger.OVERRIDE
    assert draw.reason == "Drawn live on stream"
    assert "chosen by an admin, not by the random draw" in state.draw.announcement
    assert state.winners[0].startswith("Place 1: Ticket 2, named by an admin")


# ---- tickets -----------------------------------------------------------------------------------


def test_an_admin_finds_an_order_and_refunds_it_with_a_reason(session, people, app_db):
    admin = people["admin"]
    competition = add_competition(session, admin)
    ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")
    buy(ann, competition, 2)
    buy(bob, competition, 1)
    state = tab(session, admin, TicketsAdminState)
    finish(TicketsAdminState.load, state)
    assert [o.buyer for o in state.orders] == ["Bob", "Ann"]

    finish(TicketsAdminState.search, state, {"query": "ann@", "competition": str(competition.id)})
    [order] = state.orders
    assert (order.email, order.numbers, order.status_words) == ("ann@example.com", "1–2", "Paid")
    finish(TicketsAdminState.search, state, {"query": "3", "competition": ""})
    assert [o.buyer for o in state.orders] == ["Bob"]  # ticket 3
    bobs_order = state.orders[0].order_id
    finish(TicketsAdminState.search, state, {"query": str(bobs_order), "competition": ""})
    assert [o.buyer for o in state.orders] == ["Ann"]  # the ticket with that number, no order
    finish(TicketsAdminState.search, state, {"query": f"#{bobs_order}", "competition": ""})
    assert [o.order_id for o in state.orders] == [bobs_order]  # that order, no ticket
    finish(TicketsAdminState.search, state, {"query": "ann", "competition": ""})

    finish(TicketsAdminState.refund, state, {"order_id": order.order_id, "reason": ""})
    assert state.error.startswith("Give a reason of at least 5 characters")
    finish(
        TicketsAdminState.refund, state, {"order_id": order.order_id, "reason": "Asked to withdraw"}
    )
    assert state.notice.startswith("Refund requested")
    [refunding] = state.orders
    assert (refunding.status_words, refunding.can_refund) == ("Refund requested", False)
    assert refunding.refund_reason == "Asked to withdraw"
    with Session(app_db) as s:
        statuses = s.exec(select(Ticket.status).where(Ticket.user_id == ann.id)).all()
    assert statuses == [TicketStatus.REFUNDED, TicketStatus.REFUNDED]

    refunds.process_refunds()
    finish(TicketsAdminState.search, state, {"query": "ann", "competition": ""})
    assert state.orders[0].status_words == "Refunded"


def test_twenty_digit_numbers_are_a_sentence_or_plain_text_not_a_crash(session, people, app_db):
    admin = people["admin"]
    competition = add_competition(session, admin)
    buy(add_buyer(session, "ann@example.com"), competition, 1)
    huge = "9" * 20
    state = tab(session, admin, TicketsAdminState)
    finish(TicketsAdminState.load, state)

    finish(TicketsAdminState.search, state, {"query": huge, "competition": huge})
    assert state.error == "" and state.orders == [] and state.competition_filter == ""
    finish(TicketsAdminState.search, state, {"query": "#" + huge, "competition": ""})
    assert state.error == "" and state.orders == []
    state.search_text, state.competition_filter = "", huge  # as a stale tab could hold it
    finish(TicketsAdminState.load, state)
    assert state.error == "" and len(state.orders) == 1
    finish(TicketsAdminState.refund, state, {"order_id": huge, "reason": "Asked to withdraw"})
    assert state.error == "That record could not be found. Reload the page and try again."
    assert orders.find(session, query=str(2**63)) == []


def test_a_members_row_shows_their_tickets_and_orders(session, people):
    admin = people["admin"]
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    buy(ann, competition, 3)
    state = tab(session, admin, AdminState)
    finish(AdminState.load, state)

    finish(AdminState.show_orders, state, ann.id)

    assert state.orders_open is True and state.orders_of == "Ann (ann@example.com)"
    [order] = state.member_orders
    assert (order.competition, order.numbers, order.amount) == ("Win a bike", "1–3", "£7.50")
    finish(AdminState.set_orders_open, state, False)
    assert state.member_orders == []


# ---- winners: details, media, delivered ---------------------------------------------------------


def drawn_winner(session, admin: User, email: str = "ann@example.com") -> DrawWinner:
    competition = ended_competition(session, admin)
    buyer = add_buyer(session, email)
    postal(session, admin, competition, name="Ann", email=buyer.email)
    draw = catalogue.draw_of(session, competition.id)
    assert draw_actions.draw_now(admin.id, draw.id).status == "drawn"
    return session.exec(select(DrawWinner).where(DrawWinner.draw_id == draw.id)).one()


def test_marking_a_competition_prize_delivered_emails_the_winner_once(
    session, people, app_db, no_beacon
):
    winner = drawn_winner(session, people["admin"])
    state = tab(session, people["admin"], WinnersAdminState)
    finish(WinnersAdminState.load, state)
    [row] = state.rows
    assert row.ticket_words == "Ticket 1"

    finish(WinnersAdminState.set_status, state, winner.id, "delivered")
    finish(WinnersAdminState.set_status, state, winner.id, "delivered")

    with Session(app_db) as s:
        [message] = s.exec(
            select(OutboxMessage).where(OutboxMessage.template == "prize_delivered")
        ).all()
    assert message.to_address == "ann@example.com" and "Win a bike" in message.subject
    assert fresh(app_db, DrawWinner, winner.id).status == "delivered"


def test_marking_a_raffle_prize_delivered_sends_no_prize_email(session, people, app_db, no_beacon):
    from tests.db.test_admin_draws_state import drawn_pool, open_pool

    draw = drawn_pool(session, open_pool(session, {"ann@example.com": 3}), people["admin"])
    winner = session.exec(select(DrawWinner).where(DrawWinner.draw_id == draw.id)).one()

    draw_actions.set_winner_status(session, people["admin"], winner.id, "delivered")
    session.commit()

    templates = session.exec(select(OutboxMessage.template)).all()
    assert "prize_delivered" not in templates and winner.status == "delivered"


def test_an_admin_adds_details_and_a_checked_photo_or_video(session, people, app_db, no_beacon):
    winner = drawn_winner(session, people["admin"])
    state = tab(session, people["admin"], WinnersAdminState)
    finish(WinnersAdminState.load, state)
    finish(WinnersAdminState.manage, state, winner.id)
    assert state.managing_open is True and state.managing.id == winner.id

    finish(WinnersAdminState.save_details, state, {"details": "Ann from Leeds:  “Brilliant!”"})
    assert state.managing.details == "Ann from Leeds: “Brilliant!”"

    def upload(name: str, data: bytes, claimed: str = "") -> None:
        asyncio.run(WinnersAdminState.upload_media.fn(state, [Upload(name, data, claimed)]))

    upload("winner.jpg", b"this is a text file, not a photo")
    assert "is not a photo (PNG, JPEG or WebP) or a video (MP4 or WebM)" in state.error
    upload("clip.mp4", b"not a video either, just words")
    assert "is not a photo (PNG, JPEG or WebP) or a video (MP4 or WebM)" in state.error
    upload("clip.webm", MP4_HEAD)
    assert state.error.startswith("This file is an MP4 video, but its name ends in .webm")
    assert fresh(app_db, DrawWinner, winner.id).media_name is None

    upload("winner.png", image_bytes("PNG"), "image/png")
    assert state.error == "" and fresh(app_db, DrawWinner, winner.id).media_type == "image/png"
    first_name = fresh(app_db, DrawWinner, winner.id).media_name
    upload("winner.jpg", image_bytes("JPEG"), "image/jpeg")
    assert fresh(app_db, DrawWinner, winner.id).media_type == "image/jpeg"
    assert not (get_settings().winner_media_dir / first_name).exists()  # replaced, not kept
    upload("clip.mp4", MP4_HEAD, "video/mp4")
    saved = fresh(app_db, DrawWinner, winner.id)
    assert state.error == "" and saved.media_type == "video/mp4"
    assert saved.media_name.endswith(".mp4") and state.managing.is_video is True
    assert state.managing.media_url == routes.winner_media(winner.id)
    assert "winner.media" in audit_actions(app_db) and "winner.details" in audit_actions(app_db)


def test_a_video_over_50_mb_is_refused(session, people, no_beacon):
    winner = drawn_winner(session, people["admin"])
    big = MP4_HEAD + b"\x00" * (winner_media.MAX_VIDEO_BYTES)

    with pytest.raises(UserError, match="at most 50 MB"):
        winner_media.attach_media(
            session, people["admin"], winner.id, filename="long.mp4", data=big
        )


def test_a_winner_photo_over_10_mb_is_refused_in_photo_words(session, people, no_beacon):
    winner = drawn_winner(session, people["admin"])
    big = image_bytes("PNG") + b"\x00" * winner_media.MAX_PHOTO_BYTES

    with pytest.raises(UserError, match="A winner's photo can be at most 10 MB"):
        winner_media.attach_media(session, people["admin"], winner.id, filename="w.png", data=big)


def test_an_admin_removes_a_winners_photo_and_its_file_goes_once_committed(
    session, people, app_db, no_beacon
):
    winner = drawn_winner(session, people["admin"])
    state = tab(session, people["admin"], WinnersAdminState)
    finish(WinnersAdminState.load, state)
    finish(WinnersAdminState.manage, state, winner.id)
    photo = [Upload("winner.png", image_bytes("PNG"), "image/png")]
    asyncio.run(WinnersAdminState.upload_media.fn(state, photo))
    stored = get_settings().winner_media_dir / fresh(app_db, DrawWinner, winner.id).media_name
    assert stored.exists()

    finish(WinnersAdminState.remove_media, state)

    assert state.error == "" and state.notice == "Photo or video removed."
    saved = fresh(app_db, DrawWinner, winner.id)
    assert (saved.media_name, saved.media_type) == (None, None) and not stored.exists()
    assert "winner.media_removed" in audit_actions(app_db)


def test_winner_media_is_for_admins_until_the_winner_is_published(
    session, people, app_db, no_beacon
):
    admin, member = people["admin"], people["member"]
    winner = drawn_winner(session, admin)
    winner_media.attach_media(session, admin, winner.id, filename="w.png", data=image_bytes("PNG"))
    winner_media.set_details(session, admin, winner.id, "From Leeds")
    session.commit()
    url = routes.winner_media(winner.id)

    assert winner_media.media_file(session, winner.id, None) is None
    assert winner_media.media_file(session, winner.id, member) is None
    path, kind = winner_media.media_file(session, winner.id, admin)
    assert path.exists() and kind == "image/png"
    with TestClient(build_api()) as client:
        assert client.get(url).status_code == 404
        client.cookies.set("luckyclub_session", browser_session(session, member))
        assert client.get(url).status_code == 404
        client.cookies.set("luckyclub_session", browser_session(session, admin))
        seen = client.get(url)
        assert seen.status_code == 200 and seen.headers["content-type"] == "image/png"
        assert seen.headers["x-content-type-options"] == "nosniff"

        draw_actions.set_winner_status(session, admin, winner.id, "publish")
        session.commit()
        client.cookies.clear()
        assert client.get(url).status_code == 200
        [champion] = draw_public.champions(session)
        assert champion.media_url == url
        champions_page = state_for_tab(ChampionsState)
        finish(ChampionsState.load, champions_page)
        [shown] = champions_page.champions
        assert (shown.media_url, shown.is_video, shown.details) == (url, False, "From Leeds")

        draw_actions.set_winner_status(session, admin, winner.id, "unpublish")
        session.commit()
        assert client.get(url).status_code == 404


def test_a_draw_waiting_for_randomness_offers_draw_without_beacon_on_its_page(
    session, people, app_db, no_relay
):
    admin = people["admin"]
    competition = ended_competition(session, admin)
    postal(session, admin, competition, name="Pat Post")
    state = page_of(session, admin, competition.id)
    asyncio.run(CompetitionAdminState.draw_now.fn(state))  # closes; the round is not out yet
    waited = draws.perform(state.draw.id, now=utcnow() + timedelta(minutes=5))
    assert waited.status == "waiting"
    assert "ConnectError" not in waited.message and "127.0.0.1" not in waited.message
    assert "Draw without beacon" in waited.message
    # the retry time is written the one way every time is: date, time and zone (words.when)
    assert re.search(r"tries again at \d{2} \w{3} \d{4}, \d{2}:\d{2} UTC by", waited.message)

    finish(CompetitionAdminState.load, state)
    assert state.draw.status == DrawStatus.WAITING_FOR_BEACON and state.draw.can_skip_beacon
    assert state.draw.waiting_words.startswith("No drand relay has given round ")
    assert "ConnectError" not in repr(state.draw)

    asyncio.run(CompetitionAdminState.draw_without_beacon.fn(state, {"reason": "Relays down"}))

    assert state.error == "" and state.notice == "Drawn: 1 winner."
    assert state.draw.is_drawn and state.draw.waiting_words == ""
    assert "draw.no_beacon" in audit_actions(app_db)


def test_deactivate_is_not_offered_once_tickets_are_sold(session, people, app_db):
    admin = people["admin"]
    competition = add_competition(session, admin)
    buy(add_buyer(session, "ann@example.com"), competition, 1)

    state = page_of(session, admin, competition.id)

    assert state.facts.is_active and not state.facts.can_deactivate
    finish(CompetitionAdminState.deactivate, state)  # a stale tab still asking
    assert state.error.startswith("People have tickets in this competition")
    assert fresh(app_db, Competition, competition.id).status == CompetitionStatus.ACTIVE
