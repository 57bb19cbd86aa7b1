"""a shop login token is bound to the first conversation that presents it (issue 20)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 22:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shop_token_uses",
        sa.Column("token_digest", sa.String(length=64), primary_key=True),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("bound_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_shop_token_uses_expires_at", "shop_token_uses", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_shop_token_uses_expires_at", table_name="shop_token_uses")
    op.drop_table("shop_token_uses")
