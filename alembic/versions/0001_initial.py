"""initial schema: users, sessions, one-time tokens, login throttle, outbox, job runs, audit log

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:16:05.427620+00:00

How this file was made (while 0001 is the only revision, redo it this way when the models change):
    rm -f /tmp/luckyclub-gen.db alembic/versions/0001_initial.py
    .venv/bin/alembic -x url=sqlite:////tmp/luckyclub-gen.db \
        revision --autogenerate --rev-id 0001 -m initial
then reviewed and edited by hand:
- every constraint has an explicit name following one convention, so later migrations (and SQLite
  batch mode, which cannot drop an unnamed constraint) can refer to it on both backends:
      pk_<table>, uq_<table>_<column>, fk_<table>_<column>_<referred table>, ix_<table>_<column>
  (indexes already get these names from SQLAlchemy; the others are unnamed in luckyclub.models);
- indexes are created with plain op.create_index (autogenerate wraps them in batch_alter_table for
  SQLite, which is not needed on a table that was just created);
- no server defaults: Python-side defaults (default=..., default_factory=utcnow) stay in the models
  and are deliberately not frozen into the schema;
- downgrade drops every table (with its indexes and constraints), children before parents.
tests/db/test_migrations.py checks that `upgrade head` gives exactly the models' schema
(alembic.autogenerate.compare_metadata finds no difference) on SQLite and PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import luckyclub.models

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("email_verified_at", luckyclub.models.UTCDateTime(), nullable=True),
        sa.Column("banned_at", luckyclub.models.UTCDateTime(), nullable=True),
        sa.Column("ban_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", luckyclub.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_app_user"),
        sa.UniqueConstraint("email", name="uq_app_user_email"),
    )

    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("started_at", luckyclub.models.UTCDateTime(), nullable=False),
        sa.Column("finished_at", luckyclub.models.UTCDateTime(), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_job_run"),
    )
    op.create_index("ix_job_run_job", "job_run", ["job"], unique=False)

    op.create_table(
        "login_throttle",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", luckyclub.models.UTCDateTime(), nullable=True),
        sa.Column("last_failure_at", luckyclub.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttle"),
    )

    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to_address", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("template", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", luckyclub.models.UTCDateTime(), nullable=False),
        sa.Column("locked_until", luckyclub.models.UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", luckyclub.models.UTCDateTime(), nullable=False),
        sa.Column("sent_at", luckyclub.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_message"),
    )
    op.create_index(
        "ix_outbox_message_next_attempt_at", "outbox_message", ["next_attempt_at"], unique=False
    )
    op.create_index("ix_outbox_message_status", "outbox_message", ["status"], unique=False)
    op.create_index("ix_outbox_message_to_address", "outbox_message", ["to_address"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("target_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("target_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("created_at", luckyclub.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name="fk_audit_log_actor_id_app_user"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_actor_id", "audit_log", ["actor_id"], unique=False)

    op.create_table(
        "auth_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", luckyclub.models.UTCDateTime(), nullable=False),
        sa.Column("expires_at", luckyclub.models.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", luckyclub.models.UTCDateTime(), nullable=True),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("client_ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name="fk_auth_session_user_id_app_user"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_auth_session"),
        sa.UniqueConstraint("token_hash", name="uq_auth_session_token_hash"),
    )
    op.create_index("ix_auth_session_user_id", "auth_session", ["user_id"], unique=False)

    op.create_table(
        "one_time_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", luckyclub.models.UTCDateTime(), nullable=False),
        sa.Column("expires_at", luckyclub.models.UTCDateTime(), nullable=False),
        sa.Column("used_at", luckyclub.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name="fk_one_time_token_user_id_app_user"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_one_time_token"),
        sa.UniqueConstraint("token_hash", name="uq_one_time_token_token_hash"),
    )
    op.create_index("ix_one_time_token_user_id", "one_time_token", ["user_id"], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints with it; tables that reference app_user
    # go first.
    op.drop_table("one_time_token")
    op.drop_table("auth_session")
    op.drop_table("audit_log")
    op.drop_table("outbox_message")
    op.drop_table("login_throttle")
    op.drop_table("job_run")
    op.drop_table("app_user")
