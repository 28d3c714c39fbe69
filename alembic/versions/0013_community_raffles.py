"""community raffles: communities, Kick identities and events, chat time, gifts, affiliate claims

Generated, then reviewed by hand: the entry ledger's source CHECK gains removal and reversal
(autogenerate does not see CHECK changes).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 13:45:16.537486+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - sqlmodel.sql.sqltypes.AutoString in column types
from alembic import op

import luckyclub.models.base  # noqa: F401 - luckyclub.models.base.UTCDateTime in column types

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SOURCES = (
    "base",
    "proof",
    "bonus",
    "admin",
    "watchtime",
    "gifted_sub",
    "wager",
    "carry_over",
    "correction",
)
NEW_SOURCES = (*SOURCES, "removal", "reversal")


def _source_check(sources: tuple[str, ...]) -> None:
    with op.batch_alter_table("entry_ledger", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_entry_ledger_source"), type_="check")
        listed = ", ".join(f"'{source}'" for source in sources)
        batch_op.create_check_constraint(
            batch_op.f("ck_entry_ledger_source"), f"source IN ({listed})"
        )


def upgrade() -> None:
    _source_check(NEW_SOURCES)
    op.create_table(
        "kick_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("subscription_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("event_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("event_version", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("sent_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.Column("processed_at", luckyclub.models.base.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kick_event")),
        sa.UniqueConstraint("message_id", name=op.f("uq_kick_event_message_id")),
    )
    with op.batch_alter_table("kick_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kick_event_processed_at"), ["processed_at"], unique=False
        )

    op.create_table(
        "community",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("kick_broadcaster_id", sa.BigInteger(), nullable=True),
        sa.Column("affiliate_source", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("prize", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("chat_minutes", sa.Integer(), nullable=False),
        sa.Column("chat_tickets", sa.Integer(), nullable=False),
        sa.Column("gift_tickets", sa.Integer(), nullable=False),
        sa.Column("wager_unit", sa.Integer(), nullable=False),
        sa.Column("wager_tickets", sa.Integer(), nullable=False),
        sa.Column("auto_draw", sa.Boolean(), nullable=False),
        sa.Column("is_live", sa.Boolean(), nullable=False),
        sa.Column("live_since", luckyclub.models.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["program.id"], name=op.f("fk_community_program_id_program")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community")),
        sa.UniqueConstraint("kick_broadcaster_id", name=op.f("uq_community_kick_broadcaster_id")),
        sa.UniqueConstraint("program_id", name=op.f("uq_community_program_id")),
    )
    op.create_table(
        "kick_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kick_user_id", sa.BigInteger(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", luckyclub.models.base.UTCDateTime(), nullable=True),
        sa.Column("updated_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_kick_identity_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kick_identity")),
        sa.UniqueConstraint("kick_user_id", name=op.f("uq_kick_identity_kick_user_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_kick_identity_user_id")),
    )
    op.create_table(
        "kick_link_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("code_verifier", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("return_to", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.Column("used_at", luckyclub.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_kick_link_attempt_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kick_link_attempt")),
        sa.UniqueConstraint("state", name=op.f("uq_kick_link_attempt_state")),
    )
    with op.batch_alter_table("kick_link_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kick_link_attempt_user_id"), ["user_id"], unique=False)

    op.create_table(
        "affiliate_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("username_key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", luckyclub.models.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'verified', 'rejected')", name=op.f("ck_affiliate_claim_status")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_affiliate_claim_community_id_community"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["app_user.id"], name=op.f("fk_affiliate_claim_decided_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_affiliate_claim_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affiliate_claim")),
    )
    with op.batch_alter_table("affiliate_claim", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_affiliate_claim_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_affiliate_claim_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_affiliate_claim_username"), ["username"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_affiliate_claim_username_key"), ["username_key"], unique=False
        )

    op.create_table(
        "chat_carry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("raffle_id", sa.Integer(), nullable=False),
        sa.Column("kick_user_id", sa.BigInteger(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["raffle_id"], ["raffle.id"], name=op.f("fk_chat_carry_raffle_id_raffle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_carry")),
        sa.UniqueConstraint("raffle_id", "kick_user_id", name=op.f("uq_chat_carry_raffle_id")),
    )
    with op.batch_alter_table("chat_carry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_carry_raffle_id"), ["raffle_id"], unique=False)

    op.create_table(
        "chat_minute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("kick_user_id", sa.BigInteger(), nullable=False),
        sa.Column("minute", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.Column("converted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_chat_minute_community_id_community")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_minute")),
        sa.UniqueConstraint(
            "community_id", "kick_user_id", "minute", name=op.f("uq_chat_minute_community_id")
        ),
    )
    with op.batch_alter_table("chat_minute", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chat_minute_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_chat_minute_minute"), ["minute"], unique=False)

    op.create_table(
        "chat_presence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("kick_user_id", sa.BigInteger(), nullable=False),
        sa.Column("last_chat_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_chat_presence_community_id_community")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_presence")),
        sa.UniqueConstraint(
            "community_id", "kick_user_id", name=op.f("uq_chat_presence_community_id")
        ),
    )
    with op.batch_alter_table("chat_presence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chat_presence_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_chat_presence_last_chat_at"), ["last_chat_at"], unique=False
        )

    op.create_table(
        "excluded_viewer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("kick_user_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_excluded_viewer_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_excluded_viewer_community_id_community"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_excluded_viewer")),
        sa.UniqueConstraint(
            "community_id", "kick_user_id", name=op.f("uq_excluded_viewer_community_id")
        ),
    )
    with op.batch_alter_table("excluded_viewer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_excluded_viewer_community_id"), ["community_id"], unique=False
        )

    op.create_table(
        "held_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("raffle_id", sa.Integer(), nullable=False),
        sa.Column("kick_user_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.Column("released_at", luckyclub.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["raffle_id"], ["raffle.id"], name=op.f("fk_held_ticket_raffle_id_raffle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_ticket")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_held_ticket_idempotency_key")),
    )
    with op.batch_alter_table("held_ticket", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_held_ticket_kick_user_id"), ["kick_user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_held_ticket_raffle_id"), ["raffle_id"], unique=False)

    op.create_table(
        "kick_gift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("raffle_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("gifter_kick_id", sa.BigInteger(), nullable=True),
        sa.Column("gifter_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("giftees", sa.Integer(), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("gifted_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.Column("reversed_at", luckyclub.models.base.UTCDateTime(), nullable=True),
        sa.Column("reversed_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("reversed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_kick_gift_community_id_community")
        ),
        sa.ForeignKeyConstraint(
            ["raffle_id"], ["raffle.id"], name=op.f("fk_kick_gift_raffle_id_raffle")
        ),
        sa.ForeignKeyConstraint(
            ["reversed_by"], ["app_user.id"], name=op.f("fk_kick_gift_reversed_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kick_gift")),
        sa.UniqueConstraint("content_key", name=op.f("uq_kick_gift_content_key")),
        sa.UniqueConstraint("message_id", name=op.f("uq_kick_gift_message_id")),
    )
    with op.batch_alter_table("kick_gift", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kick_gift_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_kick_gift_gifter_kick_id"), ["gifter_kick_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_kick_gift_raffle_id"), ["raffle_id"], unique=False)

    op.create_table(
        "wager_poll",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("raffle_id", sa.Integer(), nullable=False),
        sa.Column("started_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.Column("finished_at", luckyclub.models.base.UTCDateTime(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("credited", sa.Integer(), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_wager_poll_community_id_community")
        ),
        sa.ForeignKeyConstraint(
            ["raffle_id"], ["raffle.id"], name=op.f("fk_wager_poll_raffle_id_raffle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wager_poll")),
    )
    with op.batch_alter_table("wager_poll", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wager_poll_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_wager_poll_raffle_id"), ["raffle_id"], unique=False)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM entry_ledger WHERE source IN ('removal', 'reversal')"))
    _source_check(SOURCES)
    with op.batch_alter_table("wager_poll", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wager_poll_raffle_id"))
        batch_op.drop_index(batch_op.f("ix_wager_poll_community_id"))

    op.drop_table("wager_poll")
    with op.batch_alter_table("kick_gift", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kick_gift_raffle_id"))
        batch_op.drop_index(batch_op.f("ix_kick_gift_gifter_kick_id"))
        batch_op.drop_index(batch_op.f("ix_kick_gift_community_id"))

    op.drop_table("kick_gift")
    with op.batch_alter_table("held_ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_held_ticket_raffle_id"))
        batch_op.drop_index(batch_op.f("ix_held_ticket_kick_user_id"))

    op.drop_table("held_ticket")
    with op.batch_alter_table("excluded_viewer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_excluded_viewer_community_id"))

    op.drop_table("excluded_viewer")
    with op.batch_alter_table("chat_presence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_presence_last_chat_at"))
        batch_op.drop_index(batch_op.f("ix_chat_presence_community_id"))

    op.drop_table("chat_presence")
    with op.batch_alter_table("chat_minute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_minute_minute"))
        batch_op.drop_index(batch_op.f("ix_chat_minute_community_id"))

    op.drop_table("chat_minute")
    with op.batch_alter_table("chat_carry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_carry_raffle_id"))

    op.drop_table("chat_carry")
    with op.batch_alter_table("affiliate_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_affiliate_claim_username_key"))
        batch_op.drop_index(batch_op.f("ix_affiliate_claim_username"))
        batch_op.drop_index(batch_op.f("ix_affiliate_claim_user_id"))
        batch_op.drop_index(batch_op.f("ix_affiliate_claim_community_id"))

    op.drop_table("affiliate_claim")
    with op.batch_alter_table("kick_link_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kick_link_attempt_user_id"))

    op.drop_table("kick_link_attempt")
    op.drop_table("kick_identity")
    op.drop_table("community")
    with op.batch_alter_table("kick_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kick_event_processed_at"))

    op.drop_table("kick_event")
