"""The dashboard's raffle card and proof form: the raffle is named by its month, and the form is
offered only when a proof can be sent; otherwise the member reads why, and when to come back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from luckyclub.club import raffles
from luckyclub.core import routes
from luckyclub.core.words import when
from luckyclub.models import RaffleStatus, utcnow
from luckyclub.platform import accounts
from luckyclub.state.club.dashboard import DashboardState
from tests.db.factories import add_open_raffle, add_user
from tests.db.reflex_state import finish, state_for_tab


def dashboard_of(session, user) -> DashboardState:
    token, _ = accounts.start_session(session, user)
    session.commit()
    state = state_for_tab(DashboardState, path=routes.DASHBOARD, session_token=token)
    finish(DashboardState.load, state)
    return state


def confirmed(session, email: str):
    user = add_user(session, email)
    user.email_verified_at = utcnow()
    session.commit()
    return user


def month_words(month: str) -> str:
    return datetime(int(month[:4]), int(month[5:]), 1, tzinfo=UTC).strftime("%B %Y")


def test_this_months_raffle_is_named_by_its_month_and_takes_proofs(session):
    month = raffles.month_of(utcnow())
    add_open_raffle(session, month)

    state = dashboard_of(session, confirmed(session, "ann@example.com"))

    assert state.raffle.label == f"{month_words(month)} raffle"
    assert state.proofs_wait == ""


def test_next_months_raffle_opened_early_is_not_called_this_months(session):
    now = utcnow()
    following = raffles.next_month(raffles.month_of(now))
    add_open_raffle(session, following)

    state = dashboard_of(session, confirmed(session, "ann@example.com"))

    assert state.raffle.label == f"Next raffle: {month_words(following)}"
    assert "This month" not in state.raffle.label


def test_with_no_open_raffle_the_form_gives_way_to_when_proofs_can_be_sent_again(session):
    now = utcnow()
    last_month = raffles.month_of(now.replace(day=1) - timedelta(days=1))
    add_open_raffle(session, last_month, status=RaffleStatus.CLOSED)

    state = dashboard_of(session, confirmed(session, "ann@example.com"))

    opens = raffles.month_end(raffles.month_of(now)) + timedelta(seconds=1)
    assert not state.raffle.is_open  # the last raffle is shown, closed (item 9), with no form
    assert state.proofs_wait == (
        "There is no open raffle to earn entries in right now. The next raffle opens on "
        f"{when(opens, 'UTC')}: send your proof then."
    )


def test_with_no_raffle_ever_made_the_form_says_proofs_wait_for_the_first_one(session):
    state = dashboard_of(session, confirmed(session, "ann@example.com"))

    assert state.proofs_wait == (
        "There is no open raffle to earn entries in right now. "
        "You can send proofs again when the next raffle opens."
    )


def test_a_member_who_has_not_confirmed_their_email_is_told_so_instead_of_the_form(session):
    add_open_raffle(session, raffles.month_of(utcnow()))

    state = dashboard_of(session, add_user(session, "new@example.com"))

    assert state.proofs_wait.startswith("Confirm your email address first")
