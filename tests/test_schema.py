"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import data_access.schema.accounts  # noqa: F401 - registers its tables on Base.metadata
import data_access.schema.decisions  # noqa: F401
import data_access.schema.aggregates  # noqa: F401
import data_access.schema.summaries  # noqa: F401
from data_access.schema import migrate
from data_access.schema.models import Base


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert migrate.check_schema(engine) == "current"
    assert migrate.current_revision(engine) == migrate.head_revision()
