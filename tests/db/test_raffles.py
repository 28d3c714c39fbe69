"""Monthly raffles: creating, editing and opening them, closing, the rollover and carry-over."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from luckyclub.club import ledger, raffles
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.models import (
    AuditLog,
    EntryLedger,
    LedgerSource,
    MembershipStatus,
    Program,
    Raffle,
    RaffleStatus,
    Role,
)
from luckyclub.platform import draw_actions, programs
from tests.db.factories import add_member, add_open_raffle, add_user

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
FIRST_OF_DECEMBER = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # when the rollover job runs


@pytest.fixture()
def admin(session):
    return add_user(session, "admin@example.com", role=Role.ADMIN)


def create(session, admin, month="2026-12", **fields):
    values = {"title": "December Raffle", "prize": "A signed jersey"} | fields
    raffle = raffles.create(session, admin, month=month, now=NOW, **values)
    session.commit()
    return raffle


def base_rows(session, raffle) -> list[EntryLedger]:
    query = select(EntryLedger).where(
        EntryLedger.raffle_id == raffle.id, EntryLedger.source == LedgerSource.BASE
    )
    return list(session.exec(query.order_by(EntryLedger.user_id)))


def give(session, raffle, member, amount, key):
    """Entries a member earned in an open raffle, mid-month."""
    ledger.credit(
        session,
        raffle_id=raffle.id,
        user_id=member.id,
        source=LedgerSource.PROOF,
        amount=amount,
        key=key,
        now=NOW,
    )
    session.commit()


# ---- creating and editing -----------------------------------------------------------------------


def test_creating_a_raffle_closes_it_at_the_end_of_its_month_and_audits_it(session, admin):
    raffle = create(session, admin, description="  The big one  ")

    assert (raffle.month, raffle.title, raffle.status) == ("2026-12", "December Raffle", "draft")
    assert raffle.closes_at == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert raffle.description == "The big one"
    [audit] = session.exec(select(AuditLog)).all()
    assert (audit.actor_id, audit.action, audit.detail) == (
        admin.id,
        "raffle.create",
        "2026-12: December Raffle",
    )


@pytest.mark.parametrize(
    ("month", "fields", "field", "sentence"),
    [
        ("12/2026", {}, "month", "Choose the raffle's month, like 2026-12."),
        ("2026-13", {}, "month", "Choose the raffle's month, like 2026-12."),
        ("", {}, "month", "Choose the raffle's month, like 2026-12."),
        ("2026-10", {}, "month", "That month has passed; choose this month or a later one."),
        ("2026-12", {"title": "ab"}, "title", "The title needs 3 to 120 characters."),
        ("2026-12", {"title": "x" * 121}, "title", "The title needs 3 to 120 characters."),
        ("2026-12", {"prize": " "}, "prize", "The prize needs 2 to 200 characters."),
        (
            "2026-12",
            {"base_entries": -1},
            "base_entries",
            "Base entries must be between 0 and 1000.",
        ),
        (
            "2026-12",
            {"base_entries": 1001},
            "base_entries",
            "Base entries must be between 0 and 1000.",
        ),
        (
            "2026-12",
            {"base_entries": "lots"},
            "base_entries",
            "Base entries must be a whole number.",
        ),
        (
            "2026-12",
            {"carry_over_percent": 101},
            "carry_over_percent",
            "The carry-over percentage must be between 0 and 100.",
        ),
        (
            "2026-12",
            {"carry_over_percent": -1},
            "carry_over_percent",
            "The carry-over percentage must be between 0 and 100.",
        ),
        (
            "2026-12",
            {"closes_at": NOW - timedelta(minutes=1)},
            "closes_at",
            "The closing time must be in the future.",
        ),
        (
            "2026-12",
            {"closes_at": datetime(2026, 12, 31, 20, 0)},  # no timezone: which 20:00?
            "closes_at",
            "Give the closing time as a date and time.",
        ),
    ],
)
def test_creating_a_raffle_with_bad_input_is_refused_with_a_sentence(
    session, admin, month, fields, field, sentence
):
    with pytest.raises(UserError) as refused:
        create(session, admin, month=month, **fields)

    assert (refused.value.field, refused.value.message) == (field, sentence)
    assert session.exec(select(Raffle)).all() == []


def test_this_month_can_still_be_created_and_the_limits_are_accepted(session, admin):
    raffle = create(session, admin, month="2026-11", base_entries=1000, carry_over_percent=100)

    assert (raffle.base_entries, raffle.carry_over_percent) == (1000, 100)


def test_a_second_raffle_for_the_same_month_is_refused(session, admin):
    create(session, admin, month="2026-12")

    with pytest.raises(UserError) as refused:
        create(session, admin, month="2026-12", title="Another one")

    assert refused.value.message == "There is already a raffle for 2026-12; edit that one."
    assert len(session.exec(select(Raffle)).all()) == 1


def test_a_month_is_unique_per_program_so_two_programs_run_side_by_side(session, admin):
    community = Program(slug="streamer-ann", name="Ann's community")
    session.add(community)
    session.commit()
    club_raffle = create(session, admin, month="2026-12")
    theirs = create(
        session, admin, month="2026-12", title="Ann's December", program_id=community.id
    )

    assert club_raffle.program_id == programs.club_id(session) != theirs.program_id
    assert raffles.raffle_for_month(session, "2026-12").id == club_raffle.id
    assert raffles.raffle_for_month(session, "2026-12", community.id).id == theirs.id
    assert raffles.draw_of(session, theirs.id).pool_id == f"raffle-{theirs.id}"
    with pytest.raises(UserError, match="already a raffle for 2026-12"):
        create(session, admin, month="2026-12", title="Twice", program_id=community.id)


def test_members_cannot_create_edit_or_open_raffles(session):
    member = add_user(session, "ann@example.com")
    raffle = add_open_raffle(session, "2026-12", status=RaffleStatus.DRAFT)

    with pytest.raises(NotAllowed):
        create(session, member, month="2027-01")
    with pytest.raises(NotAllowed):
        raffles.update(session, member, raffle.id, title="Mine now", now=NOW)
    with pytest.raises(NotAllowed):
        raffles.open_raffle(session, member, raffle.id, now=NOW)
    session.rollback()

    assert session.get(Raffle, raffle.id).status == RaffleStatus.DRAFT


def test_editing_a_raffle_changes_only_editable_fields_and_audits_what_changed(session, admin):
    raffle = add_open_raffle(session, "2026-12", title="December Raffle")

    raffles.update(
        session, admin, raffle.id, title="Winter Raffle", month="2030-01", base_entries=20, now=NOW
    )
    session.commit()

    assert (raffle.title, raffle.month, raffle.base_entries) == ("Winter Raffle", "2026-12", 20)
    [audit] = session.exec(select(AuditLog)).all()
    assert (audit.action, audit.detail) == ("raffle.edit", "title, base_entries")


def test_a_closed_raffle_cannot_be_edited(session, admin):
    raffle = add_open_raffle(session, "2026-11", title="November Raffle")
    raffle.status = RaffleStatus.CLOSED
    session.commit()

    with pytest.raises(UserError) as refused:
        raffles.update(session, admin, raffle.id, title="Changed afterwards", now=NOW)

    assert refused.value.message == "A closed raffle cannot be edited: its entries are final."
    session.rollback()
    assert session.get(Raffle, raffle.id).title == "November Raffle"


# ---- opening ------------------------------------------------------------------------------------


def test_opening_credits_base_entries_to_active_members_only_and_only_once(session, admin):
    ann = add_member(session, "ann@example.com")
    add_member(session, "bob@example.com", status=MembershipStatus.LAPSED)
    add_member(session, "cat@example.com", banned_at=NOW - timedelta(days=2))
    add_user(session, "dan@example.com")  # never a member
    raffle = add_open_raffle(session, "2026-12", status=RaffleStatus.DRAFT, base_entries=15)

    opened, credited = raffles.open_raffle(session, admin, raffle.id, now=NOW)
    session.commit()
    _, credited_again = raffles.open_raffle(session, admin, raffle.id, now=NOW)
    session.commit()

    assert opened.status == RaffleStatus.OPEN
    assert (credited, credited_again) == (1, 0)
    [row] = base_rows(session, raffle)
    assert (row.user_id, row.amount, row.reason) == (ann.id, 15, "Monthly membership")
    assert ledger.totals(session, raffle.id) == ledger.RaffleTotals(entries=15, entrants=1)
    audits = session.exec(select(AuditLog).order_by(AuditLog.id)).all()
    assert [(a.action, a.detail) for a in audits] == [
        ("raffle.open", "1 members credited"),
        ("raffle.open", "0 members credited"),
    ]


def test_a_closed_raffle_or_one_past_its_closing_time_cannot_be_opened(session, admin):
    closed = add_open_raffle(session, "2026-10", status=RaffleStatus.CLOSED)
    late = add_open_raffle(
        session, "2026-11", status=RaffleStatus.DRAFT, closes_at=NOW - timedelta(hours=1)
    )

    with pytest.raises(UserError, match="has closed; it cannot be opened again"):
        raffles.open_raffle(session, admin, closed.id, now=NOW)
    with pytest.raises(UserError) as refused:
        raffles.open_raffle(session, admin, late.id, now=NOW)

    assert refused.value.message == (
        "Move the closing time into the future before opening the raffle."
    )


# ---- which raffle is current, and closing -------------------------------------------------------


def test_the_current_raffle_is_this_months_open_one(session):
    add_open_raffle(session, "2026-10", closes_at=datetime(2026, 12, 31, tzinfo=UTC))
    november = add_open_raffle(session, "2026-11")
    add_open_raffle(session, "2026-12")

    assert raffles.current_raffle(session, now=NOW).id == november.id


def test_without_this_months_raffle_the_latest_open_one_is_current(session):
    add_open_raffle(session, "2026-10", closes_at=datetime(2026, 12, 31, tzinfo=UTC))
    add_open_raffle(session, "2026-11", status=RaffleStatus.DRAFT)
    december = add_open_raffle(session, "2026-12")

    assert raffles.current_raffle(session, now=NOW).id == december.id


def test_there_is_no_current_raffle_once_all_have_passed_their_closing_time(session):
    add_open_raffle(session, "2026-10")  # closes 31 October, still marked open
    add_open_raffle(session, "2026-11", status=RaffleStatus.DRAFT)

    assert raffles.current_raffle(session, now=NOW) is None


def test_closing_closes_open_raffles_past_their_closing_time_only(session):
    october = add_open_raffle(session, "2026-10")
    november = add_open_raffle(session, "2026-11")

    closed = raffles.close_due(session, now=NOW)
    session.commit()

    assert [r.id for r in closed] == [october.id]
    assert session.get(Raffle, october.id).status == RaffleStatus.CLOSED
    assert session.get(Raffle, november.id).status == RaffleStatus.OPEN
    assert raffles.close_due(session, now=NOW) == []


# ---- the monthly rollover ---------------------------------------------------------------------


@pytest.fixture()
def november(session):
    return add_open_raffle(
        session,
        "2026-11",
        title="November Raffle",
        prize="A gaming chair",
        description="Draw on 1 December.",
        image_name="chair.webp",
        base_entries=20,
        carry_over_percent=0,
        winners=2,
    )


def drawn_for(session, raffle, winner, *, now=FIRST_OF_DECEMBER) -> None:
    """The raffle closed and drawn with `winner` (an admin's recorded override: no chance here)."""
    boss = add_user(session, "drawing-admin@example.com", role=Role.ADMIN)
    draw = raffles.schedule_draw(session, raffle)
    draw_actions.override(
        session, boss, draw.id, email=winner.email, reason="Decided for this test", now=now
    )
    session.commit()


def december(session) -> Raffle | None:
    return raffles.raffle_for_month(session, "2026-12")


def test_the_rollover_opens_this_months_raffle_from_last_months_and_credits_members(
    session, november
):
    ann = add_member(session, "ann@example.com")
    add_member(session, "bob@example.com", status=MembershipStatus.LAPSED)

    result = raffles.rollover(session, now=FIRST_OF_DECEMBER)
    session.commit()

    new = december(session)
    assert result == f"2026-12: raffle #{new.id} open, 1 members credited, 0 carried over"
    assert (new.title, new.prize, new.description, new.image_name) == (
        "November Raffle",
        "A gaming chair",
        "Draw on 1 December.",
        "chair.webp",
    )
    assert (new.base_entries, new.carry_over_percent, new.winners) == (20, 0, 2)
    assert new.status == RaffleStatus.OPEN
    assert new.closes_at == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert session.get(Raffle, november.id).status == RaffleStatus.CLOSED
    assert [(r.user_id, r.amount) for r in base_rows(session, new)] == [(ann.id, 20)]


def test_running_the_rollover_twice_neither_copies_nor_credits_twice(session, november):
    ann = add_member(session, "ann@example.com")

    raffles.rollover(session, now=FIRST_OF_DECEMBER)
    session.commit()
    again = raffles.rollover(session, now=FIRST_OF_DECEMBER + timedelta(minutes=5))
    session.commit()

    assert len(session.exec(select(Raffle)).all()) == 2
    new = december(session)
    assert again == f"2026-12: raffle #{new.id} open, 0 members credited, 0 carried over"
    assert ledger.balance(session, new.id, ann.id) == 20


def test_the_rollover_without_an_earlier_raffle_creates_nothing(session):
    add_member(session, "ann@example.com")

    assert raffles.rollover(session, now=FIRST_OF_DECEMBER) == "no raffle to copy for 2026-12"
    assert session.exec(select(Raffle)).all() == []


def test_the_rollover_leaves_a_draft_alone_and_does_not_recredit_an_opened_one(
    session, november, admin
):
    ann = add_member(session, "ann@example.com")
    prepared = create(session, admin, month="2026-12")

    result = raffles.rollover(session, now=FIRST_OF_DECEMBER)

    assert result == f"2026-12: raffle #{prepared.id} is draft; nothing credited"
    assert base_rows(session, prepared) == []
    assert len(session.exec(select(Raffle)).all()) == 2  # no copy made beside the draft

    raffles.open_raffle(session, admin, prepared.id, now=FIRST_OF_DECEMBER)
    again = raffles.rollover(session, now=FIRST_OF_DECEMBER)
    session.commit()

    assert again.startswith(f"2026-12: raffle #{prepared.id} open, 0 members credited")
    assert [(r.user_id, r.amount) for r in base_rows(session, prepared)] == [(ann.id, 15)]


def test_the_rollover_from_three_places_at_once_opens_one_raffle_and_credits_each_once(
    app_db, session, november
):
    if app_db.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; the race needs PostgreSQL")
    november.carry_over_percent = 50
    session.commit()
    members = [add_member(session, f"member{n}@example.com") for n in range(3)]
    for member in members:
        give(session, november, member, 9, f"proof:{member.id}")
    winner = add_user(session, "winner@example.com")
    give(session, november, winner, 1, "proof:winner")
    drawn_for(session, november, winner)  # the draws job got there first
    start_together = threading.Barrier(3)
    outcomes: list[str] = []

    def roll():
        with Session(app_db) as s:
            start_together.wait(timeout=20)
            try:
                outcomes.append(raffles.rollover(s, now=FIRST_OF_DECEMBER))
                s.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcomes.append(repr(exc))

    workers = [threading.Thread(target=roll) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    [new] = session.exec(select(Raffle).where(Raffle.month == "2026-12")).all()
    assert sorted(outcomes) == [
        f"2026-12: raffle #{new.id} open, 0 members credited, 0 carried over",
        f"2026-12: raffle #{new.id} open, 0 members credited, 0 carried over",
        f"2026-12: raffle #{new.id} open, 3 members credited, 3 carried over",
    ]
    for member in members:
        assert ledger.breakdown(session, new.id, member.id) == {"base": 20, "carry_over": 4}


# ---- carry-over ---------------------------------------------------------------------------------


def test_half_of_the_entries_carry_over_rounded_down_once_even_if_the_rollover_runs_twice(
    session, november
):
    november.carry_over_percent = 50
    session.commit()
    ann = add_member(session, "ann@example.com")
    bob = add_user(session, "bob@example.com")  # membership lapsed: earned entries still carry
    give(session, november, ann, 9, "proof:ann")
    give(session, november, bob, 1, "proof:bob")  # half of 1 is 0: nothing to carry
    cat = add_user(session, "cat@example.com")
    give(session, november, cat, 5, "proof:cat")
    raffles.rollover(session, now=FIRST_OF_DECEMBER)
    session.commit()
    assert ledger.breakdown(session, december(session).id, ann.id) == {"base": 20}  # not drawn yet
    drawn_for(session, november, cat)

    raffles.rollover(session, now=FIRST_OF_DECEMBER)
    session.commit()
    raffles.rollover(session, now=FIRST_OF_DECEMBER + timedelta(hours=1))
    session.commit()

    new = december(session)
    [carried] = session.exec(
        select(EntryLedger).where(EntryLedger.source == LedgerSource.CARRY_OVER)
    ).all()
    assert (carried.raffle_id, carried.user_id, carried.amount) == (new.id, ann.id, 4)
    assert carried.reason == "50% of your 9 entries in November Raffle"
    assert ledger.breakdown(session, new.id, ann.id) == {"base": 20, "carry_over": 4}
    assert ledger.balance(session, new.id, bob.id) == 0


def test_a_carry_over_of_zero_percent_carries_nothing(session, november):
    ann = add_member(session, "ann@example.com")
    give(session, november, ann, 9, "proof:ann")

    raffles.rollover(session, now=FIRST_OF_DECEMBER)
    session.commit()

    assert ledger.breakdown(session, december(session).id, ann.id) == {"base": 20}


def test_winners_carry_nothing_over(session, november, admin):
    november.carry_over_percent = 50
    session.commit()
    ann, bob = add_user(session, "ann@example.com"), add_user(session, "bob@example.com")
    give(session, november, ann, 9, "proof:ann")
    give(session, november, bob, 30, "proof:bob")
    target = add_open_raffle(session, "2026-12", base_entries=0)

    carried = raffles.carry_over(
        session, november, target, winners=frozenset({bob.id}), now=FIRST_OF_DECEMBER
    )
    carried_again = raffles.carry_over(
        session, november, target, winners=frozenset({bob.id}), now=FIRST_OF_DECEMBER
    )
    session.commit()

    assert (carried, carried_again) == (1, 0)
    assert ledger.balance(session, target.id, ann.id) == 4
    assert ledger.balance(session, target.id, bob.id) == 0


def test_entries_removed_by_an_admin_do_not_carry_over(session, november, admin):
    november.carry_over_percent = 50
    session.commit()
    ann = add_user(session, "ann@example.com")
    give(session, november, ann, 9, "proof:ann")
    ledger.grant(
        session, admin, raffle_id=november.id, user_id=ann.id, amount=-5, reason="Fake", now=NOW
    )
    session.commit()
    target = add_open_raffle(session, "2026-12", base_entries=0)

    raffles.carry_over(session, november, target, now=FIRST_OF_DECEMBER)

    assert ledger.balance(session, target.id, ann.id) == 2
