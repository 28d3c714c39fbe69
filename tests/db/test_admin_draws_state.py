"""The draws and winners admin pages' states: only an admin's session acts, and services speak."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, select

from luckyclub.club import ledger, raffles
from luckyclub.core import routes
from luckyclub.models import (
    AuditLog,
    Draw,
    DrawStatus,
    DrawTrigger,
    DrawWinner,
    LedgerSource,
    OutboxMessage,
    Raffle,
    Role,
    User,
    WinnerStatus,
)
from luckyclub.pages.admin.draws import DrawsAdminState
from luckyclub.pages.admin.raffles import RafflesAdminState
from luckyclub.pages.admin.winners import WinnersAdminState
from luckyclub.pages.draws.draw import DrawPageState
from luckyclub.pages.draws.live_draw import LiveDrawState
from luckyclub.platform import draw_actions, draw_public, draws
from luckyclub.state.admin import DRAW_FAILED
from tests.db.factories import add_open_raffle, add_user
from tests.db.reflex_state import finish, run_busy, state_for_tab
from tests.db.test_admin_state import browser_session
from tests.db.test_draws import close_then_draw, raffle_with_entries

NEEDS_REASON = "Give a reason of at least 5 characters: it is recorded."


@pytest.fixture()
def people(session) -> dict[str, User]:
    return {
        "admin": add_user(session, "admin@example.com", Role.ADMIN),
        "member": add_user(session, "mallory@example.com"),
    }


def open_pool(session, holdings: dict[str, int], winners: int = 1) -> Draw:
    """An open raffle far in the future, its scheduled draw, and members holding entries."""
    raffle = add_open_raffle(session, month="2099-01", title="January bike", winners=winners)
    draw = raffles.schedule_draw(session, raffle)
    session.commit()
    for email, held in holdings.items():
        user = add_user(session, email)
        ledger.credit(
            session,
            raffle_id=raffle.id,
            user_id=user.id,
            source=LedgerSource.BASE,
            amount=held,
            key=f"test:{user.id}",
        )
    session.commit()
    return draw


def tab(session, user: User, state_cls):
    return state_for_tab(state_cls, session_token=browser_session(session, user))


def fresh_draw(app_db, draw_id: int) -> Draw:
    with Session(app_db) as s:
        return s.get(Draw, draw_id)


def winners_of(app_db, draw_id: int) -> list[DrawWinner]:
    with Session(app_db) as s:
        return list(
            s.exec(
                select(DrawWinner)
                .where(DrawWinner.draw_id == draw_id)
                .order_by(DrawWinner.position, DrawWinner.reroll)
            )
        )


def audit_actions(app_db) -> list[str]:
    with Session(app_db) as s:
        return [a.action for a in s.exec(select(AuditLog).order_by(AuditLog.id))]


def draw_now(state, draw_id) -> None:
    """Draw now, confirmed with a reason as the dialog asks when the pool is still open."""
    asyncio.run(
        DrawsAdminState.close_early_and_draw.fn(
            state,
            {"draw_id": draw_id, "reason": "The prize must go out before the holidays"},
        )
    )


def without_beacon(state, form: dict) -> None:
    asyncio.run(DrawsAdminState.draw_without_beacon.fn(state, form))


def drawn_pool(session, no_beacon_draw: Draw, admin: User) -> Draw:
    draw_actions.draw_now(admin.id, no_beacon_draw.id, reason="Drawn early for the test")
    return no_beacon_draw


# ---- who may act -------------------------------------------------------------------------------


# ---- the draws page ----------------------------------------------------------------------------


def test_an_admin_draws_now_and_a_second_click_is_harmless(session, people, app_db, no_beacon):
    holdings = {"ann@example.com": 3, "bob@example.com": 5, "cat@example.com": 1}
    draw = open_pool(session, holdings, winners=2)
    state = tab(session, people["admin"], DrawsAdminState)
    finish(DrawsAdminState.load, state)
    [row] = state.rows
    assert (row.status, row.can_draw, row.entrants, row.entry_count) == ("scheduled", True, 3, 9)
    assert row.draw_at.endswith(" UTC") and row.announcement == ""

    draw_now(state, draw.id)
    assert (state.error, state.notice) == ("", "Drawn: 2 winners.")
    draw_now(state, draw.id)  # the button again, after the draw

    assert state.error == "This draw is drawn already." and state.notice == ""  # it did not draw
    assert state.running == []
    assert fresh_draw(app_db, draw.id).trigger == DrawTrigger.ADMIN
    assert len(winners_of(app_db, draw.id)) == 2
    [row] = state.rows
    assert row.status == "drawn" and row.can_draw is False and row.winners_drawn == 2
    assert row.trigger == "by an admin (Draw now)"
    assert row.announcement.startswith("🎉 January bike: the winner of")
    assert f"/draws/{draw.id}" in row.announcement
    assert row.page_url == f"/draws/{draw.id}" and row.live_url == f"/live/{draw.id}"
    assert audit_actions(app_db) == ["draw.close", "draw.draw"]


def test_a_draw_that_fails_unexpectedly_frees_the_button_and_says_so(
    session, people, app_db, no_beacon, monkeypatch
):
    draw = open_pool(session, {"ann@example.com": 3})
    state = tab(session, people["admin"], DrawsAdminState)
    finish(DrawsAdminState.load, state)

    def broken(admin_id, draw_id, now=None, reason=""):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(draw_actions, "draw_now", broken)
    with pytest.raises(RuntimeError):
        draw_now(state, draw.id)

    assert state.running == [] and state.error == DRAW_FAILED and state.notice == ""


def test_two_clicks_in_one_tab_at_once_start_one_draw(session, people, app_db, no_beacon):
    draw = open_pool(session, {"ann@example.com": 3, "bob@example.com": 5})
    state = tab(session, people["admin"], DrawsAdminState)
    finish(DrawsAdminState.load, state)

    confirmed = {"draw_id": draw.id, "reason": "The sponsor asked for it today"}

    async def double_click():
        await asyncio.gather(
            DrawsAdminState.close_early_and_draw.fn(state, confirmed),
            DrawsAdminState.close_early_and_draw.fn(state, confirmed),
        )

    asyncio.run(double_click())

    assert state.notice == "Drawn: 1 winner." and state.running == []
    assert len(winners_of(app_db, draw.id)) == 1
    assert audit_actions(app_db).count("draw.draw") == 1


def test_a_draw_waiting_for_randomness_is_shown_and_drawn_without_beacon(
    session, people, app_db, no_relay
):
    raffle, _ = raffle_with_entries(session, {"ann@example.com": 5, "bob@example.com": 5})
    close_then_draw()  # no relay answers: the draw waits
    draw = raffles.draw_of(session, raffle.id)
    state = tab(session, people["admin"], DrawsAdminState)
    finish(DrawsAdminState.load, state)

    [waiting] = state.waiting
    assert waiting.id == draw.id and waiting.status_words == "Waiting for public randomness"
    assert "not available" in waiting.problem and waiting.next_attempt.endswith(" UTC")
    assert waiting.attempts == 1 and waiting.can_skip_beacon

    without_beacon(state, {"draw_id": str(draw.id), "reason": "no"})
    assert state.error == NEEDS_REASON and state.notice == ""
    assert fresh_draw(app_db, draw.id).status == DrawStatus.WAITING_FOR_BEACON

    without_beacon(state, {"draw_id": str(draw.id), "reason": "drand relays down all day"})

    assert (state.error, state.notice) == ("", "Drawn: 1 winner.")
    assert state.waiting == [] and state.rows[0].status == "drawn"
    assert state.rows[0].beacon == "no beacon: drand relays down all day"
    with Session(app_db) as s:
        proof = draw_public.proof_document(s, draw.id)
    assert proof["beacon"] is None and proof["no_beacon_reason"] == "drand relays down all day"
    assert audit_actions(app_db) == ["draw.no_beacon", "draw.draw"]


def test_draw_without_beacon_on_a_scheduled_draw_reports_the_service_sentence(
    session, people, app_db
):
    draw = open_pool(session, {"ann@example.com": 3})
    state = tab(session, people["admin"], DrawsAdminState)

    without_beacon(state, {"draw_id": draw.id, "reason": "relays are down"})

    assert state.error == "Cannot switch to no beacon a draw that is scheduled."
    assert fresh_draw(app_db, draw.id).use_beacon is True


def test_an_override_needs_a_reason_and_an_entrant_and_is_published_as_one(
    session, people, app_db, no_beacon
):
    draw = open_pool(session, {"ann@example.com": 3, "bob@example.com": 5})
    state = tab(session, people["admin"], DrawsAdminState)

    finish(DrawsAdminState.override, state, {"draw_id": draw.id, "email": "bob@example.com"})
    assert state.error == NEEDS_REASON
    finish(
        DrawsAdminState.override,
        state,
        {"draw_id": draw.id, "email": "nobody@example.com", "reason": "Sponsor's choice"},
    )
    assert state.error == "No member has that email address."
    finish(
        DrawsAdminState.override,
        state,
        {"draw_id": draw.id, "email": "mallory@example.com", "reason": "Sponsor's choice"},
    )
    assert state.error == (
        "mallory@example.com held no entries when the pool closed; only an entrant can win."
    )
    assert fresh_draw(app_db, draw.id).status == DrawStatus.SCHEDULED  # all rolled back

    finish(
        DrawsAdminState.override,
        state,
        {"draw_id": draw.id, "email": "bob@example.com", "reason": "Court order for Bob"},
    )

    assert state.error == ""
    assert state.notice == "Winner set by manual override; the draw page says so."
    [row] = state.rows
    assert row.trigger == "manual override by an admin" and row.reason == "Court order for Bob"
    assert "chosen by an admin: Court order for Bob" in row.announcement


def test_void_needs_a_reason_and_a_void_draw_cannot_be_voided_again(
    session, people, app_db, no_beacon
):
    draw = open_pool(session, {"ann@example.com": 3})
    state = tab(session, people["admin"], DrawsAdminState)

    finish(DrawsAdminState.void, state, {"draw_id": draw.id, "reason": " "})
    assert state.error == NEEDS_REASON
    finish(DrawsAdminState.void, state, {"draw_id": draw.id, "reason": "Sponsor withdrew the bike"})
    assert state.notice.startswith("Draw void;")
    assert fresh_draw(app_db, draw.id).status == DrawStatus.VOID
    assert state.rows[0].status_words == "Void" and state.rows[0].can_draw is False

    finish(DrawsAdminState.void, state, {"draw_id": draw.id, "reason": "Sponsor withdrew the bike"})
    assert state.error == "Cannot void: this draw is void already."
    finish(DrawsAdminState.void, state, {"draw_id": "abc", "reason": "Sponsor withdrew the bike"})
    assert state.error == "That record could not be found. Reload the page and try again."


def test_the_page_shows_what_the_scheduler_did_when_told_it_changed(session, people, no_beacon):
    draw = open_pool(session, {"ann@example.com": 3})
    state = tab(session, people["admin"], DrawsAdminState)
    finish(DrawsAdminState.load, state)
    state.notice = "Kept across a refresh."
    with Session(session.bind) as s:
        draws.close(s, draw.id)
        s.commit()
    draws.perform(draw.id)

    finish(
        DrawsAdminState.changed, state, ""
    )  # the first render's call, before any change: nothing
    assert state.rows[0].status == "scheduled"
    finish(DrawsAdminState.changed, state, "v2")  # the room's new version, pushed by the server
    assert state.rows[0].status == "drawn" and state.rows[0].trigger == "by the scheduler"
    assert state.notice == "Kept across a refresh."

    state.rows = []
    finish(DrawsAdminState.changed, state, "v2")  # a version it has loaded already: not news
    assert state.rows == []


# ---- the winners page --------------------------------------------------------------------------


def test_an_admin_works_through_the_winner_queue(session, people, app_db, no_beacon):
    draw = drawn_pool(session, open_pool(session, {"ann@example.com": 3}), people["admin"])
    state = tab(session, people["admin"], WinnersAdminState)
    finish(WinnersAdminState.load, state)
    [row] = state.rows
    assert (row.name, row.email, row.mailto) == ("Ann", "ann@example.com", "mailto:ann@example.com")
    assert (row.title, row.place, row.status) == ("January bike", 1, "notified")
    assert row.published is False

    finish(WinnersAdminState.set_status, state, row.id, "contacted")
    assert state.notice == "Marked contacted." and state.rows[0].status == "contacted"
    finish(WinnersAdminState.set_status, state, row.id, "delivered")
    assert state.rows[0].status == "delivered"
    finish(WinnersAdminState.set_status, state, row.id, "publish")
    assert state.rows[0].published is True
    with Session(app_db) as s:
        assert [c.draw_id for c in draw_public.champions(s)] == [draw.id]
    finish(WinnersAdminState.set_status, state, row.id, "unpublish")
    assert state.rows[0].published is False
    finish(WinnersAdminState.set_status, state, row.id, "lose it")
    assert state.error == "Unknown winner action 'lose it'."


def test_a_reroll_needs_a_reason_and_shows_who_replaced_whom(session, people, app_db, no_beacon):
    holdings = {"ann@example.com": 3, "bob@example.com": 3, "cat@example.com": 3}
    draw = drawn_pool(session, open_pool(session, holdings), people["admin"])
    [first] = winners_of(app_db, draw.id)
    state = tab(session, people["admin"], WinnersAdminState)

    finish(WinnersAdminState.reroll, state, {"winner_id": first.id, "reason": "no"})
    assert state.error == NEEDS_REASON and len(winners_of(app_db, draw.id)) == 1

    finish(
        WinnersAdminState.reroll, state, {"winner_id": first.id, "reason": "No answer in 14 days"}
    )

    replaced, second = winners_of(app_db, draw.id)
    assert replaced.status == WinnerStatus.REPLACED and second.reroll == 1
    with Session(app_db) as s:
        old, new = s.get(User, replaced.user_id), s.get(User, second.user_id)
    assert state.notice == (
        f"{old.display_name} ({old.email}) was replaced by {new.display_name} ({new.email}), "
        "drawn by reroll."
    )
    by_id = {row.id: row for row in state.rows}
    assert by_id[replaced.id].replaced_by == f"{new.display_name} ({new.email})"
    assert by_id[replaced.id].replaced_reason == "No answer in 14 days"
    assert by_id[second.id].replaces == f"{old.display_name} ({old.email})"
    with Session(app_db) as s:
        won = select(OutboxMessage.to_address).where(OutboxMessage.template == "draw_won")
        emails = s.exec(won).all()
        assert sorted(emails) == sorted([old.email, new.email])

    finish(
        WinnersAdminState.reroll, state, {"winner_id": first.id, "reason": "No answer in 14 days"}
    )
    assert state.error == "This winner was replaced already; reload to see who replaced them."


# ---- the raffle form ---------------------------------------------------------------------------


def test_the_raffle_form_sets_the_number_of_winners_and_lists_the_draw(session, people, app_db):
    state = tab(session, people["admin"], RafflesAdminState)
    form = {
        "month": "2099-03",
        "title": "March",
        "prize": "A kayak",
        "description": "",
        "base_entries": "15",
        "carry_over_percent": "0",
        "winners": "3",
    }

    run_busy(RafflesAdminState.save, state, form | {"winners": "0"}, flag="saving")
    assert state.error == "The number of winners must be between 1 and 100."
    run_busy(RafflesAdminState.save, state, form, flag="saving")

    assert state.error == ""
    [row] = state.rows
    assert (row.winners, row.draw_status, row.draw_words) == (3, "scheduled", "Open for entries")
    with Session(app_db) as s:
        raffle = s.exec(select(Raffle)).one()
        assert raffles.draw_of(s, raffle.id).winners_wanted == 3
    finish(RafflesAdminState.edit, state, row.id)
    assert state.editing.winners == "3"


def test_draw_now_on_an_open_raffle_asks_for_a_reason_before_it_ends_it(
    session, people, app_db, no_beacon
):
    draw = open_pool(session, {"ann@example.com": 3, "bob@example.com": 2})
    state = tab(session, people["admin"], DrawsAdminState)
    finish(DrawsAdminState.load, state)
    [row] = state.rows
    assert row.open_for_entries is True  # the button opens the confirmation dialog

    asyncio.run(DrawsAdminState.draw_now.fn(state, draw.id))  # one click, no reason

    assert state.error.startswith("This pool is open for entries until 31 Jan 2099")
    assert "reason" in state.error and state.notice == ""
    assert fresh_draw(app_db, draw.id).status == DrawStatus.SCHEDULED
    assert audit_actions(app_db) == []

    asyncio.run(
        DrawsAdminState.close_early_and_draw.fn(state, {"draw_id": draw.id, "reason": "  "})
    )
    assert fresh_draw(app_db, draw.id).status == DrawStatus.SCHEDULED

    draw_now(state, draw.id)  # confirmed in the dialog, with a reason

    assert (state.error, state.notice) == ("", "Drawn: 1 winner.")
    with Session(app_db) as s:
        closing = s.exec(select(AuditLog).where(AuditLog.action == "draw.close")).one()
    assert closing.detail == "closed early: Draw now — The prize must go out before the holidays"


def test_public_pages_say_in_words_that_a_draw_waits_for_randomness(session, app_db, no_relay):
    raffle, _ = raffle_with_entries(session, {"ann@example.com": 5, "bob@example.com": 5})
    [waited] = close_then_draw()  # no relay answers: the draw waits
    assert waited.status == "waiting" and "ConnectError" not in waited.message
    draw = raffles.draw_of(session, raffle.id)
    assert "ConnectError" in fresh_draw(app_db, draw.id).last_problem  # kept for admins

    for state_cls, path in (
        (DrawPageState, routes.draw_page(draw.id)),
        (LiveDrawState, routes.live_page(draw.id)),
    ):
        state = state_for_tab(state_cls, path=path)
        finish(state_cls.load, state)
        shown = repr(state.draw)
        assert "ConnectError" not in shown and "127.0.0.1" not in shown and "Errno" not in shown
        assert state.draw.waiting_words.startswith(
            f"Waiting for public randomness: drand round {draw.beacon_round:,} has not reached us"
        )
        assert "We keep asking (next try " in state.draw.waiting_words
