"""Responsible play: monthly limits, breaks, and the checks a checkout makes before an order."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from luckyclub.competitions import responsible_play
from luckyclub.competitions.checkout import start_checkout
from luckyclub.competitions.responsible_play import (
    check_purchase,
    self_exclude,
    set_monthly_limit,
    spent_this_month,
    status,
)
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.models import (
    Competition,
    OrderStatus,
    PlayLimits,
    TicketOrder,
    User,
)
from luckyclub.pages.account.profile import PlayState
from luckyclub.platform import accounts
from tests.db.factories import add_buyer, add_competition, add_user
from tests.db.locks import wait_until_blocked
from tests.db.reflex_state import finish, state_for_tab

NOW = datetime(2026, 5, 12, 12, 0, tzinfo=UTC)  # mid-May; a year on is 12 May 2027
DAY = timedelta(hours=24)


# ---- helpers ------------------------------------------------------------------------------------


def add_order(
    session, user: User, amount_pence: int, *, status=OrderStatus.PAID, at: datetime = NOW
) -> TicketOrder:
    """An order made directly (so its time and status can be anything), in the one competition."""
    competition = session.exec(select(Competition)).first() or add_competition(session)
    order = TicketOrder(
        competition_id=competition.id,
        user_id=user.id,
        quantity=max(amount_pence // 200, 1),
        amount_pence=amount_pence,
        status=status,
        expires_at=at + timedelta(minutes=30),
        created_at=at,
    )
    session.add(order)
    session.commit()
    return order


def refusal(session, user, amount_pence, now=NOW) -> str:
    with pytest.raises(UserError) as refused:
        check_purchase(session, user, amount_pence, now=now)
    session.rollback()
    return refused.value.message


@pytest.fixture()
def ann(session) -> User:
    return add_buyer(session, "ann@example.com")


# ---- the monthly limit --------------------------------------------------------------------------


def test_a_first_limit_and_a_lower_one_take_effect_at_once(session, ann):
    first = set_monthly_limit(session, ann, 50_00, now=NOW)
    session.commit()
    assert first.monthly_limit_pence == 50_00
    assert first.pending_from is None

    lower = set_monthly_limit(session, ann, 30_00, now=NOW + timedelta(minutes=1))
    session.commit()
    assert lower.monthly_limit_pence == 30_00
    assert lower.left_this_month_pence == 30_00
    assert session.get(PlayLimits, ann.id).updated_at == NOW + timedelta(minutes=1)


def test_a_raise_waits_24_hours(session, ann):
    set_monthly_limit(session, ann, 50_00, now=NOW)
    asked = set_monthly_limit(session, ann, 200_00, now=NOW)
    session.commit()

    assert asked.monthly_limit_pence == 50_00
    assert asked.pending_limit_pence == 200_00
    assert asked.pending_from == NOW + DAY
    almost = status(session, ann, now=NOW + DAY - timedelta(seconds=1))
    assert almost.monthly_limit_pence == 50_00
    assert "£50" in refusal(session, ann, 60_00, now=NOW + DAY - timedelta(seconds=1))

    due = status(session, ann, now=NOW + DAY)
    session.commit()
    assert due.monthly_limit_pence == 200_00
    assert (due.pending_limit_pence, due.pending_from) == (None, None)
    check_purchase(session, ann, 60_00, now=NOW + DAY)  # the new limit at the checkout too


def test_a_raise_that_came_due_applies_at_the_checkout_without_anyone_looking(session, ann):
    set_monthly_limit(session, ann, 10_00, now=NOW)
    set_monthly_limit(session, ann, 100_00, now=NOW)
    session.commit()

    check_purchase(session, ann, 80_00, now=NOW + DAY + timedelta(hours=1))
    session.commit()

    row = session.get(PlayLimits, ann.id)
    assert row.monthly_limit_pence == 100_00
    assert row.pending_from is None
    assert row.updated_at == NOW + DAY  # when it took effect


def test_removing_the_limit_waits_24_hours(session, ann):
    set_monthly_limit(session, ann, 20_00, now=NOW)
    asked = set_monthly_limit(session, ann, None, now=NOW)
    session.commit()

    assert asked.monthly_limit_pence == 20_00
    assert asked.pending_no_limit
    assert asked.pending_from == NOW + DAY
    assert status(session, ann, now=NOW + timedelta(hours=23)).monthly_limit_pence == 20_00

    after = status(session, ann, now=NOW + DAY)
    assert after.monthly_limit_pence is None
    assert after.left_this_month_pence is None
    assert not after.pending_no_limit
    check_purchase(session, ann, 5000_00, now=NOW + DAY)


def test_lowering_cancels_a_waiting_raise(session, ann):
    set_monthly_limit(session, ann, 50_00, now=NOW)
    set_monthly_limit(session, ann, 500_00, now=NOW)
    lowered = set_monthly_limit(session, ann, 40_00, now=NOW + timedelta(hours=2))
    session.commit()

    assert lowered.monthly_limit_pence == 40_00
    assert (lowered.pending_limit_pence, lowered.pending_from) == (None, None)
    assert status(session, ann, now=NOW + 2 * DAY).monthly_limit_pence == 40_00


def test_asking_for_the_current_limit_again_cancels_a_waiting_removal(session, ann):
    set_monthly_limit(session, ann, 50_00, now=NOW)
    set_monthly_limit(session, ann, None, now=NOW)
    kept = set_monthly_limit(session, ann, 50_00, now=NOW + timedelta(hours=1))

    assert kept.monthly_limit_pence == 50_00
    assert not kept.pending_no_limit
    assert status(session, ann, now=NOW + 2 * DAY).monthly_limit_pence == 50_00


def test_a_smaller_raise_keeps_its_time_and_a_bigger_one_waits_24_hours_anew(session, ann):
    set_monthly_limit(session, ann, 10_00, now=NOW)
    set_monthly_limit(session, ann, 100_00, now=NOW)

    smaller = set_monthly_limit(session, ann, 60_00, now=NOW + timedelta(hours=5))
    assert (smaller.pending_limit_pence, smaller.pending_from) == (60_00, NOW + DAY)

    bigger = set_monthly_limit(session, ann, 80_00, now=NOW + timedelta(hours=6))
    assert (bigger.pending_limit_pence, bigger.pending_from) == (80_00, NOW + timedelta(hours=30))


def test_a_member_without_a_limit_sets_none_and_nothing_changes(session, ann):
    play = set_monthly_limit(session, ann, None, now=NOW)
    assert play.monthly_limit_pence is None
    assert play.pending_from is None


@pytest.mark.parametrize(
    ("typed", "pence"),
    [("50", 50_00), ("£1,000", 1000_00), (" 75.00 ", 75_00), ("", None), ("  ", None)],
)
def test_a_typed_limit_is_read_as_whole_pounds(typed, pence):
    assert responsible_play.parse_limit(typed) == pence


@pytest.mark.parametrize(
    "typed", ["12.50", "ten", "-5", "5e3", "£5.5p", "9" * 5000, "9" * 40, "Infinity", "NaN"]
)
def test_a_limit_that_is_not_whole_pounds_is_refused_with_a_sentence(typed):
    with pytest.raises(UserError, match="whole pounds, like 50, or leave it empty"):
        responsible_play.parse_limit(typed)


@pytest.mark.parametrize("pence", [0, 50, 100_001_00, -100, 12_34])
def test_a_limit_outside_1_to_100000_pounds_or_with_pennies_is_refused(session, ann, pence):
    with pytest.raises(UserError) as refused:
        set_monthly_limit(session, ann, pence, now=NOW)
    assert refused.value.field == "monthly_limit"
    assert refused.value.message.endswith("or leave it empty for no limit.")


def test_the_limits_at_either_end_are_accepted(session, ann):
    assert set_monthly_limit(session, ann, 1_00, now=NOW).monthly_limit_pence == 1_00
    set_monthly_limit(session, ann, 100_000_00, now=NOW)
    assert status(session, ann, now=NOW + DAY).monthly_limit_pence == 100_000_00


# ---- breaks -------------------------------------------------------------------------------------


@pytest.mark.parametrize("months", [0, 1, 5, -6])
def test_a_break_shorter_than_6_months_is_refused(session, ann, months):
    with pytest.raises(UserError, match="A break lasts at least 6 months"):
        self_exclude(session, ann, months, now=NOW)
    assert session.get(PlayLimits, ann.id) is None


@pytest.mark.parametrize(("chosen", "months"), [(12, 12), ("12", 12), (" 60 ", 60)])
def test_a_break_may_be_chosen_as_a_number_or_the_forms_text_of_one(chosen, months):
    assert responsible_play.check_break_months(chosen) == months


@pytest.mark.parametrize(
    ("chosen", "sentence"),
    [
        ("", "Choose how long your break lasts from the list."),
        ("a year", "Choose how long your break lasts from the list."),
        ("1_2", "Choose how long your break lasts from the list."),
        (
            "5",
            "A break lasts at least 6 months. Choose 6 months, 1 year, 2 years or 5 years.",
        ),
        (
            61,
            "A break can be set for up to 5 years at a time. "
            "Choose 6 months, 1 year, 2 years or 5 years.",
        ),
    ],
)
def test_a_break_that_is_not_on_the_list_is_refused_with_a_sentence(chosen, sentence):
    with pytest.raises(UserError) as refused:
        responsible_play.check_break_months(chosen)
    assert (refused.value.message, refused.value.field) == (sentence, "months")


def test_a_limit_removal_is_remembered_as_a_waiting_change_without_a_new_limit(session, ann):
    set_monthly_limit(session, ann, 10_00, now=NOW)
    set_monthly_limit(session, ann, None, now=NOW)
    session.commit()

    row = session.get(PlayLimits, ann.id)
    assert (row.pending_limit_pence, row.pending_from) == (None, NOW + DAY)
    assert status(session, ann, now=NOW).pending_no_limit
    assert status(session, ann, now=NOW + DAY).monthly_limit_pence is None


def test_a_break_ends_the_same_day_months_later_in_the_members_timezone(session, ann):
    play = self_exclude(session, ann, 12, now=NOW)
    assert play.excluded_until == datetime(2027, 5, 12, 12, 0, tzinfo=UTC)

    ann.timezone = "Europe/London"
    end_of_august = datetime(2026, 8, 31, 9, 0, tzinfo=UTC)  # 10:00 BST
    assert responsible_play.break_ends(ann, 6, end_of_august) == datetime(
        2027, 2, 28, 10, 0, tzinfo=UTC
    )  # 10:00 GMT on the last day of February


def test_a_break_cannot_be_shortened_but_can_be_extended(session, ann):
    self_exclude(session, ann, 24, now=NOW)
    session.commit()

    with pytest.raises(UserError, match="already runs until 12 May 2028 and cannot be shortened"):
        self_exclude(session, ann, 6, now=NOW + timedelta(days=1))
    with pytest.raises(UserError, match="cannot be shortened"):
        self_exclude(session, ann, 24, now=NOW)  # the same end is no extension
    session.rollback()
    assert status(session, ann, now=NOW).excluded_until == datetime(2028, 5, 12, 12, tzinfo=UTC)

    with pytest.raises(UserError, match="cannot be shortened"):
        responsible_play.preview_break(session, ann, 12, now=NOW)
    assert responsible_play.preview_break(session, ann, 60, now=NOW) == datetime(
        2031, 5, 12, 12, tzinfo=UTC
    )
    longer = self_exclude(session, ann, 60, now=NOW + timedelta(days=1))
    assert longer.excluded_until == datetime(2031, 5, 13, 12, tzinfo=UTC)


def test_a_break_that_has_run_out_lets_the_member_play_again(session, ann):
    self_exclude(session, ann, 6, now=NOW)
    session.commit()
    over = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)

    with pytest.raises(NotAllowed):
        check_purchase(session, ann, 2_00, now=over - timedelta(seconds=1))
    session.rollback()
    assert status(session, ann, now=over).excluded_until is None
    check_purchase(session, ann, 2_00, now=over)
    assert self_exclude(session, ann, 6, now=over).excluded_until > over  # a new break


# ---- the checkout -------------------------------------------------------------------------------


def test_a_checkout_by_someone_under_18_is_refused_until_their_birthday_where_they_live(session):
    # 18 on 13 May 2026: in Auckland that day starts at 12:00 UTC on the 12th.
    kid = add_user(session, "kid@example.com")
    kid.date_of_birth = date(2008, 5, 13)
    kid.timezone = "Pacific/Auckland"
    session.commit()

    with pytest.raises(NotAllowed) as refused:
        check_purchase(session, kid, 2_00, now=NOW - timedelta(minutes=1))
    assert refused.value.message == "You must be 18 or over to enter competitions."
    check_purchase(session, kid, 2_00, now=NOW)


def test_a_checkout_during_a_break_is_refused_with_its_end_date(session, ann):
    self_exclude(session, ann, 12, now=NOW)
    session.commit()

    with pytest.raises(NotAllowed) as refused:
        check_purchase(session, ann, 2_00, now=NOW + timedelta(days=100))
    assert refused.value.message == (
        "You have excluded yourself from competitions until 12 May 2027."
    )


def test_a_checkout_fits_exactly_up_to_the_limit_and_not_a_penny_more(session, ann):
    set_monthly_limit(session, ann, 50_00, now=NOW - timedelta(days=3))
    add_order(session, ann, 30_00, at=NOW - timedelta(days=2))
    add_order(session, ann, 8_00, status=OrderStatus.PENDING, at=NOW - timedelta(minutes=5))

    assert refusal(session, ann, 12_01) == (
        "This order would take you over your monthly limit of £50: you have £12.00 left this month."
    )
    check_purchase(session, ann, 12_00, now=NOW)


def test_a_member_at_their_limit_is_told_they_have_nothing_left(session, ann):
    set_monthly_limit(session, ann, 20_00, now=NOW - DAY)
    add_order(session, ann, 20_00)
    set_monthly_limit(session, ann, 10_00, now=NOW)  # lowered below what is already spent

    assert status(session, ann, now=NOW).left_this_month_pence == 0
    assert refusal(session, ann, 1) == (
        "This order would take you over your monthly limit of £10: you have £0.00 left this month."
    )


def test_a_member_without_a_limit_can_check_out_and_gets_a_limits_row(session, ann):
    add_order(session, ann, 900_00)
    check_purchase(session, ann, 5000_00, now=NOW)
    session.commit()
    assert session.get(PlayLimits, ann.id).monthly_limit_pence is None


# ---- what counts as spent this month ------------------------------------------------------------


def test_refunded_expired_and_postal_orders_do_not_count(session, ann):
    bob = add_user(session, "bob@example.com")
    add_order(session, ann, 10_00, status=OrderStatus.PAID)
    add_order(session, ann, 2_00, status=OrderStatus.PENDING)
    add_order(session, ann, 4_00, status=OrderStatus.REFUND_DUE)  # not yet given back
    add_order(session, ann, 100_00, status=OrderStatus.REFUNDED)
    add_order(session, ann, 200_00, status=OrderStatus.EXPIRED)
    add_order(session, ann, 0, status=OrderStatus.POSTAL)
    add_order(session, bob, 300_00)

    assert spent_this_month(session, ann, now=NOW) == 16_00
    assert status(session, ann, now=NOW).spent_this_month_pence == 16_00


def test_the_month_starts_at_midnight_where_the_member_lives(session):
    kiwi = add_user(session, "kiwi@example.com")
    kiwi.timezone = "Pacific/Auckland"  # UTC+12 in May
    angeleno = add_user(session, "la@example.com")
    angeleno.timezone = "America/Los_Angeles"  # UTC-7 in May
    londoner = add_user(session, "uk@example.com")
    session.commit()
    # 1 May 01:00 in Auckland, 30 April in London: this month for Kiwi only.
    april_30_utc = datetime(2026, 4, 30, 13, 0, tzinfo=UTC)
    # 1 May 03:00 in London, 30 April 20:00 in Los Angeles: this month for the Londoner only.
    may_1_utc = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
    for member in (kiwi, angeleno, londoner):
        add_order(session, member, 5_00, at=april_30_utc)
        add_order(session, member, 7_00, at=may_1_utc)

    assert spent_this_month(session, kiwi, now=NOW) == 12_00
    assert spent_this_month(session, angeleno, now=NOW) == 0
    assert spent_this_month(session, londoner, now=NOW) == 7_00

    # At 05:00 UTC on 1 June it is June in Auckland, still 31 May in Los Angeles.
    june_1 = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)
    add_order(session, angeleno, 3_00, at=june_1 - timedelta(hours=1))  # 21:00 on 31 May there
    add_order(session, kiwi, 3_00, at=june_1 - timedelta(hours=1))  # 16:00 on 1 June there
    assert spent_this_month(session, kiwi, now=june_1) == 3_00
    assert spent_this_month(session, angeleno, now=june_1) == 3_00


def test_last_months_spending_does_not_count_against_this_months_limit(session, ann):
    set_monthly_limit(session, ann, 10_00, now=NOW - timedelta(days=40))
    add_order(session, ann, 10_00, at=datetime(2026, 4, 30, 23, 59, tzinfo=UTC))
    check_purchase(session, ann, 10_00, now=datetime(2026, 5, 1, 0, 0, tzinfo=UTC))


# ---- the competition checkout asks first ------------------------------------------------------


def test_the_competition_checkout_refuses_an_order_over_the_limit_and_holds_nothing(session, ann):
    competition = add_competition(session, ticket_price_pence=250)
    set_monthly_limit(session, ann, 5_00)
    session.commit()

    with pytest.raises(UserError) as refused:
        start_checkout(ann.id, competition.id, 3, "Paris")
    assert refused.value.message == (
        "This order would take you over your monthly limit of £5: you have £5.00 left this month."
    )
    assert session.get(Competition, competition.id, populate_existing=True).held == 0

    start_checkout(ann.id, competition.id, 2, "Paris")  # exactly £5.00
    assert spent_this_month(session, ann) == 5_00
    with pytest.raises(UserError, match="you have £0.00 left this month"):
        start_checkout(ann.id, competition.id, 1, "Paris")


def test_the_competition_checkout_refuses_a_suspended_account(session, ann):
    competition = add_competition(session)
    ann.banned_at = NOW - DAY
    session.commit()

    with pytest.raises(NotAllowed, match="suspended"):
        start_checkout(ann.id, competition.id, 1, "Paris")
    assert session.exec(select(TicketOrder)).all() == []


def test_the_competition_checkout_refuses_a_member_on_a_break(session, ann):
    competition = add_competition(session)
    self_exclude(session, ann, 6)
    session.commit()

    with pytest.raises(NotAllowed, match="You have excluded yourself from competitions until"):
        start_checkout(ann.id, competition.id, 1, "Paris")
    assert session.exec(select(TicketOrder)).all() == []


# ---- two checkouts at once ----------------------------------------------------------------------


def checkout(engine, user_id: int, amount_pence: int, barrier: threading.Barrier, outcomes: list):
    """A checkout as the competition service makes one: check, then write the order, in one
    transaction."""
    with Session(engine, expire_on_commit=False) as s:
        barrier.wait(timeout=20)
        try:
            user = s.get(User, user_id)
            check_purchase(s, user, amount_pence)
            competition = s.exec(select(Competition)).one()
            s.add(
                TicketOrder(
                    competition_id=competition.id,
                    user_id=user_id,
                    quantity=amount_pence // 200,
                    amount_pence=amount_pence,
                    expires_at=datetime.now(UTC) + timedelta(minutes=30),
                )
            )
            s.commit()
            outcomes.append("ordered")
        except UserError as refused:
            s.rollback()
            outcomes.append(refused.message)
        except Exception as exc:  # noqa: BLE001 - reported by the caller's assertion
            outcomes.append(repr(exc))


def race(engine, user_id: int, amounts: list[int]) -> list[str]:
    barrier, outcomes = threading.Barrier(len(amounts)), []
    workers = [
        threading.Thread(target=checkout, args=(engine, user_id, amount, barrier, outcomes))
        for amount in amounts
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    return outcomes


def test_two_checkouts_at_once_cannot_both_slip_under_the_limit(app_db, session, ann):
    """Each checkout alone fits; together they would not. PostgreSQL's row lock (and SQLite's
    single writer) let exactly one through, round after round."""
    add_competition(session)
    set_monthly_limit(session, ann, 50_00)
    session.commit()

    for round_no in range(5):  # several rounds: one lucky interleaving proves little
        outcomes = race(app_db, ann.id, [30_00, 30_00])

        assert sorted(outcomes) == [
            "This order would take you over your monthly limit of £50: "
            "you have £20.00 left this month.",
            "ordered",
        ], f"round {round_no}"
        assert spent_this_month(session, ann) == 30_00
        session.execute(TicketOrder.__table__.delete())
        session.commit()


def test_two_competition_checkouts_at_once_cannot_both_slip_under_the_limit(app_db, session, ann):
    competition = add_competition(session, ticket_price_pence=10_00)
    set_monthly_limit(session, ann, 50_00)
    session.commit()
    barrier, outcomes = threading.Barrier(2), []

    def buy():
        barrier.wait(timeout=20)
        try:
            start_checkout(ann.id, competition.id, 3, "Paris")
            outcomes.append("ordered")
        except UserError as refused:
            outcomes.append(refused.message)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion
            outcomes.append(repr(exc))

    workers = [threading.Thread(target=buy) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert sorted(outcomes) == [
        "This order would take you over your monthly limit of £50: "
        "you have £20.00 left this month.",
        "ordered",
    ]
    assert session.get(Competition, competition.id, populate_existing=True).held == 3


def test_first_checkouts_at_once_both_create_the_limits_row_without_an_error(app_db, session, ann):
    add_competition(session)

    outcomes = race(app_db, ann.id, [2_00, 2_00, 2_00])

    assert outcomes == ["ordered"] * 3
    assert len(session.exec(select(PlayLimits)).all()) == 1


def test_a_checkout_waits_for_another_unfinished_checkout_by_the_same_member(app_db, session, ann):
    """The lock, step by step: the second checkout cannot read the spend until the first one's
    transaction ends, so it sees the first order."""
    if app_db.dialect.name != "postgresql":
        pytest.skip("SQLite's busy wait is tested by the race above; this watches a row lock")
    competition = add_competition(session)
    set_monthly_limit(session, ann, 50_00)
    session.commit()
    outcomes: list[str] = []
    barrier = threading.Barrier(1)

    with Session(app_db) as first:
        check_purchase(first, first.get(User, ann.id), 30_00)
        first.add(
            TicketOrder(
                competition_id=competition.id,
                user_id=ann.id,
                quantity=15,
                amount_pence=30_00,
                expires_at=datetime.now(UTC) + timedelta(minutes=30),
            )
        )
        first.flush()
        worker = threading.Thread(target=checkout, args=(app_db, ann.id, 30_00, barrier, outcomes))
        worker.start()
        wait_until_blocked(app_db, worker)
        first.commit()
    worker.join(timeout=30)

    assert outcomes == [
        "This order would take you over your monthly limit of £50: you have £20.00 left this month."
    ]


# ---- the profile page's card --------------------------------------------------------------------


def signed_in(session, user) -> str:
    token, _ = accounts.start_session(session, user)
    session.commit()
    return token


def test_the_card_sets_a_limit_shows_a_waiting_raise_and_starts_a_break(session, ann):
    ann.timezone = "Europe/London"
    session.commit()
    add_order(session, ann, 15_00, at=datetime.now(UTC))
    state = state_for_tab(PlayState, session_token=signed_in(session, ann))

    finish(PlayState.save_limit, state, {"monthly_limit": "£60"})
    assert (state.limit_saved, state.limit_error) == ("Your monthly limit is now £60.", "")
    assert (state.limit_text, state.limit_input) == ("£60", "60")
    assert (state.spent_text, state.left_text, state.spent_percent) == ("£15.00", "£45.00", 25)

    finish(PlayState.save_limit, state, {"monthly_limit": "100"})
    assert state.limit_text == "£60"
    assert state.pending_text.startswith("Your limit will rise to £100 on ")
    assert state.pending_text.split(" on ")[1].split(".")[0][-3:] in ("BST", "GMT")

    finish(PlayState.save_limit, state, {"monthly_limit": "12.50"})
    assert state.limit_error.startswith("Enter your limit in whole pounds")

    finish(PlayState.review_break, state, {"months": "3"})
    assert state.break_error.startswith("A break lasts at least 6 months")
    assert not state.confirming_break

    finish(PlayState.review_break, state, {"months": "12"})
    assert state.confirming_break
    assert state.break_end_text[-3:] in ("BST", "GMT")
    assert state.excluded_until_text == ""  # nothing happens before the member confirms
    finish(PlayState.confirm_break, state)
    assert not state.confirming_break
    assert state.excluded_until_text[:11] == state.break_end_text[:11]  # "12 May 2027"
    assert state.break_saved.startswith("Your break has started.")

    finish(PlayState.review_break, state, {"months": "6"})  # refused before the member confirms
    assert "cannot be shortened or ended early" in state.break_error
    assert not state.confirming_break

    with Session(session.get_bind()) as s, pytest.raises(NotAllowed, match="excluded yourself"):
        check_purchase(s, s.get(User, ann.id), 2_00)


def test_a_signed_out_visitor_changes_nothing_through_the_card(app_db, session, ann):
    state = state_for_tab(PlayState, session_token="not-a-session")

    finish(PlayState.save_limit, state, {"monthly_limit": "5"})
    assert state.limit_error == "Your session has ended. Please sign in again."
    state.break_months = "6"
    finish(PlayState.confirm_break, state)
    assert state.break_error == "Your session has ended. Please sign in again."
    with Session(app_db) as s:
        assert s.exec(select(PlayLimits)).all() == []
