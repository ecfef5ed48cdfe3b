"""WeChat conversations (keyed by a hash of the OpenID) and the replies sent, for de-duplication.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_conversations",
        sa.Column("openid_hash", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(24), nullable=False),
        sa.Column(
            "consultation_id",
            sa.String(64),
            sa.ForeignKey("consultations.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_wechat_conversations_updated", "wechat_conversations", ["updated"])
    op.create_index("ix_wechat_conversations_consultation_id", "wechat_conversations", ["consultation_id"])
    op.create_table(
        "wechat_messages",
        sa.Column("openid_hash", sa.String(64), primary_key=True),
        sa.Column("message_key", sa.String(64), primary_key=True),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_wechat_messages_created", "wechat_messages", ["created"])


def downgrade() -> None:
    op.drop_index("ix_wechat_messages_created", table_name="wechat_messages")
    op.drop_table("wechat_messages")
    op.drop_index("ix_wechat_conversations_consultation_id", table_name="wechat_conversations")
    op.drop_index("ix_wechat_conversations_updated", table_name="wechat_conversations")
    op.drop_table("wechat_conversations")
