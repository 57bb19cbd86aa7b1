"""a lease on a WeChat push's turn: a retry takes over a push whose process died (issue 19)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wechat_inbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wechat_inbox") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
