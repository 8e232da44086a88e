"""facilities / union_orgs: versions of an entry (replaces_id, superseded_at), so an approved change
to a care station or a union no longer rewrites what past dates show

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("facilities", "union_orgs")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column("superseded_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("superseded_at")
            batch_op.drop_column("replaces_id")
