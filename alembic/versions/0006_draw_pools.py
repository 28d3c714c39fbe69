"""draw pools: a draw belongs to (mode, source id) instead of one foreign key per mode

Written by hand. A draw held one nullable foreign key per mode (raffle_id, competition_id); it now
names its pool by (mode, source_id), so a new mode needs no column. Nothing a proof contains
changes (tests/db/test_draw_pool_migration.py exports every proof before and after). Downgrading
fails if a draw belongs to a mode other than raffle and competition.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 05:20:00+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - sqlmodel.sql.sqltypes.AutoString in column types
from alembic import op

import luckyclub.models  # noqa: F401 - luckyclub.models.UTCDateTime in column types

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("draw", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
    op.execute("UPDATE draw SET source_id = COALESCE(raffle_id, competition_id)")
    with op.batch_alter_table("draw", schema=None) as batch_op:
        batch_op.alter_column("source_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_draw_mode"), ["mode", "source_id"])
        batch_op.drop_constraint(batch_op.f("fk_draw_raffle_id_raffle"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_draw_competition_id_competition"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_draw_raffle_id"))
        batch_op.drop_index(batch_op.f("ix_draw_competition_id"))
        batch_op.drop_column("raffle_id")
        batch_op.drop_column("competition_id")


def downgrade() -> None:
    with op.batch_alter_table("draw", schema=None) as batch_op:
        batch_op.add_column(sa.Column("competition_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("raffle_id", sa.Integer(), nullable=True))
    op.execute("UPDATE draw SET raffle_id = source_id WHERE mode = 'raffle'")
    op.execute("UPDATE draw SET competition_id = source_id WHERE mode = 'competition'")
    with op.batch_alter_table("draw", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_draw_mode"), type_="unique")
        batch_op.drop_column("source_id")
        batch_op.create_index(batch_op.f("ix_draw_raffle_id"), ["raffle_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_draw_competition_id"), ["competition_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_draw_raffle_id_raffle"), "raffle", ["raffle_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_draw_competition_id_competition"),
            "competition",
            ["competition_id"],
            ["id"],
        )
