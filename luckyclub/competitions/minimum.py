"""The minimum number of tickets: a competition that ends short of it is flagged once and the admins
emailed; its draw waits until they extend it (catalogue.extend) or cancel it (catalogue.cancel)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from luckyclub.competitions import catalogue
from luckyclub.core import routes
from luckyclub.core.settings import get_settings
from luckyclub.models import Competition, CompetitionStatus, id_of, utcnow
from luckyclub.platform import notify


def below_minimum(competition: Competition, sold_active: int) -> bool:
    return competition.min_tickets > 0 and sold_active < competition.min_tickets


def flag_below_minimum(session: Session, now: datetime | None = None) -> list[Competition]:
    """Competitions that ended short of their minimum: flagged once and the admins emailed, so
    they decide to extend or cancel; their draw waits for that decision."""
    now = now or utcnow()
    candidates = session.exec(
        select(Competition).where(
            Competition.status == CompetitionStatus.ACTIVE,
            Competition.ends_at <= now,
            Competition.min_tickets > 0,
            col(Competition.below_minimum_at).is_(None),
        )
    ).all()
    flagged = []
    for competition in candidates:
        competition_id = id_of(competition)
        sold = catalogue.active_tickets(session, competition_id)
        # The flag is claimed, so two runners of the job at once email the admins once.
        claimed = sa.update(Competition).where(
            col(Competition.id) == competition_id, col(Competition.below_minimum_at).is_(None)
        )
        if (
            below_minimum(competition, sold)
            and session.exec(claimed.values(below_minimum_at=now)).rowcount == 1
        ):
            session.refresh(competition)
            flagged.append(competition)
            catalogue.announce(session, competition_id)  # its page says the minimum was missed
            notify.notify_admins(
                session,
                unique_id=f"below-minimum-{competition_id}",
                email="competition_below_minimum",
                title=competition.title,
                sold=str(sold),
                minimum=str(competition.min_tickets),
                link=get_settings().app_url + routes.admin_competition_page(competition_id),
            )
    return flagged


def waiting_for_decision(session: Session) -> list[Competition]:
    return list(
        session.exec(
            select(Competition).where(
                Competition.status == CompetitionStatus.ACTIVE,
                col(Competition.below_minimum_at).is_not(None),
            )
        )
    )
