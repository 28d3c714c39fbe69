"""discord identities: linked Discord accounts; a community's guild and moderators' role

Generated, then reviewed by hand: discord_moderator_role gets a server default so existing
communities take "" (no role).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 14:54:44.064311+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - sqlmodel.sql.sqltypes.AutoString in column types
from alembic import op

import luckyclub.models.base  # noqa: F401 - luckyclub.models.base.UTCDateTime in column types

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "discord_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("discord_user_id", sa.BigInteger(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", luckyclub.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_discord_identity_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discord_identity")),
        sa.UniqueConstraint("discord_user_id", name=op.f("uq_discord_identity_discord_user_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_discord_identity_user_id")),
    )
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discord_guild_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "discord_moderator_role",
                sqlmodel.sql.sqltypes.AutoString(length=100),
                nullable=False,
                server_default="",
            )
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_community_discord_guild_id"), ["discord_guild_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_community_discord_guild_id"), type_="unique")
        batch_op.drop_column("discord_moderator_role")
        batch_op.drop_column("discord_guild_id")

    op.drop_table("discord_identity")
