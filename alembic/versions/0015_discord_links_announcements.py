"""discord links and announcements: one table of OAuth link attempts for Kick and Discord; a
community's Discord webhook and announcement threshold; the outbox's discord channel

Written by hand. kick_link_attempt is replaced by link_attempt (with its provider): an attempt
lives 10 minutes, so a sign-in under way while this runs is the only thing lost (the viewer starts
it again).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 15:55:00+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - sqlmodel.sql.sqltypes.AutoString in column types
from alembic import op

import luckyclub.models.base  # noqa: F401 - luckyclub.models.base.UTCDateTime in column types

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNELS = ("email", "klaviyo", "sms")
NEW_CHANNELS = (*CHANNELS, "discord")


def _channel_check(channels: tuple[str, ...]) -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outbox_message_channel"), type_="check")
        listed = ", ".join(f"'{channel}'" for channel in channels)
        batch_op.create_check_constraint(
            batch_op.f("ck_outbox_message_channel"), f"channel IN ({listed})"
        )


def _attempts(table: str, *, provider: bool) -> None:
    columns = [sa.Column("id", sa.Integer(), nullable=False)]
    if provider:
        columns.append(
            sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False)
        )
    columns += [
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("code_verifier", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("return_to", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.Column("used_at", luckyclub.models.base.UTCDateTime(), nullable=True),
    ]
    constraints: list[sa.Constraint] = [
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f(f"fk_{table}_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("state", name=op.f(f"uq_{table}_state")),
    ]
    if provider:
        constraints.append(
            sa.CheckConstraint("provider IN ('kick', 'discord')", name=op.f(f"ck_{table}_provider"))
        )
    op.create_table(table, *columns, *constraints)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_user_id"), ["user_id"], unique=False)


def _drop_attempts(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_{table}_user_id"))
    op.drop_table(table)


def upgrade() -> None:
    _drop_attempts("kick_link_attempt")
    _attempts("link_attempt", provider=True)
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "discord_webhook_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "discord_announce_threshold", sa.Integer(), nullable=False, server_default="20"
            )
        )
    _channel_check(NEW_CHANNELS)


def downgrade() -> None:
    op.execute("DELETE FROM outbox_message WHERE channel = 'discord'")
    _channel_check(CHANNELS)
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_column("discord_announce_threshold")
        batch_op.drop_column("discord_webhook_url")
    _drop_attempts("link_attempt")
    _attempts("kick_link_attempt", provider=False)
