"""registry_changes: pending registry changes in their own table, no longer audit rows whose action
was "planned:<batch>" / "applied:<batch>" / "reverted:<batch>"; those audit rows become plain records
(action plan / update / revert, the batch id in `after`); and withdrawn_at cleared on batches that
were withdrawn without ever being approved (a returned file withdrawn later counted, in views as of
the days between its return and its withdrawal)

Revision ID: 0007
Revises: 0006
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

REGISTRIES = ("facilities", "union_orgs")
OLD_TO_NEW = {"planned": "plan", "applied": "update", "reverted": "revert"}

audit = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("at", sa.DateTime),
                 sa.column("actor", sa.String), sa.column("action", sa.String), sa.column("entity", sa.String),
                 sa.column("entity_id", sa.String), sa.column("before", sa.Text), sa.column("after", sa.Text))
changes = sa.table("registry_changes", sa.column("id", sa.Integer), sa.column("batch_id", sa.Integer),
                   sa.column("kind", sa.String), sa.column("entry_id", sa.Integer), sa.column("before", sa.Text),
                   sa.column("after", sa.Text), sa.column("planned_at", sa.DateTime),
                   sa.column("applied_id", sa.Integer), sa.column("applied_at", sa.DateTime),
                   sa.column("reverted_at", sa.DateTime))


def _registry(name: str) -> sa.TableClause:
    return sa.table(name, sa.column("id", sa.Integer), sa.column("replaces_id", sa.Integer))


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def upgrade() -> None:
    op.create_table(
        "registry_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("planned_at", sa.DateTime(), nullable=False),
        sa.Column("applied_id", sa.Integer(), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("reverted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batches.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_registry_changes_batch_id", "registry_changes", ["batch_id"])
    op.create_index("ix_registry_changes_entry_id", "registry_changes", ["entry_id"])
    bind = op.get_bind()
    old = bind.execute(sa.select(audit).where(
        audit.c.entity.in_(REGISTRIES),
        sa.or_(*[audit.c.action.like(f"{verb}:%") for verb in OLD_TO_NEW])).order_by(audit.c.id)).all()
    for row in old:  # in the order written: a change is planned before it is applied or reverted
        verb, batch = row.action.split(":", 1)
        batch_id, entity_id = int(batch), int(row.entity_id)
        if verb == "planned":
            bind.execute(sa.insert(changes).values(
                batch_id=batch_id, kind=row.entity, entry_id=entity_id, before=row.before or "{}",
                after=row.after or "{}", planned_at=row.at))
        else:  # the version written (applied) or restored (reverted) replaces the one it follows
            entries = _registry(row.entity)
            replaced = bind.execute(sa.select(entries.c.replaces_id).where(entries.c.id == entity_id)).scalar()
            match = [changes.c.batch_id == batch_id, changes.c.kind == row.entity]
            if verb == "applied":
                bind.execute(sa.update(changes).where(*match, changes.c.entry_id == replaced)
                             .values(applied_id=entity_id, applied_at=row.at))
            else:
                bind.execute(sa.update(changes).where(*match, changes.c.applied_id == replaced)
                             .values(reverted_at=row.at))
        after = {**json.loads(row.after or "{}"), "batch_id": batch_id}
        before = None if row.before is None else _dump(json.loads(row.before))
        bind.execute(sa.update(audit).where(audit.c.id == row.id).values(
            action=OLD_TO_NEW[verb], before=before, after=_dump(after)))
    _clear_withdrawn_at_of_never_approved(bind)


def _clear_withdrawn_at_of_never_approved(bind: sa.Connection) -> None:
    """The old withdraw() stamped withdrawn_at on any batch; its audit entry says what state the
    batch was withdrawn from."""
    batches = sa.table("import_batches", sa.column("id", sa.Integer), sa.column("withdrawn_at", sa.DateTime))
    for entity_id, before in bind.execute(sa.select(audit.c.entity_id, audit.c.before).where(
            audit.c.entity == "import_batches", audit.c.action == "withdraw")).all():
        if json.loads(before or "{}").get("status") != "approved":
            bind.execute(sa.update(batches).where(batches.c.id == int(entity_id)).values(withdrawn_at=None))


def downgrade() -> None:
    bind = op.get_bind()
    new_to_old = {v: k for k, v in OLD_TO_NEW.items()}
    rows = bind.execute(sa.select(audit).where(audit.c.entity.in_(REGISTRIES),
                                               audit.c.action.in_(list(new_to_old)))).all()
    for row in rows:
        after = json.loads(row.after or "{}")
        if "batch_id" not in after:
            continue
        batch_id = after.pop("batch_id")
        if row.action == "plan":  # rewritten below from the table, which also holds later plans
            bind.execute(sa.delete(audit).where(audit.c.id == row.id))
            continue
        bind.execute(sa.update(audit).where(audit.c.id == row.id).values(
            action=f"{new_to_old[row.action]}:{batch_id}", after=json.dumps(after, ensure_ascii=False)))
    for c in bind.execute(sa.select(changes).order_by(changes.c.id)).all():
        bind.execute(sa.insert(audit).values(at=c.planned_at, actor="migration", action=f"planned:{c.batch_id}",
                                             entity=c.kind, entity_id=str(c.entry_id), before=c.before,
                                             after=c.after))
    op.drop_table("registry_changes")  # its indexes with it (MariaDB keeps one for the foreign key)
