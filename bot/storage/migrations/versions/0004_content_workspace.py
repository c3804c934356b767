"""The content editors' workspace: the editor role, content file versions and insight counts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_constraint(op.f("ck_staff_users_role"), type_="check")
        batch.create_check_constraint(op.f("ck_staff_users_role"), "role IN ('staff', 'editor', 'admin')")
    op.create_table(
        "content_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_versions")),
    )
    op.create_index(op.f("ix_content_versions_file"), "content_versions", ["file"], unique=False)
    op.create_index(op.f("ix_content_versions_at"), "content_versions", ["at"], unique=False)
    op.create_table(
        "insight_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("day", "topic", "step", "event", name=op.f("pk_insight_counts")),
    )
    op.create_table(
        "insight_seen",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_insight_seen")),
    )
    op.create_index(op.f("ix_insight_seen_day"), "insight_seen", ["day"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_insight_seen_day"), table_name="insight_seen")
    op.drop_table("insight_seen")
    op.drop_table("insight_counts")
    op.drop_index(op.f("ix_content_versions_at"), table_name="content_versions")
    op.drop_index(op.f("ix_content_versions_file"), table_name="content_versions")
    op.drop_table("content_versions")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_constraint(op.f("ck_staff_users_role"), type_="check")
        batch.create_check_constraint(op.f("ck_staff_users_role"), "role IN ('staff', 'admin')")
