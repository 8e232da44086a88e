"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import data_access.auth_models  # noqa: F401 - registers its tables on Base.metadata
import data_access.decision_models  # noqa: F401
from data_access import schema
from data_access.models import Base


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert schema.check_schema(engine) == "current"
    assert schema.current_revision(engine) == schema.head_revision()
