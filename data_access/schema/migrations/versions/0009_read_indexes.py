"""Indexes where the plans showed scans: import_batches (status, reviewed_at) for the "which batches
count" subquery every figure runs; audit_log (entity, entity_id) for one entity's history; the
registries (unit_code, name) for matching an upload's entries

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_batches_status_reviewed", "import_batches", ["status", "reviewed_at"]),
    ("ix_audit_entity", "audit_log", ["entity", "entity_id"]),
    ("ix_facility_unit_name", "facilities", ["unit_code", "name"]),
    ("ix_union_unit_name", "union_orgs", ["unit_code", "name"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
