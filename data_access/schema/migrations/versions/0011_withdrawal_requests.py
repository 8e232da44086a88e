"""import_batches: a withdrawal of an approved batch is a request a second person approves
(withdraw_requested_by / _at / withdraw_reason while it waits; withdrawn_by, who approved it)

Revision ID: 0011
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0009"  # the lead rechains after 0010
branch_labels = None
depends_on = None

COLUMNS = (
    ("withdraw_requested_by", sa.String(64)),
    ("withdraw_requested_at", sa.DateTime()),
    ("withdraw_reason", sa.Text()),
    ("withdrawn_by", sa.String(64)),
)


def upgrade() -> None:
    with op.batch_alter_table("import_batches") as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_batches") as batch_op:
        for name, _type in reversed(COLUMNS):
            batch_op.drop_column(name)
