"""The public competition pages' states, driven as a browser tab drives them: the list and its tabs,
the ticket picker's bounds, the skill question, Stripe's way back (paid, waiting, refunded,
cancelled), the built-in test checkout, and the result once drawn."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import func, select

from luckyclub.competitions import catalogue, fulfilment, refunds, responsible_play
from luckyclub.competitions.checkout import HOLD_FOR, WRONG_ANSWER, release, start_checkout
from luckyclub.core import routes
from luckyclub.core.errors import UserError
from luckyclub.models import (
    Competition,
    CompetitionStatus,
    DrawWinner,
    OrderStatus,
    Role,
    TicketOrder,
    User,
    utcnow,
)
from luckyclub.pages.club.dashboard import DashboardState
from luckyclub.pages.competitions.catalogue import CompetitionListState, load_tab, room_of
from luckyclub.pages.competitions.checkout import TicketCheckoutState
from luckyclub.pages.competitions.competition import WAITING, CompetitionPageState
from luckyclub.pages.competitions.rules import RulesState
from luckyclub.pages.draws.draw import DrawPageState
from luckyclub.pages.draws.live_draw import LiveDrawState
from luckyclub.platform import accounts, draw_actions, draws, wins
from luckyclub.state import live
from luckyclub.state.session import SessionState
from tests.db.factories import add_buyer, add_competition, add_user
from tests.db.reflex_state import OneTabApp, finish, run_busy, state_for_tab


@pytest.fixture()
def admin(session):
    return add_user(session, "admin@example.com", Role.ADMIN)


def token_for(session, user) -> str:
    token, _ = accounts.start_session(session, user)
    session.commit()
    return token


def list_tab(path: str = routes.COMPETITIONS, token: str | None = None) -> CompetitionListState:
    state = state_for_tab(CompetitionListState, path=path, session_token=token)
    finish(SessionState.refresh, state)  # the page's on_load runs it first
    finish(CompetitionListState.load, state)
    return state


def list_page(path: str = routes.COMPETITIONS, token: str | None = None) -> CompetitionListState:
    return list_tab(path, token)


def live_page(draw_id: int) -> LiveDrawState:
    state = state_for_tab(LiveDrawState, path=routes.live_page(draw_id))
    finish(LiveDrawState.load, state)
    return state


def competition_page(competition_id: int, query: str = "", token: str | None = None):
    path = routes.competition_page(competition_id) + (f"?{query}" if query else "")
    state = state_for_tab(CompetitionPageState, path=path, session_token=token)
    finish(CompetitionPageState.load, state)
    return state


def redirect_target(spec) -> str:
    return spec.args[0][1]._var_value


def script_of(spec) -> str:
    """The JavaScript an rx.call_script event runs."""
    return dict((str(name), value) for name, value in spec.args)["javascript_code"]._var_value


def checkout(user, competition, quantity: int = 1) -> tuple[int, str]:
    """An open test checkout: its order id and checkout id."""
    started = start_checkout(user.id, competition.id, quantity, "Paris")
    return started.order_id, started.url.split("session=")[1]


def buy(user, competition, quantity: int = 1) -> tuple[int, ...]:
    _, checkout_id = checkout(user, competition, quantity)
    return fulfilment.pay_test_checkout(user, checkout_id).numbers


def move_dates(session, competition, **changes) -> None:
    session.exec(update(Competition).where(Competition.id == competition.id).values(**changes))
    session.commit()


# ---- the list ----------------------------------------------------------------------------------


def test_each_tab_lists_its_phase_featured_first_and_never_a_draft(session, admin):
    now = utcnow()
    plain = add_competition(session, admin, title="Plain bike")
    featured = add_competition(session, admin, title="Featured car")
    catalogue.set_featured(session, admin, featured.id, True)
    add_competition(session, admin, title="Coming TV", starts_at=now + timedelta(days=1))
    ended = add_competition(session, admin, title="Ended watch")
    move_dates(session, ended, ends_at=now - timedelta(hours=1), draw_at=now + timedelta(hours=1))
    drawn = add_competition(session, admin, title="Drawn boat")
    move_dates(session, drawn, status=CompetitionStatus.DRAWN)
    add_competition(session, admin, title="Secret draft", active=False)
    session.commit()

    state = room = list_tab()
    assert room.tab == "active"
    assert [c.title for c in room.cards] == ["Featured car", "Plain bike"]
    card = room.cards[0]
    assert card.featured and card.price == "£2.50" and card.sold_words == "0 of 100 sold"
    assert card.ends.endswith("UTC") and card.url == routes.competition_page(featured.id)
    assert not card.closing_soon and not card.sold_out and card.percent == 0

    assert [c.title for c in list_page("/competitions?status=upcoming").cards] == ["Coming TV"]
    finish(CompetitionListState.choose_tab, state, "ended")
    assert [c.title for c in room.cards] == ["Ended watch"]
    spec = finish(CompetitionListState.choose_tab, state, "drawn")
    assert [(c.title, c.phase_words) for c in room.cards] == [("Drawn boat", "Drawn")]
    assert script_of(spec) == "history.replaceState(null, '', \"/competitions?status=drawn\")"
    finish(CompetitionListState.choose_tab, state, "draft")  # not a tab: nothing changes
    assert state.tab == "drawn"
    assert list_page("/competitions?status=bogus").tab == "active"
    assert plain.id != drawn.id


def test_public_pages_show_utc_and_a_members_own_pages_their_zone_and_badges(session, admin):
    now = utcnow()
    closing = add_competition(session, admin, title="Closing soon", max_tickets=2)
    move_dates(session, closing, ends_at=now + timedelta(hours=3), draw_at=now + timedelta(hours=3))
    member = add_buyer(session, "ann@example.com", timezone="America/New_York")
    buy(member, closing, 2)
    token = token_for(session, member)

    card = list_page(token=token).cards[0]
    page = competition_page(closing.id, token=token)
    dashboard = state_for_tab(DashboardState, path=routes.DASHBOARD, session_token=token)
    finish(DashboardState.load, dashboard)

    # One rule, never two zones on one page: public pages in UTC, the member's own in theirs.
    assert card.ends.endswith("UTC") and page.comp.ends.endswith("UTC")
    assert page.comp.draw_time.endswith("UTC")
    assert dashboard.ticket_orders[0].created.endswith(("EST", "EDT"))
    assert card.closing_soon and card.sold_out and card.percent == 100
    assert card.sold_words == "2 of 2 sold"


def test_the_list_moves_without_a_reload_when_someone_buys(session, admin):
    competition = add_competition(session, admin)
    room = list_page()
    assert room.cards[0].sold_words == "0 of 100 sold"

    buy(add_buyer(session, "ann@example.com"), competition, 3)
    app, tab_room = OneTabApp(room, "cards"), room_of("active")
    tab_room.tabs.add("this tab")
    write = live.write(app, tab_room, asyncio.run(load_tab("active")))
    asyncio.run(write)  # what the fan-out does with this tab's room when `competitions` changes

    assert room.cards[0].percent == 3
    assert room.cards[0].sold_words == "3 of 100 sold"
    room.dirty_vars.clear()  # sent to the tabs
    write = live.write(app, tab_room, asyncio.run(load_tab("active")))
    asyncio.run(write)  # nothing changed since: nothing is sent again
    assert not room.dirty_vars


def test_a_refunded_ticket_no_longer_counts_as_sold(session, admin):
    competition = add_competition(session, admin)
    ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")
    buy(ann, competition, 2)
    bobs_order, checkout_id = checkout(bob, competition, 1)
    fulfilment.pay_test_checkout(bob, checkout_id)
    refunds.refund_order(session, admin, bobs_order, "Asked to withdraw")
    session.commit()

    [card] = list_page().cards
    page = competition_page(competition.id)

    assert (card.sold_words, card.percent) == ("2 of 100 sold", 2)
    assert page.comp.sold_words == "2 of 100 sold"
    assert page.comp.tickets_left == 97  # ticket 3's number is never handed out again


# ---- one competition: what a member may buy ------------------------------------------------------


def test_the_quantity_is_bounded_by_what_is_left_and_the_per_person_limit(session, admin):
    competition = add_competition(session, admin, max_tickets=10, per_person_limit=4)
    ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")
    carl = add_buyer(session, "carl@example.com")
    buy(ann, competition, 3)

    mine = competition_page(competition.id, token=token_for(session, ann))
    assert (mine.can_buy, mine.my_numbers) == (1, "1–3")  # 3 of the 4 per person

    checkout(carl, competition, 4)  # held, not paid: 3 tickets are left
    checkout(add_buyer(session, "dan@example.com"), competition, 1)
    state = competition_page(competition.id, token=token_for(session, bob))
    assert (state.comp.tickets_left, state.can_buy, state.my_numbers) == (2, 2, "")

    finish(CompetitionPageState.set_quantity, state, "2")
    assert state.total == "£5.00"
    finish(CompetitionPageState.step_quantity, state, 1)
    assert state.quantity_text == "2"  # never past what may be bought
    finish(CompetitionPageState.set_quantity, state, "3")
    assert state.total == ""
    finish(CompetitionPageState.choose_answer, state, "Paris")
    run_busy(CompetitionPageState.buy, state)
    assert state.error == "You can choose at most 2 tickets now."

    visitor = competition_page(competition.id)
    assert visitor.can_buy == 2 and visitor.my_numbers == ""


def test_the_quantity_is_bounded_by_what_the_monthly_spend_limit_leaves(session, admin):
    competition = add_competition(session, admin, max_tickets=100, per_person_limit=47)
    ann = add_buyer(session, "ann@example.com")
    responsible_play.set_monthly_limit(session, ann, 2000)  # £20
    session.commit()
    buy(ann, competition, 1)  # £2.50 spent: £17.50 left, 7 tickets at £2.50

    state = competition_page(competition.id, token=token_for(session, ann))

    assert state.can_buy == 7
    assert state.limit_words == "Your monthly spend limit leaves £17.50 this month."
    finish(CompetitionPageState.set_quantity, state, "8")
    assert state.total == ""  # the picker never prices what Pay would refuse
    responsible_play.self_exclude(session, ann, 6)
    session.commit()
    assert competition_page(competition.id, token=token_for(session, ann)).can_buy == 0
    assert competition_page(competition.id).limit_words == ""  # a visitor has no limit


def test_a_wrong_answer_says_so_and_enters_nothing(session, admin):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    state = competition_page(competition.id, token=token_for(session, ann))
    assert state.question == "What is the capital of France?"
    assert state.choices == ["Paris", "Lyon", "Nice"]

    finish(CompetitionPageState.set_quantity, state, "2")
    run_busy(CompetitionPageState.buy, state)
    assert state.error == "Choose your answer to the question first."
    finish(CompetitionPageState.choose_answer, state, "Lyon")
    assert run_busy(CompetitionPageState.buy, state) is None

    assert state.error == WRONG_ANSWER
    assert session.exec(select(func.count()).select_from(TicketOrder)).one() == 0

    finish(CompetitionPageState.choose_answer, state, "Paris")
    target = redirect_target(run_busy(CompetitionPageState.buy, state))
    assert target.startswith(routes.COMPETITION_TEST_CHECKOUT + "?session=")
    order = session.exec(select(TicketOrder)).one()
    assert (order.status, order.quantity, order.amount_pence) == (OrderStatus.PENDING, 2, 500)


def test_a_visitor_is_sent_to_sign_in_and_back(session, admin):
    competition = add_competition(session, admin)
    state = competition_page(competition.id)

    target = redirect_target(run_busy(CompetitionPageState.buy, state))

    assert target == f"{routes.LOGIN}?next={routes.competition_page(competition.id)}"


def test_a_draft_or_unknown_competition_is_missing(session, admin):
    draft = add_competition(session, admin, active=False)
    assert competition_page(draft.id).missing
    assert competition_page(987654).missing


# ---- Stripe's way back --------------------------------------------------------------------------


def test_the_success_page_shows_the_numbers(session, admin):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    order_id, checkout_id = checkout(ann, competition, 2)
    fulfilment.pay_test_checkout(ann, checkout_id)

    state = competition_page(
        competition.id, f"order={order_id}&session_id={checkout_id}", token_for(session, ann)
    )

    assert state.error == ""
    assert state.notice == "Payment received. Your tickets: 1–2. Good luck!"
    assert state.my_numbers == "1–2" and not state.waiting
    assert state.comp.sold_words == "2 of 100 sold"


def test_the_success_page_waits_for_the_payment_then_shows_the_numbers(session, admin):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    order_id, checkout_id = checkout(ann, competition, 1)
    token = token_for(session, ann)

    state = competition_page(competition.id, f"order={order_id}&session_id={checkout_id}", token)
    assert state.waiting and state.notice == WAITING

    fulfilment.pay_test_checkout(ann, checkout_id)  # the webhook arrives
    finish(CompetitionPageState.changed, state, "v1")  # the member's room says so

    assert not state.waiting
    assert state.notice == "Payment received. Your tickets: 1. Good luck!"
    assert state.my_numbers == "1"


def test_a_failed_look_while_waiting_is_said_once_and_the_page_stops_asking(
    session, admin, monkeypatch
):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    order_id, checkout_id = checkout(ann, competition, 1)
    state = competition_page(
        competition.id, f"order={order_id}&session_id={checkout_id}", token_for(session, ann)
    )
    assert state.waiting
    asked: list[str] = []

    def unavailable(user_id, checkout_id):
        asked.append(checkout_id)
        raise UserError("Payments are unavailable just now.")

    monkeypatch.setattr(fulfilment, "confirm", unavailable)
    for version in range(6):
        finish(CompetitionPageState.changed, state, f"v{version}")

    assert asked == [checkout_id]
    assert state.error == "Payments are unavailable just now."
    assert not state.waiting and state.notice == ""


def test_the_success_page_explains_a_refund_when_the_payment_came_too_late(session, admin):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    order_id, checkout_id = checkout(ann, competition, 1)
    now = utcnow()
    move_dates(session, competition, ends_at=now - timedelta(minutes=1), draw_at=now)
    fulfilment.pay_test_checkout(ann, checkout_id)

    state = competition_page(
        competition.id, f"order={order_id}&session_id={checkout_id}", token_for(session, ann)
    )

    assert state.error.startswith("Your payment could not become tickets: The competition closed")
    assert "refunded in full" in state.error and state.my_numbers == ""


def test_someone_elses_checkout_is_refused(session, admin):
    competition = add_competition(session, admin)
    ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")
    order_id, checkout_id = checkout(ann, competition, 1)

    state = competition_page(
        competition.id, f"order={order_id}&session_id={checkout_id}", token_for(session, bob)
    )

    assert state.error == "That checkout is not one of yours." and not state.waiting


def test_cancelling_the_checkout_releases_its_tickets_at_once(session, admin):
    competition = add_competition(session, admin)
    ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")
    order_id, _ = checkout(ann, competition, 3)
    bobs_order, _ = checkout(bob, competition, 2)

    state = competition_page(competition.id, f"cancelled={order_id}", token_for(session, ann))

    assert "released" in state.notice and "nothing was charged" in state.notice
    session.expire_all()
    assert session.get(TicketOrder, order_id).status == OrderStatus.EXPIRED
    assert session.get(Competition, competition.id).held == 2
    assert state.comp.tickets_left == 98

    again = competition_page(competition.id, f"cancelled={order_id}", token_for(session, ann))
    assert again.notice == "That checkout is closed already; nothing more was charged."
    competition_page(competition.id, f"cancelled={bobs_order}", token_for(session, ann))
    session.expire_all()
    assert session.get(TicketOrder, bobs_order).status == OrderStatus.PENDING  # not ann's to cancel


def test_the_address_cleanup_script_quotes_the_path_as_a_string(session, admin):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    order_id, _ = checkout(ann, competition, 1)
    path = f"/competitions/x');alert(1);('/{competition.id}"  # still ends in the id
    state = state_for_tab(
        CompetitionPageState,
        path=f"{path}?cancelled={order_id}",
        session_token=token_for(session, ann),
    )

    script = script_of(finish(CompetitionPageState.load, state))

    assert script == f"history.replaceState(null, '', {json.dumps(path)})"


@pytest.mark.parametrize("order", ["²", "9" * 20, str(2**31)])
def test_a_cancelled_address_with_no_real_order_id_changes_nothing(session, admin, order):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    held, _ = checkout(ann, competition, 1)

    state = competition_page(competition.id, f"cancelled={order}", token_for(session, ann))

    assert state.error == "" and state.notice == "" and not state.missing
    session.expire_all()
    assert session.get(TicketOrder, held).status == OrderStatus.PENDING


def test_a_quantity_in_other_digits_is_not_a_quantity(session, admin):
    competition = add_competition(session, admin)
    state = competition_page(competition.id, token=token_for(session, add_buyer(session, "a@x.io")))

    finish(CompetitionPageState.set_quantity, state, "²")
    assert state.total == ""
    finish(CompetitionPageState.step_quantity, state, 1)
    assert state.quantity_text == "2"
    finish(CompetitionPageState.set_quantity, state, "²")
    run_busy(CompetitionPageState.buy, state)
    assert state.error == "Choose how many tickets, as a whole number of 1 or more."


# ---- the built-in test checkout -----------------------------------------------------------------


def test_the_test_checkout_shows_the_order_and_pays_it(session, admin):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com", timezone="Europe/London")
    order_id, checkout_id = checkout(ann, competition, 3)
    path = f"{routes.COMPETITION_TEST_CHECKOUT}?session={checkout_id}"
    state = state_for_tab(TicketCheckoutState, path=path, session_token=token_for(session, ann))

    finish(TicketCheckoutState.load, state)
    assert state.found and state.open_now and state.error == ""
    assert (state.title, state.quantity, state.amount) == ("Win a bike", 3, "£7.50")
    assert state.held_until.endswith(("GMT", "BST"))

    target = redirect_target(run_busy(TicketCheckoutState.pay, state))
    assert target == (
        f"{routes.competition_page(competition.id)}?order={order_id}&session_id={checkout_id}"
    )
    session.expire_all()
    assert session.get(TicketOrder, order_id).status == OrderStatus.PAID

    finish(TicketCheckoutState.load, state)
    assert not state.open_now and state.closed_words == "This checkout is paid already."


def test_the_test_checkout_cancels_back_to_the_competition(session, admin):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    order_id, checkout_id = checkout(ann, competition, 1)
    path = f"{routes.COMPETITION_TEST_CHECKOUT}?session={checkout_id}"
    state = state_for_tab(TicketCheckoutState, path=path, session_token=token_for(session, ann))
    finish(TicketCheckoutState.load, state)

    target = redirect_target(finish(TicketCheckoutState.cancel_checkout, state))

    assert target == f"{routes.competition_page(competition.id)}?cancelled={order_id}"
    release(order_id, user_id=ann.id)
    finish(TicketCheckoutState.load, state)
    minutes = HOLD_FOR // timedelta(minutes=1)
    assert state.closed_words.startswith(f"This checkout is closed: its {minutes} minutes ran out")


def test_someone_elses_test_checkout_is_not_valid(session, admin):
    competition = add_competition(session, admin)
    ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")
    _, checkout_id = checkout(ann, competition, 1)
    path = f"{routes.COMPETITION_TEST_CHECKOUT}?session={checkout_id}"
    state = state_for_tab(TicketCheckoutState, path=path, session_token=token_for(session, bob))

    finish(TicketCheckoutState.load, state)

    assert not state.found and "not valid any more" in state.error
    run_busy(TicketCheckoutState.pay, state)
    assert "not valid any more" in state.error


# ---- after the draw ----------------------------------------------------------------------------


def test_the_live_page_counts_tickets_and_entrants_before_the_draw(session, admin):
    competition = add_competition(session, admin)
    buy(add_buyer(session, "ann@example.com"), competition, 2)
    buy(add_buyer(session, "bob@example.com"), competition, 1)
    draw = catalogue.draw_of(session, competition.id)

    state = live_page(draw.id)

    assert state.draw.entries_title == "Tickets" and state.draw.entries_words == "3 tickets"
    assert (state.draw.entrant_count, state.draw.entry_count) == (2, 3)


def test_after_the_draw_the_page_shows_the_winning_ticket_and_names_a_published_winner(
    session, admin, no_beacon
):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com", show_on_leaderboard=True)
    buy(ann, competition, 2)
    buy(add_buyer(session, "bob@example.com"), competition, 1)
    draws.run_due(now=competition.draw_at + timedelta(seconds=1))
    session.expire_all()
    draw = catalogue.draw_of(session, competition.id)
    winner = session.exec(select(DrawWinner).where(DrawWinner.draw_id == draw.id)).one()

    state = competition_page(competition.id)
    assert state.comp.phase == "drawn" and state.draw_status == "drawn"
    assert [(w.ticket, w.published, w.name) for w in state.winners] == [
        (f"Ticket {winner.ticket}", False, "")
    ]
    assert state.draw_url == routes.draw_page(draw.id)
    assert state.live_url == routes.live_page(draw.id)
    assert state.can_buy == 0

    draw_actions.set_winner_status(session, admin, winner.id, "publish")
    session.commit()
    published = competition_page(competition.id).winners[0]
    # Ann shows her name on leaderboards, but a winner is named only with consent to that.
    assert published.published and published.name == f"Member #{winner.user_id}"
    holder = session.get(User, winner.user_id)
    wins.set_name_consent(session, holder, winner.id, True)
    session.commit()
    assert competition_page(competition.id).winners[0].name == holder.display_name

    theirs = competition_page(competition.id, token=token_for(session, holder))
    assert theirs.won and [w.mine for w in theirs.winners] == [True]  # "Won by you!"
    loser = (
        ann
        if holder.id != ann.id
        else session.exec(select(User).where(User.id != ann.id, User.role != Role.ADMIN)).one()
    )
    assert not competition_page(competition.id, token=token_for(session, loser)).won

    live = live_page(draw.id)  # drawn before this spectator came: the result at once
    assert live.phase == "done" and live.outcome == "random"
    assert [w.ticket for w in live.winners] == [f"Ticket {winner.ticket}"]
    assert (live.draw.entrant_count, live.draw.entry_count) == (2, 3)

    page = state_for_tab(DrawPageState, path=routes.draw_page(draw.id))
    finish(DrawPageState.load, page)
    asyncio.run(DrawPageState.check_my_entry.fn(page, {"entrant_ref": str(winner.ticket)}))
    assert page.check_found and page.check_verified
    assert page.check_message.startswith(f"Found ticket {winner.ticket}: line")
    asyncio.run(DrawPageState.check_my_entry.fn(page, {"entrant_ref": "99"}))
    assert not page.check_found and "Ticket 99 is not in this draw" in page.check_message


def test_a_cancelled_competition_says_why_and_that_orders_are_refunded(session, admin):
    competition = add_competition(session, admin)
    catalogue.cancel(session, admin, competition.id, "The prize can no longer be supplied")
    session.commit()

    state = competition_page(competition.id)

    assert state.comp.phase == "cancelled"
    assert state.cancel_reason == "The prize can no longer be supplied"
    assert state.can_buy == 0


# ---- elsewhere ---------------------------------------------------------------------------------


def test_the_dashboard_lists_the_members_competition_tickets(session, admin):
    competition = add_competition(session, admin, title="Win a kayak")
    ann = add_buyer(session, "ann@example.com")
    buy(ann, competition, 2)
    state = state_for_tab(
        DashboardState, path=routes.DASHBOARD, session_token=token_for(session, ann)
    )

    finish(DashboardState.load, state)

    assert [(o.competition, o.numbers, o.status_words) for o in state.ticket_orders] == [
        ("Win a kayak", "1–2", "Paid")
    ]


def test_the_dashboards_tickets_card_follows_a_payment_and_a_refund_without_a_reload(
    session, admin
):
    competition = add_competition(session, admin, title="Win a kayak")
    ann = add_buyer(session, "ann@example.com")
    order_id, checkout_id = checkout(ann, competition, 2)
    state = state_for_tab(
        DashboardState, path=routes.DASHBOARD, session_token=token_for(session, ann)
    )
    finish(DashboardState.load, state)
    assert [o.status_words for o in state.ticket_orders] == ["In checkout"]

    fulfilment.pay_test_checkout(ann, checkout_id)
    finish(DashboardState.changed, state, "v1")  # the member's room: their orders changed
    assert [(o.numbers, o.status_words) for o in state.ticket_orders] == [("1–2", "Paid")]

    refunds.refund_order(session, admin, order_id, "The buyer asked for their money back")
    session.commit()
    finish(DashboardState.changed, state, "v2")
    assert state.ticket_orders[0].status_words == "Refund requested"


def test_the_rules_show_the_postal_address_from_the_settings(settings_env):
    state = state_for_tab(RulesState, path=routes.COMPETITION_RULES)
    finish(RulesState.load, state)
    assert "PO Box" in state.postal_address

    settings_env(POSTAL_ENTRY_ADDRESS="Prize Entries, 1 High Street, Leeds LS1 1AA")
    finish(RulesState.load, state)
    assert state.postal_address == "Prize Entries, 1 High Street, Leeds LS1 1AA"
