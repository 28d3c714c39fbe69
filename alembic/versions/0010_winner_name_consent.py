"""winner name consent: draw_winner.show_name, set by the winner, false until they agree

Written by hand.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 05:30:00+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("draw_winner", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("show_name", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("draw_winner", schema=None) as batch_op:
        batch_op.drop_column("show_name")
