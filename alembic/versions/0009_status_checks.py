"""status checks: every status, role, purpose, channel and kind column holds only known values

Written by hand. The values were plain strings anywhere in the code; they are StrEnums now, and the
database refuses a value that is not one of them (a CHECK per column, named ck_<table>_<column>).
SQLite rebuilds each table to add its checks (batch mode); the data is kept.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 06:00:00+00:00

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values each column may hold at this revision, written out: a migration must not change when
# the enums in luckyclub/models.py grow later (the next one that adds a value changes its CHECK).
CHECKS = {
    "app_user": {
        "role": ("member", "admin"),
    },
    "one_time_token": {
        "purpose": ("login", "verify_email", "reset_password"),
    },
    "outbox_message": {
        "status": ("pending", "sent", "failed"),
        "channel": ("email", "klaviyo", "sms"),
    },
    "role_grant": {
        "role": ("moderator",),
        "scope": ("program",),
    },
    "raffle": {
        "status": ("draft", "open", "closed"),
    },
    "entry_ledger": {
        "source": (
            "base",
            "proof",
            "bonus",
            "admin",
            "watchtime",
            "gifted_sub",
            "wager",
            "carry_over",
            "correction",
        ),
    },
    "membership": {
        "status": ("active", "lapsed"),
    },
    "proof_upload": {
        "status": ("pending", "approved", "rejected"),
    },
    "draw": {
        "status": ("scheduled", "closed", "waiting_for_beacon", "drawn", "void"),
        "trigger": ("scheduled", "admin", "manual_override"),
        "kind": ("weighted", "tickets", "lottery"),
    },
    "draw_winner": {
        "status": ("notified", "contacted", "delivered", "replaced"),
    },
    "competition": {
        "status": ("draft", "active", "drawn", "cancelled"),
    },
    "ticket_order": {
        "status": ("pending", "paid", "expired", "refund_due", "refunded", "postal"),
    },
    "ticket": {
        "status": ("active", "refunded", "void"),
    },
}


def upgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                listed = ", ".join(f"'{value}'" for value in values)
                batch_op.create_check_constraint(
                    batch_op.f(f"ck_{table}_{column}"), f"{column} IN ({listed})"
                )


def downgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(batch_op.f(f"ck_{table}_{column}"), type_="check")
