"""The request an Idempotency-Key came with (its SHA-256), so that a key reused with another request is refused.

Keys were stored before as a SHA-256 of the key together with its request, and are now stored as a SHA-256 of
the key alone beside the request's digest. Rows written before keep their old key hashes, which no new
request matches: a retry that straddles the upgrade starts a new consultation (keys live for a retry's few
seconds, so this costs at most one duplicate per request in flight during the upgrade).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a nullable column with no default: a plain ADD COLUMN on SQLite and PostgreSQL, no table rebuild
    op.add_column("consultations", sa.Column("creation_request", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consultations") as batch:
        batch.drop_column("creation_request")
