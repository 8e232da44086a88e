"""fact_sums, fact_weeks, fact_city_days, known_days, summary_state: the facts pre-summed per target, unit and day as known now
(data_access.kpis.summaries), so a cold page of today's view reads a small table. Created empty and
not read until `python -m data_access aggregates rebuild` (or the sample loader, or a restore)
filled them for the current data version

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fact_sums",
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("target_id", "unit_code", "day"),
    )
    op.create_index("ix_fact_sums_read", "fact_sums", ["target_id", "due", "unit_code"])
    op.create_table(
        "fact_weeks",
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("week_end", sa.Date(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("target_id", "unit_code", "week_end"),
    )
    op.create_index("ix_fact_weeks_read", "fact_weeks", ["target_id", "week_end", "unit_code"])
    op.create_table(
        "fact_city_days",
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("target_id", "day"),
    )
    op.create_index("ix_fact_city_days_read", "fact_city_days", ["target_id", "due"])
    op.create_table(
        "known_days",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=12), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("became", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("year", "unit_code", "due"),
    )
    op.create_index("ix_known_days_latest", "known_days", ["year", "became"])
    op.create_table(
        "summary_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=True),
        sa.Column("rebuilt_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("summary_state")
    op.drop_index("ix_known_days_latest", table_name="known_days")
    op.drop_table("known_days")
    op.drop_index("ix_fact_city_days_read", table_name="fact_city_days")
    op.drop_table("fact_city_days")
    op.drop_index("ix_fact_weeks_read", table_name="fact_weeks")
    op.drop_table("fact_weeks")
    op.drop_index("ix_fact_sums_read", table_name="fact_sums")
    op.drop_table("fact_sums")
