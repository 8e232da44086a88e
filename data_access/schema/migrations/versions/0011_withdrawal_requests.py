"""import_batches: a withdrawal of an approved batch is a request a second person approves
(withdraw_requested_by / _at / withdraw_reason while it waits; withdrawn_by, who approved it)

Revision ID: 0011
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = (
    ("withdraw_requested_by", sa.String(64)),
    ("withdraw_requested_at", sa.DateTime()),
    ("withdraw_reason", sa.Text()),
    ("withdrawn_by", sa.String(64)),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("import_batches", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+ too): batch mode would copy import_batches,
    # which the figures' foreign keys forbid on SQLite.
    for name, _type in reversed(COLUMNS):
        op.drop_column("import_batches", name)
