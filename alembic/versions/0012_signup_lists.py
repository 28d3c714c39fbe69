"""signup lists: lists of events or items, family members, signups, waitlists, lottery entries

Generated, then reviewed by hand: the role grant CHECKs (an editor of a list) are added by hand
(autogenerate does not see CHECK changes). Also: a draw's parameters frozen at close, and the
element a lottery winner won a spot in.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 12:43:29.906535+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - sqlmodel.sql.sqltypes.AutoString in column types
from alembic import op

import luckyclub.models.base  # noqa: F401 - luckyclub.models.base.UTCDateTime in column types

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ROLES = ("moderator",)
SCOPES = ("program",)
NEW_ROLES = (*ROLES, "editor")
NEW_SCOPES = (*SCOPES, "list")


def _role_checks(roles: tuple[str, ...], scopes: tuple[str, ...]) -> None:
    with op.batch_alter_table("role_grant", schema=None) as batch_op:
        for column, values in (("role", roles), ("scope", scopes)):
            batch_op.drop_constraint(batch_op.f(f"ck_role_grant_{column}"), type_="check")
            listed = ", ".join(f"'{value}'" for value in values)
            batch_op.create_check_constraint(
                batch_op.f(f"ck_role_grant_{column}"), f"{column} IN ({listed})"
            )


def upgrade() -> None:
    _role_checks(NEW_ROLES, NEW_SCOPES)
    op.create_table(
        "family_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("is_self", sa.Boolean(), nullable=False),
        sa.Column("created_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_family_member_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_member")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_family_member_user_id")),
    )
    with op.batch_alter_table("family_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_family_member_user_id"), ["user_id"], unique=False)

    op.create_table(
        "signup_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("per_member_limit", sa.Integer(), nullable=True),
        sa.Column("waitlist", sa.Boolean(), nullable=False),
        sa.Column("families_together", sa.Boolean(), nullable=False),
        sa.Column("is_lottery", sa.Boolean(), nullable=False),
        sa.Column("lottery_at", luckyclub.models.base.UTCDateTime(), nullable=True),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("stopped_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('events', 'items')", name=op.f("ck_signup_list_kind")),
        sa.CheckConstraint(
            "status IN ('open', 'closed', 'stopped')", name=op.f("ck_signup_list_status")
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["app_user.id"],
            name=op.f("fk_signup_list_creator_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signup_list")),
    )
    with op.batch_alter_table("signup_list", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signup_list_creator_id"), ["creator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_signup_list_lottery_at"), ["lottery_at"], unique=False)

    op.create_table(
        "list_element",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("event_time", sa.Time(), nullable=True),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("spots", sa.Integer(), nullable=False),
        sa.Column("created_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["signup_list.id"],
            name=op.f("fk_list_element_list_id_signup_list"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_element")),
    )
    with op.batch_alter_table("list_element", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_list_element_list_id"), ["list_id"], unique=False)

    op.create_table(
        "lottery_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("element_id", sa.Integer(), nullable=False),
        sa.Column("family_member_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["element_id"],
            ["list_element.id"],
            name=op.f("fk_lottery_entry_element_id_list_element"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["family_member_id"],
            ["family_member.id"],
            name=op.f("fk_lottery_entry_family_member_id_family_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["signup_list.id"],
            name=op.f("fk_lottery_entry_list_id_signup_list"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_lottery_entry_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lottery_entry")),
        sa.UniqueConstraint(
            "element_id", "family_member_id", name=op.f("uq_lottery_entry_element_id")
        ),
    )
    with op.batch_alter_table("lottery_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lottery_entry_element_id"), ["element_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lottery_entry_family_member_id"), ["family_member_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_lottery_entry_list_id"), ["list_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lottery_entry_user_id"), ["user_id"], unique=False)

    op.create_table(
        "signup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("element_id", sa.Integer(), nullable=False),
        sa.Column("family_member_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("expires_at", luckyclub.models.base.UTCDateTime(), nullable=True),
        sa.Column("accept_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", luckyclub.models.base.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "source IN ('direct', 'lottery', 'waitlist')", name=op.f("ck_signup_source")
        ),
        sa.CheckConstraint("status IN ('pending', 'confirmed')", name=op.f("ck_signup_status")),
        sa.ForeignKeyConstraint(
            ["element_id"],
            ["list_element.id"],
            name=op.f("fk_signup_element_id_list_element"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["family_member_id"],
            ["family_member.id"],
            name=op.f("fk_signup_family_member_id_family_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["signup_list.id"],
            name=op.f("fk_signup_list_id_signup_list"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_signup_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signup")),
        sa.UniqueConstraint("accept_token", name=op.f("uq_signup_accept_token")),
        sa.UniqueConstraint("element_id", "family_member_id", name=op.f("uq_signup_element_id")),
    )
    with op.batch_alter_table("signup", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signup_element_id"), ["element_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_signup_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_signup_family_member_id"), ["family_member_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_signup_list_id"), ["list_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_signup_user_id"), ["user_id"], unique=False)

    op.create_table(
        "waitlist_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("element_id", sa.Integer(), nullable=False),
        sa.Column("family_member_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("created_at", luckyclub.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["element_id"],
            ["list_element.id"],
            name=op.f("fk_waitlist_entry_element_id_list_element"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["family_member_id"],
            ["family_member.id"],
            name=op.f("fk_waitlist_entry_family_member_id_family_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["signup_list.id"],
            name=op.f("fk_waitlist_entry_list_id_signup_list"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_waitlist_entry_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entry")),
        sa.UniqueConstraint(
            "element_id", "family_member_id", name=op.f("uq_waitlist_entry_element_id")
        ),
    )
    with op.batch_alter_table("waitlist_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_waitlist_entry_element_id"), ["element_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_waitlist_entry_family_member_id"), ["family_member_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_waitlist_entry_list_id"), ["list_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_waitlist_entry_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("draw", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parameters", sa.Text(), nullable=True))

    with op.batch_alter_table("draw_winner", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("element", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM role_grant WHERE scope = 'list' OR role = 'editor'"))
    _role_checks(ROLES, SCOPES)
    with op.batch_alter_table("draw_winner", schema=None) as batch_op:
        batch_op.drop_column("element")

    with op.batch_alter_table("draw", schema=None) as batch_op:
        batch_op.drop_column("parameters")

    with op.batch_alter_table("waitlist_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_waitlist_entry_user_id"))
        batch_op.drop_index(batch_op.f("ix_waitlist_entry_list_id"))
        batch_op.drop_index(batch_op.f("ix_waitlist_entry_family_member_id"))
        batch_op.drop_index(batch_op.f("ix_waitlist_entry_element_id"))

    op.drop_table("waitlist_entry")
    with op.batch_alter_table("signup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signup_user_id"))
        batch_op.drop_index(batch_op.f("ix_signup_list_id"))
        batch_op.drop_index(batch_op.f("ix_signup_family_member_id"))
        batch_op.drop_index(batch_op.f("ix_signup_expires_at"))
        batch_op.drop_index(batch_op.f("ix_signup_element_id"))

    op.drop_table("signup")
    with op.batch_alter_table("lottery_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lottery_entry_user_id"))
        batch_op.drop_index(batch_op.f("ix_lottery_entry_list_id"))
        batch_op.drop_index(batch_op.f("ix_lottery_entry_family_member_id"))
        batch_op.drop_index(batch_op.f("ix_lottery_entry_element_id"))

    op.drop_table("lottery_entry")
    with op.batch_alter_table("list_element", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_list_element_list_id"))

    op.drop_table("list_element")
    with op.batch_alter_table("signup_list", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signup_list_lottery_at"))
        batch_op.drop_index(batch_op.f("ix_signup_list_creator_id"))

    op.drop_table("signup_list")
    with op.batch_alter_table("family_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_member_user_id"))

    op.drop_table("family_member")
