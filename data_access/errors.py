"""Errors the data layer raises with a message fit to show a user (Chinese first)."""


class DataAccessError(Exception):
    """A failure whose message is complete, in Chinese, and safe to show as one line."""

    def __init__(self, message_zh: str, message_en: str | None = None):
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.message_en = message_en or message_zh


class SchemaTooNewError(DataAccessError):
    """The database was migrated by a newer version of this program."""


class DatabaseUnreachableError(DataAccessError):
    """The configured database does not answer."""
