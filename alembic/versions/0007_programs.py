"""programs: raffles belong to a program, and a month is unique per program

Written by hand. The members' club is created here and owns every raffle so far; a streamer's
community will be another program with its own months. Downgrading fails if two programs have a
raffle in the same month.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 05:21:00+00:00

"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - sqlmodel.sql.sqltypes.AutoString in column types
from alembic import op

import luckyclub.models  # noqa: F401 - luckyclub.models.UTCDateTime in column types

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLUB_SLUG = "club"
CLUB_NAME = "LuckyClub members' club"


def upgrade() -> None:
    op.create_table(
        "program",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_at", luckyclub.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program")),
        sa.UniqueConstraint("slug", name=op.f("uq_program_slug")),
    )
    op.execute(
        sa.text(
            "INSERT INTO program (slug, name, created_at) VALUES (:slug, :name, :created_at)"
        ).bindparams(
            sa.bindparam("created_at", datetime.now(UTC), type_=luckyclub.models.UTCDateTime()),
            slug=CLUB_SLUG,
            name=CLUB_NAME,
        )
    )

    with op.batch_alter_table("raffle", schema=None) as batch_op:
        batch_op.add_column(sa.Column("program_id", sa.Integer(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE raffle SET program_id = (SELECT id FROM program WHERE slug = :slug)"
        ).bindparams(slug=CLUB_SLUG)
    )
    with op.batch_alter_table("raffle", schema=None) as batch_op:
        batch_op.alter_column("program_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_raffle_month"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_raffle_program_id"), ["program_id", "month"]
        )
        batch_op.create_index(batch_op.f("ix_raffle_program_id"), ["program_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_raffle_program_id_program"), "program", ["program_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("raffle", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_raffle_program_id_program"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_raffle_program_id"))
        batch_op.drop_constraint(batch_op.f("uq_raffle_program_id"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_raffle_month"), ["month"])
        batch_op.drop_column("program_id")

    op.drop_table("program")
