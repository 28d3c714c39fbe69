"""The public draw pages' states, driven as a browser tab drives them: the draw page before and
after the draw, its entry check and re-run, the live page, champions and the dashboard."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from luckyclub.club import raffles
from luckyclub.core import routes
from luckyclub.models import DrawWinner, Role
from luckyclub.pages.club.dashboard import DashboardState
from luckyclub.pages.draws.champions import ChampionsState
from luckyclub.pages.draws.draw import DrawPageState
from luckyclub.pages.draws.live_draw import LiveDrawState
from luckyclub.platform import accounts, draw_actions, draw_public, draws
from luckyclub.state import live
from luckyclub.state.draws import draw_room
from tests.db.factories import add_open_raffle, add_user
from tests.db.reflex_state import OneTabApp, finish, state_for_tab
from tests.db.test_draws import CLOSES, close_then_draw, draw_of, raffle_with_entries

pytestmark = pytest.mark.usefixtures("relays")  # drawn pools use the recorded drand round

HOLDINGS = {"ann@example.com": 15, "bob@example.com": 3, "cat@example.com": 40}


def state_for(cls, path: str, token: str | None = None):
    return state_for_tab(cls, path=path, session_token=token)


def draw_page_for(draw_id) -> DrawPageState:
    state = state_for(DrawPageState, routes.draw_page(draw_id) if draw_id else "/draws/x")
    finish(DrawPageState.load, state)
    return state


def test_before_the_close_the_page_shows_the_commitment_and_no_seed(session):
    raffle, _ = raffle_with_entries(session, HOLDINGS)
    draw = draw_of(session, raffle)

    state = draw_page_for(draw.id)

    assert not state.missing and state.draw.commitment == draw.commitment
    assert state.draw.seed == "" and state.draw.snapshot_digest == "" and not state.draw.closed
    assert state.draw.status_words == "Open for entries"
    assert (state.draw.entrant_count, state.draw.entry_count) == (3, 58)  # live, not yet frozen
    assert state.draw.draw_at.endswith("UTC") and state.winners == []
    asyncio.run(DrawPageState.check_my_entry.fn(state, {"entrant_ref": "0" * 32}))
    assert not state.check_found and "when the pool closes" in state.check_message
    asyncio.run(DrawPageState.rerun_verification.fn(state))
    assert not state.verify_done  # nothing to verify before the draw


def test_after_the_draw_the_page_shows_seed_winners_and_a_verified_rerun(session):
    raffle, users = raffle_with_entries(session, HOLDINGS, winners=2)
    close_then_draw()
    draw = draw_of(session, raffle)

    state = draw_page_for(draw.id)

    assert state.draw.is_drawn and state.draw.seed == draw.seed
    assert state.draw.snapshot_digest == draw.snapshot_digest
    assert (
        state.draw.merkle_root == draw.merkle_root and state.draw.beacon_round == draw.beacon_round
    )
    assert state.draw.beacon_at.endswith("UTC") and state.draw.drawn_at.endswith("UTC")
    assert state.draw.proof_url == routes.draw_proof(draw.id)
    assert state.draw.snapshot_url == routes.draw_snapshot(draw.id)
    assert [w.position for w in state.winners] == [1, 2]
    assert all(w.ticket.startswith("entry ") and w.ticket.endswith("of 58") for w in state.winners)
    assert all(w.name.startswith("Member #") for w in state.winners)  # nobody opted in

    asyncio.run(DrawPageState.rerun_verification.fn(state))
    assert state.verify_done and state.verify_ok and state.verify_differences == []
    assert not state.verifying


def test_a_rerun_reports_the_differences_when_the_record_was_tampered_with(session):
    raffle, _ = raffle_with_entries(session, HOLDINGS)
    close_then_draw()
    draw = draw_of(session, raffle)
    state = draw_page_for(draw.id)
    draw.merkle_root = "0" * 64  # someone edits the published record afterwards
    session.add(draw)
    session.commit()

    asyncio.run(DrawPageState.rerun_verification.fn(state))

    assert state.verify_done and not state.verify_ok
    assert any("merkle root" in d for d in state.verify_differences)


def test_a_member_checks_their_entry_on_the_draw_page(session):
    raffle, users = raffle_with_entries(session, HOLDINGS)
    draws.run_due(now=CLOSES + timedelta(seconds=1))
    ref, draw_id = raffles.member_ref(session, raffle.id, users["cat@example.com"].id)
    state = draw_page_for(draw_id)
    assert state.draw.closed and not state.draw.revealed

    asyncio.run(DrawPageState.check_my_entry.fn(state, {"entrant_ref": ref}))
    assert (
        state.check_found and state.check_verified and "holding 40 entries" in state.check_message
    )
    assert state.check_hashes and all("…" in h for h in state.check_hashes)
    assert state.check_line.startswith(ref)

    asyncio.run(DrawPageState.check_my_entry.fn(state, {"entrant_ref": "f" * 32}))
    assert not state.check_found and not state.check_verified and state.check_hashes == []


def test_an_unknown_draw_gets_a_friendly_page(session):
    for draw_id in (12345, None):
        state = draw_page_for(draw_id)
        assert state.loaded and state.missing and state.draw.id == 0
    live = state_for(LiveDrawState, "/live/777")
    finish(LiveDrawState.load, live)
    assert live.missing and live.draw.id == 0


def live_room(draw_id: int) -> LiveDrawState:
    """A spectator's tab of /live/<id>."""
    tab = state_for(LiveDrawState, routes.live_page(draw_id))
    finish(LiveDrawState.load, tab)
    return tab


def room_with(tab: LiveDrawState, draw_id: int) -> live.Room:
    """The draw's room as this process keeps it, with this tab in it."""
    room = live.Room(
        key=draw_room.room_key(draw_id), topics=frozenset(), state=LiveDrawState, load=None
    )  # type: ignore[arg-type]
    room.tabs.add("this tab")
    return room


REVEAL_VARS = ("phase", "digits", "outcome")


def test_the_live_page_counts_down_then_reveals_the_result_step_by_step(session):
    raffle, _ = raffle_with_entries(session, HOLDINGS)
    draw = draw_of(session, raffle)
    room = live_room(draw.id)
    assert (room.draw.entrant_count, room.draw.entry_count) == (3, 58)
    assert room.draw.draw_at_ts == int(draw.draw_at.timestamp())  # the browser counts down to it
    assert room.phase == "" and room.winners == []

    close_then_draw()  # in another process, as `jobs run-due` from cron would
    app, kept = OneTabApp(room, *REVEAL_VARS), room_with(room, draw.id)
    asyncio.run(draw_room.refresh_room(app, kept, draw.id, step_seconds=0))  # the change is heard

    phases = [w["phase"] for w in app.writes]
    assert phases[0] == "drawing" and phases[-1] == "done" and set(phases[1:-1]) <= {"digits"}
    view = draw_public.view(session, draw.id)
    assert app.writes[-2]["digits"] == " ".join(str(view.winners[0].ticket_number).zfill(2))
    assert room.outcome == "random" and room.draw.revealed
    assert len(room.winners) == 1 and room.winners[0].name.startswith("Member #")

    app.writes.clear()
    asyncio.run(draw_room.refresh_room(app, kept, draw.id, step_seconds=0))  # again: once only
    assert [w["phase"] for w in app.writes] == ["done"]

    late = live_room(draw.id)  # a spectator who arrives afterwards sees it at once
    assert late.phase == "done" and late.outcome == "random" and late.winners == room.winners


def test_a_reroll_after_the_reveal_is_revealed_again(session):
    raffle, _ = raffle_with_entries(session, HOLDINGS)
    draw = draw_of(session, raffle)
    room = live_room(draw.id)
    close_then_draw()
    app, kept = OneTabApp(room, *REVEAL_VARS), room_with(room, draw.id)
    asyncio.run(draw_room.refresh_room(app, kept, draw.id, step_seconds=0))
    first = room.winners[0]

    admin = add_user(session, "boss@example.com", role=Role.ADMIN)
    winner = session.exec(select(DrawWinner).where(DrawWinner.draw_id == draw.id)).one()
    draw_actions.reroll(session, admin, winner.id, "Did not answer for 14 days")
    session.commit()
    app.writes.clear()
    asyncio.run(draw_room.refresh_room(app, kept, draw.id, step_seconds=0))

    assert app.writes[0]["phase"] == "drawing" and app.writes[-1]["phase"] == "done"
    assert room.winners[0] != first and room.outcome == "random"


def test_the_reveal_shows_the_winning_ticket_in_a_few_steps(session):
    raffle, _ = raffle_with_entries(session, HOLDINGS)
    close_then_draw()
    view = draw_public.view(session, draw_of(session, raffle).id)

    steps = draw_room._digit_steps(view)

    number = str(view.winners[0].ticket_number).zfill(2)
    assert steps[-1] == " ".join(number) and 1 <= len(steps) <= draw_room.MOST_DIGIT_STEPS
    assert "•" in steps[0] or len(steps) == 1
    assert draw_room.room_key(42) == "draw:42"


def test_champions_lists_published_winners_with_a_link_to_the_draw(session):
    raffle, _ = raffle_with_entries(session, HOLDINGS)
    admin = add_user(session, "boss@example.com", role=Role.ADMIN)
    close_then_draw()
    draw = draw_of(session, raffle)
    state = state_for(ChampionsState, routes.CHAMPIONS)
    finish(ChampionsState.load, state)
    assert state.loaded and state.champions == []  # drawn, not yet published

    [row] = draw_public.winner_queue(session)
    draw_actions.set_winner_status(session, admin, row.winner_id, "publish")
    session.commit()
    finish(ChampionsState.load, state)

    [champion] = state.champions
    assert champion.prize == raffle.prize and champion.title == raffle.title
    assert champion.page_url == routes.draw_page(draw.id) and not champion.override
    assert champion.drawn.endswith("UTC") and champion.mode == "Club raffle"


def test_the_dashboard_shows_the_members_entrant_ref_and_the_draw_links(session):
    raffle = add_open_raffle(session)
    raffles.schedule_draw(session, raffle)
    member = add_user(session, "ann@example.com")
    token, _ = accounts.start_session(session, member)
    session.commit()
    state = state_for(DashboardState, routes.DASHBOARD, token)

    finish(DashboardState.load, state)

    ref, draw_id = raffles.member_ref(session, raffle.id, member.id)
    assert state.entrant_ref == ref and len(ref) == 32
    assert state.draw_page_url == routes.draw_page(draw_id)
    assert state.live_url == routes.live_page(draw_id)


def _winner_and_loser(session, raffle, users):
    [winner] = draw_public.view(session, draw_of(session, raffle).id).standing
    ref_to_user = {raffles.member_ref(session, raffle.id, u.id)[0]: u for u in users.values()}
    won = ref_to_user[winner.entrant_ref]
    lost = next(u for u in users.values() if u.id != won.id)
    return won, lost


def dashboard_of(session, user) -> DashboardState:
    token, _ = accounts.start_session(session, user)
    session.commit()
    state = state_for(DashboardState, routes.DASHBOARD, token)
    finish(DashboardState.load, state)
    return state


def test_between_raffles_the_dashboard_shows_the_last_raffles_result_and_leaderboard(session):
    raffle, users = raffle_with_entries(session, HOLDINGS)
    close_then_draw()
    won, lost = _winner_and_loser(session, raffle, users)

    state = dashboard_of(session, lost)

    assert state.raffle.id == raffle.id and not state.raffle.is_open
    assert state.raffle.result.startswith("Drawn ")
    assert state.raffle.result.endswith(f"Won by Member #{won.id}.")
    assert state.total_entries == HOLDINGS[lost.email]
    assert [r.entry_count for r in state.leaders] == [40, 15, 3]  # that raffle's, not "nobody"
    assert state.draw_page_url == routes.draw_page(draw_of(session, raffle).id)
    assert state.wins == []


def test_a_raffle_winner_is_told_on_the_dashboard_with_what_happens_next(session):
    raffle, users = raffle_with_entries(session, HOLDINGS)
    close_then_draw()
    won, _ = _winner_and_loser(session, raffle, users)

    state = dashboard_of(session, won)

    assert "You won!" in state.raffle.result
    [win] = state.wins
    assert (win.title, win.prize, win.ticket) == (raffle.title, raffle.prize, "")
    assert win.next_step.startswith("We have emailed you and will contact you")
    assert win.draw_url == routes.draw_page(draw_of(session, raffle).id)
    assert not win.show_name and state.unnamed == f"Member #{won.id}"


def test_champions_names_a_winner_only_with_their_consent_and_publish_says_so(session):
    from luckyclub.pages.admin.winners import WinnersAdminState

    raffle, users = raffle_with_entries(session, HOLDINGS)
    admin = add_user(session, "boss@example.com", role=Role.ADMIN)
    close_then_draw()
    won, lost = _winner_and_loser(session, raffle, users)
    won.show_on_leaderboard = True  # a leaderboard choice is not consent to be named a winner
    session.add(won)
    session.commit()
    [row] = draw_public.winner_queue(session)
    admin_tab = state_for(
        WinnersAdminState, routes.ADMIN_WINNERS, accounts.start_session(session, admin)[0]
    )
    session.commit()

    finish(WinnersAdminState.set_status, admin_tab, row.winner_id, "publish")
    assert admin_tab.notice.startswith(f"Published. Champions shows them as Member #{won.id}")
    champions = state_for(ChampionsState, routes.CHAMPIONS)
    finish(ChampionsState.load, champions)
    assert [c.name for c in champions.champions] == [f"Member #{won.id}"]

    theirs = dashboard_of(session, won)
    asyncio.run(DashboardState.set_show_name.fn(theirs, theirs.wins[0].winner_id, True))
    assert theirs.error == "" and theirs.wins[0].show_name
    finish(ChampionsState.load, champions)
    assert [c.name for c in champions.champions] == [won.display_name]
    finish(WinnersAdminState.load, admin_tab)
    assert admin_tab.rows[0].public_as.startswith(f"Champions shows their name, {won.display_name}")

    other = dashboard_of(session, lost)  # someone else's win is not theirs to name
    asyncio.run(DashboardState.set_show_name.fn(other, row.winner_id, False))
    assert other.error == "That win is not one of yours."
    finish(ChampionsState.load, champions)
    assert [c.name for c in champions.champions] == [won.display_name]
