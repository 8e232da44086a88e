"""targets.retired, projects.retired: a target or project taken out of its plan year (admin page)
leaves that year's pages, exports and templates while its rows and reported figures stay

Revision ID: 0012
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("projects", "targets")


def upgrade() -> None:
    # plain ALTER TABLE (not batch mode): SQLite adds a NOT NULL column with a constant default in
    # place, where recreating `projects` would trip the foreign keys of the rows pointing at it
    for table in TABLES:
        op.add_column(table, sa.Column("retired", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_column(table, "retired")
