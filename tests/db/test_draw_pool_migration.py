"""Migrations 0006 and 0007 (draws named by (mode, source id), raffles in programs) change no proof:
every proof of a populated database is exported at the old schema and at the new one, byte for byte
the same, and the migrations go down and up again with the data in place."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, select

from luckyclub.competitions import catalogue
from luckyclub.core import db
from luckyclub.models import Competition, Draw, DrawStatus, DrawWinner, Raffle, Role, UTCDateTime
from luckyclub.platform import draw_actions, draw_public, draws, programs
from tests.db.factories import add_buyer, add_competition, add_user
from tests.db.test_competitions import buy
from tests.db.test_draws import close_then_draw, raffle_with_entries
from tests.db.test_migrations import alembic_config, scratch_url  # noqa: F401 - a fixture

BEFORE = "0005"  # the schema with one foreign key per mode


@pytest.fixture()
def migrated_app(scratch_url: str) -> Iterator[tuple[str, sa.Engine]]:  # noqa: F811
    """The app on a scratch database built by `alembic upgrade head`, not by create_all."""
    command.upgrade(alembic_config(scratch_url), "head")
    engine = db.make_engine(scratch_url)
    db._engines[scratch_url] = engine
    db.use_database(scratch_url)
    try:
        yield scratch_url, engine
    finally:
        db.use_database(None)
        db._engines.pop(scratch_url, None)
        engine.dispose()


def _populate(session: Session, settings_env) -> None:
    """A raffle drawn on a drand round and rerolled; a competition drawn without a beacon; one
    whose winner an admin named (a manual override)."""
    admin = add_user(session, "boss@example.com", Role.ADMIN)
    raffle, _ = raffle_with_entries(
        session, {"ann@example.com": 4, "bob@example.com": 6, "cat@example.com": 9}
    )
    close_then_draw()
    session.expire_all()
    draw = draws.draw_of(session, "raffle", raffle.id)
    first = session.exec(select(DrawWinner).where(DrawWinner.draw_id == draw.id)).first()
    draw_actions.reroll(session, admin, first.id, "Did not answer within a week")
    session.commit()

    settings_env(DRAW_BEACON="0")
    drawn = add_competition(session, admin, title="Win a kayak")
    later = drawn.ends_at + timedelta(days=1)  # drawn by hand, after the first one's draw
    overridden = add_competition(session, admin, title="Win a tent", ends_at=later)
    for number, competition in enumerate((drawn, overridden)):
        buyer = add_buyer(session, f"buyer{number}@example.com")
        buy(buyer, competition, 3)
        buy(add_buyer(session, f"other{number}@example.com"), competition, 2)
    draws.run_due(now=drawn.draw_at + timedelta(seconds=1))
    draw_actions.override(
        session,
        admin,
        catalogue.draw_of(session, overridden.id).id,
        ticket="4",
        reason="Drawn live on stream",
        now=overridden.ends_at + timedelta(seconds=1),
    )
    session.commit()


def _exported_now(engine: sa.Engine) -> dict[tuple[int, int], bytes]:
    """Every proof, as the API serves it, at the current schema."""
    proofs = {}
    with Session(engine) as session:
        for draw in session.exec(select(Draw).where(Draw.status == DrawStatus.DRAWN)).all():
            for reroll in range(len(json.loads(draw.result))):
                document = draw_public.proof_document(session, draw.id, reroll)
                proofs[draw.id, reroll] = _bytes(document)
    return proofs


def _exported_at_the_old_schema(engine: sa.Engine) -> dict[tuple[int, int], bytes]:
    """Every proof built from the rows of the old schema, read without the models."""
    query = sa.text("SELECT * FROM draw WHERE status = 'drawn'").columns(
        closed_at=UTCDateTime(), drawn_at=UTCDateTime()
    )
    proofs = {}
    with engine.connect() as conn:
        columns = {column["name"] for column in sa.inspect(conn).get_columns("draw")}
        assert {"raffle_id", "competition_id"} <= columns and "source_id" not in columns
        for row in conn.execute(query).all():
            snapshot = conn.execute(
                sa.text("SELECT body FROM draw_snapshot WHERE draw_id = :id"), {"id": row.id}
            ).scalar_one()
            for reroll in range(len(json.loads(row.result))):
                proofs[row.id, reroll] = _bytes(draw_public.document_of(row, snapshot, reroll))
    return proofs


def _bytes(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def test_every_proof_is_byte_identical_before_and_after_the_migration(
    migrated_app, relays, settings_env
):
    url, engine = migrated_app
    with Session(engine, expire_on_commit=False) as session:
        _populate(session, settings_env)
    at_head = _exported_now(engine)
    assert len(at_head) == 4  # raffle draw + reroll, a drawn competition, an override

    command.downgrade(alembic_config(url), BEFORE)
    at_old_schema = _exported_at_the_old_schema(engine)
    command.upgrade(alembic_config(url), "head")
    migrated = _exported_now(engine)

    assert at_old_schema == migrated == at_head
    with Session(engine) as session:
        club = programs.club(session)
        assert {r.program_id for r in session.exec(select(Raffle)).all()} == {club.id}
        sources = {"raffle": Raffle, "competition": Competition}
        for draw in session.exec(select(Draw)).all():  # each draw still names its own source
            assert session.get(sources[draw.mode], draw.source_id).title == draw.title
