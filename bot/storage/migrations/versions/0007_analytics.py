"""indexes for the supervisor analytics (issue 9)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 10:00:00
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (name, table, columns): the same indexes are declared on the models (bot/storage/models.py).
INDEXES = [
    ("ix_complaints_channel_created", "complaints", ["channel", "created_at"]),
    ("ix_complaints_type_created", "complaints", ["type", "created_at"]),
    ("ix_handoffs_complaint_id", "handoffs", ["complaint_id"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
