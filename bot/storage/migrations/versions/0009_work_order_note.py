"""a work order's note for the team, edited from the back-office page (issue 18); the encrypted
address, failure reason and event note widened so their longest allowed values fit on PostgreSQL
(200 four-byte characters encrypt to ~1,160 characters, 500 to ~2,800)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 19:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.add_column(sa.Column("team_note", sa.String(4096), nullable=True))  # encrypted
        batch.alter_column("address", type_=sa.String(2048), existing_type=sa.String(1024), existing_nullable=True)
        batch.alter_column("failure_reason", type_=sa.String(4096), existing_type=sa.String(2048),
                           existing_nullable=True)
    with op.batch_alter_table("work_order_events") as batch:
        batch.alter_column("note", type_=sa.String(4096), existing_type=sa.String(2048), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("work_order_events") as batch:
        batch.alter_column("note", type_=sa.String(2048), existing_type=sa.String(4096), existing_nullable=True)
    with op.batch_alter_table("work_orders") as batch:
        batch.alter_column("failure_reason", type_=sa.String(2048), existing_type=sa.String(4096),
                           existing_nullable=True)
        batch.alter_column("address", type_=sa.String(1024), existing_type=sa.String(2048), existing_nullable=True)
        batch.drop_column("team_note")
