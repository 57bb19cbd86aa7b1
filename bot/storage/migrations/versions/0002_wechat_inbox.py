"""wechat inbox for de-duplication and the 48-hour window

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_inbox",
        sa.Column("dedupe_key", sa.String(length=128), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("dedupe_key"),
    )
    op.create_index("ix_wechat_inbox_openid", "wechat_inbox", ["openid"])


def downgrade() -> None:
    op.drop_index("ix_wechat_inbox_openid", table_name="wechat_inbox")
    op.drop_table("wechat_inbox")
