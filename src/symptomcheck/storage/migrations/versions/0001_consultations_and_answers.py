"""Consultations and their answers.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consultations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("age", sa.SmallInteger(), nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("complaint", sa.String(16), nullable=False),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.Column("triage_level", sa.String(32), nullable=False),
        sa.Column("creation_key", sa.String(200), nullable=True, unique=True),
    )
    op.create_index("ix_consultations_updated", "consultations", ["updated"])
    op.create_table(
        "answers",
        sa.Column(
            "consultation_id",
            sa.String(64),
            sa.ForeignKey("consultations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("turn", sa.Integer(), primary_key=True),
        sa.Column("evidence", sa.String(16), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("answer_values", sa.Text(), nullable=False),
        sa.Column("answered", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("answers")
    op.drop_index("ix_consultations_updated", table_name="consultations")
    op.drop_table("consultations")
