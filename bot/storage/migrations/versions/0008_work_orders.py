"""work orders, their moves, the shop webhook outbox and applied callbacks (issue 18)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_orders",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("reference", sa.String(32), nullable=False, unique=True),
        sa.Column("complaint_id", sa.String(32), sa.ForeignKey("complaints.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("team", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("remedy", sa.String(16), nullable=True),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("address", sa.String(1024), nullable=True),
        sa.Column("address_masked", sa.String(128), nullable=True),
        sa.Column("failure_reason", sa.String(2048), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_work_orders_complaint_id", "work_orders", ["complaint_id"])
    op.create_index("ix_work_orders_state_due", "work_orders", ["state", "due_at"])
    op.create_table(
        "work_order_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("work_order_id", sa.String(32), sa.ForeignKey("work_orders.id"), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("note", sa.String(2048), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("customer_text", sa.Text(), nullable=True),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_work_order_events_work_order_id", "work_order_events", ["work_order_id"])
    op.create_index("ix_work_order_events_unnotified", "work_order_events", ["notified_at"])
    op.create_table(
        "shop_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("work_order_id", sa.String(32), sa.ForeignKey("work_orders.id"), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("payload", sa.String(8192), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(256), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_shop_events_work_order_id", "shop_events", ["work_order_id"])
    op.create_index("ix_shop_events_status", "shop_events", ["status", "id"])
    op.create_table(
        "shop_callbacks",
        sa.Column("callback_id", sa.String(64), primary_key=True),
        sa.Column("work_order_id", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("shop_callbacks")
    op.drop_table("shop_events")
    op.drop_table("work_order_events")
    op.drop_table("work_orders")
