"""a work order's note for the team, edited from the back-office page (issue 18)

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
        batch.add_column(sa.Column("team_note", sa.String(2048), nullable=True))  # encrypted (EncryptedText)


def downgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_column("team_note")
