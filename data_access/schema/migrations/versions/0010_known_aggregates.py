"""progress_known, membership_known, aggregate_state: the maintained aggregates of the versioned
figures (data_access.kpis.aggregates): which version was the known figure in which interval, so a
cold page reads a small indexed table instead of ranking every version. Created empty; they are read
only after `python -m data_access aggregates rebuild` (or the sample loader) filled them

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _interval_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("known_from", sa.DateTime(), nullable=False),
        sa.Column("known_until", sa.DateTime(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "progress_known",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        *_interval_columns(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_progress_known_read", "progress_known", ["target_id", "period_end", "unit_code"])
    op.create_table(
        "membership_known",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("industry", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        *_interval_columns(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_membership_known_read", "membership_known", ["month", "unit_code"])
    op.create_table(
        "aggregate_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("rebuilt_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("aggregate_state")
    op.drop_index("ix_membership_known_read", table_name="membership_known")
    op.drop_table("membership_known")
    op.drop_index("ix_progress_known_read", table_name="progress_known")
    op.drop_table("progress_known")
