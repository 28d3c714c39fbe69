"""Programs: who runs a series of monthly raffles. The members' club is one (its row is made by the
migration that introduced programs, or on first use in a fresh database)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from luckyclub.models import Program, id_of

CLUB = "club"
CLUB_NAME = "LuckyClub members' club"


def by_slug(session: Session, slug: str) -> Program | None:
    return session.exec(select(Program).where(Program.slug == slug)).first()


def club(session: Session) -> Program:
    """The members' club's program, created the first time it is asked for (once, however many
    processes ask at the same moment: the slug is unique)."""
    if found := by_slug(session, CLUB):
        return found
    try:
        with session.begin_nested():
            session.add(Program(slug=CLUB, name=CLUB_NAME))
    except IntegrityError:
        pass  # another transaction made it a moment ago
    if made := by_slug(session, CLUB):
        return made
    raise LookupError("The members' club program is missing and could not be created.")


def club_id(session: Session) -> int:
    return id_of(club(session))
