"""Who a consultation is for: the person answering ('self'), their child ('child') or another adult ('adult').

Every consultation stored before was for the person answering, so the column is added with the default
'self' and nothing already stored changes meaning. A NOT NULL column with a constant default is a plain
ADD COLUMN on SQLite and a metadata-only change on PostgreSQL (11+): no table rewrite.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "consultations",
        sa.Column("subject", sa.String(8), nullable=False, server_default=sa.text("'self'")),
    )


def downgrade() -> None:
    with op.batch_alter_table("consultations") as batch:
        batch.drop_column("subject")
