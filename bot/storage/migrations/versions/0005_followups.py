"""follow-up delivery state, CSAT, SLA breaches, the durable outbox, the local SMS outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("follow_ups") as batch:
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("messages", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("sent_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("sent_via", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("reminded_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("answered_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("last_error", sa.String(length=256), nullable=True))
    op.create_table(
        "csat",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("complaint_id", sa.String(length=32), nullable=False),
        sa.Column("follow_up_id", sa.String(length=32), nullable=True),
        sa.Column("solved", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=4096), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"]),
        sa.ForeignKeyConstraint(["follow_up_id"], ["follow_ups.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_csat_complaint_id", "csat", ["complaint_id"])
    op.create_table(
        "sla_breaches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=32), nullable=False),
        sa.Column("from_level", sa.Integer(), nullable=False),
        sa.Column("to_level", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "target_id", "due_at"),
    )
    op.create_index("ix_sla_breaches_target_id", "sla_breaches", ["target_id"])
    op.create_index("ix_sla_breaches_at", "sla_breaches", ["at"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_pending", "outbox", ["sender_id", "delivered_at"])
    op.create_index("ix_outbox_claim_token", "outbox", ["claim_token"])
    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("phone", sa.String(length=512), nullable=False),
        sa.Column("phone_masked", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=2048), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("sms_outbox")
    op.drop_table("outbox")
    op.drop_table("sla_breaches")
    op.drop_table("csat")
    with op.batch_alter_table("follow_ups") as batch:
        for column in ("last_error", "answered_at", "reminded_at", "sent_via", "sent_at", "messages",
                       "claimed_at", "claimed_by", "next_attempt_at"):
            batch.drop_column(column)
