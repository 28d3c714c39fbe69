"""Admin picture uploads (a competition's pictures, a raffle's prize picture, a winner's photo) are
decoded off the event loop: decoding takes a while and may wait for one of the process's decoding
slots, and on the loop that wait would stall every other tab of the process."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session

from luckyclub.models import DrawWinner, Raffle, RaffleStatus, Role, User
from luckyclub.pages.admin.raffles import RafflesAdminState
from luckyclub.pages.admin.winners import WinnersAdminState
from luckyclub.platform import uploads
from luckyclub.state.competitions.admin_competition import CompetitionAdminState
from tests.db.factories import add_competition, add_open_raffle, add_user
from tests.db.reflex_state import finish
from tests.db.test_admin_competitions_state import Upload, drawn_winner, image_bytes, page_of, tab


@pytest.fixture()
def people(session) -> dict[str, User]:
    return {
        "admin": add_user(session, "admin@example.com", Role.ADMIN),
        "member": add_user(session, "mallory@example.com"),
    }


@pytest.fixture()
def decoded_on(monkeypatch) -> list[str]:
    """Where each uploaded picture was checked: on the event loop's thread, or off it."""
    where: list[str] = []
    check_upload = uploads.check_upload

    def recording(*args, **kwargs):
        try:
            asyncio.get_running_loop()
            where.append("event loop")
        except RuntimeError:
            where.append("thread")
        return check_upload(*args, **kwargs)

    monkeypatch.setattr(uploads, "check_upload", recording)
    return where


def test_competition_pictures_are_decoded_off_the_event_loop(session, people, app_db, decoded_on):
    competition = add_competition(session, people["admin"], active=False)
    state = page_of(session, people["admin"], competition.id)
    pictures = [Upload("a.png", image_bytes("PNG")), Upload("b.jpg", image_bytes("JPEG"))]

    asyncio.run(CompetitionAdminState.upload_images.fn(state, pictures))

    assert (state.error, state.notice) == ("", "2 pictures added.")
    assert decoded_on == ["thread", "thread"]
    assert len(state.images) == 2


def test_a_raffle_prize_picture_is_decoded_off_the_event_loop(session, people, app_db, decoded_on):
    raffle = add_open_raffle(session, status=RaffleStatus.DRAFT)
    state = tab(session, people["admin"], RafflesAdminState)
    finish(RafflesAdminState.load, state)
    state.editing.id = raffle.id  # as if the raffle had been opened for editing

    asyncio.run(RafflesAdminState.upload_image.fn(state, [Upload("prize.png", image_bytes("PNG"))]))

    assert (state.error, state.notice) == ("", "Prize picture saved.")
    assert decoded_on == ["thread"]
    with Session(app_db) as s:
        assert s.get(Raffle, raffle.id).image_name


def test_a_winners_photo_is_decoded_off_the_event_loop(
    session, people, app_db, no_beacon, decoded_on
):
    winner = drawn_winner(session, people["admin"])
    state = tab(session, people["admin"], WinnersAdminState)
    finish(WinnersAdminState.load, state)
    state.managing.id = winner.id  # as if the dialog had been opened

    asyncio.run(WinnersAdminState.upload_media.fn(state, [Upload("w.png", image_bytes("PNG"))]))

    assert state.error == ""
    assert decoded_on == ["thread"]
    with Session(app_db) as s:
        assert s.get(DrawWinner, winner.id).media_name


def test_a_member_sending_a_picture_is_refused_and_nothing_is_decoded(
    session, people, app_db, decoded_on
):
    competition = add_competition(session, people["admin"], active=False)
    state = page_of(session, people["member"], competition.id)

    asyncio.run(
        CompetitionAdminState.upload_images.fn(state, [Upload("a.png", image_bytes("PNG"))])
    )

    assert (state.error, state.notice) == ("Only administrators can do that.", "")
    assert decoded_on == []
