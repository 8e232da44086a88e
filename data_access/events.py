"""One log line per event: imports, approvals, login failures, errors, backups, schema upgrades.

Each line is ``event=NAME key=value ...`` on the logger ``kpi.events`` (to stderr, so under systemd
into the journal; or to the file KPI_LOG_FILE). Only names, codes, ids and counts go in:

| key | what | how it is kept safe |
|---|---|---|
| event | one of EVENTS | unknown names are refused (ValueError), so a typo cannot hide an event |
| user | the user name (never a display name) | letters, digits, ``_.@-`` only, at most 64 characters |
| unit | the unit code (410423) | the same |
| batch | an import batch id | an integer |
| reason | a short code from the caller (``bad_password``, ``locked``, ``SchemaTooNewError``) | an identifier, at most 40 characters |
| any other key | a count of rows (``rows=34 new=30 changed=4``) | an integer, never a float: figures are not counts; no key names a password, token, secret or value |

Never in a line: a figure, a password or a token, a file's content, free text typed by a user. A
value that does not fit its rule is replaced by ``?`` rather than logged.
"""
from __future__ import annotations

import logging
import re
import sys
from typing import Final

LOGGER_NAME: Final = "kpi.events"
EVENTS: Final = frozenset({
    "import",            # an import written (pending or approved)
    "import_rejected",   # an upload refused by validation (counts of bad rows only)
    "approval",          # a batch approved
    "return",            # a batch returned to its reporter
    "withdraw",          # a batch withdrawn
    "login",             # a successful login
    "login_failure",     # a failed login (reason: unknown_user, bad_password, locked, ...)
    "logout",
    "error",             # an unexpected error (reason: the exception class name)
    "backup", "restore", "schema_backup", "schema_upgrade",
    "health_failure",    # /healthz answered 503 (reason: unreachable, schema_missing, ...)
})
_NAME = re.compile(r"[A-Za-z0-9_.@\-]{1,64}")
_REASON = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,39}")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")
_RESERVED: Final = frozenset({"event", "user", "unit", "batch", "reason"})
_NOT_COUNTS: Final = ("pass", "token", "secret", "key", "value", "figure")  # never a key of a count

_configured = False


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time of each line (tests and the CLI swap it)."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def logger() -> logging.Logger:
    """The events logger, with its one handler (stderr, or KPI_LOG_FILE) attached on first use."""
    global _configured
    log = logging.getLogger(LOGGER_NAME)
    if not _configured:
        _configured = True
        if not log.handlers:
            from data_access import settings

            path = settings.get().log_file
            handler: logging.Handler = _Stderr()
            if path:
                try:
                    handler = logging.FileHandler(path, encoding="utf-8")
                except OSError as exc:  # an event log must never stop the work it records
                    print(f"注意：无法写入事件日志 {path}（{exc.strerror}），改写到标准错误。", file=sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
            log.addHandler(handler)
            log.propagate = False
        if log.level == logging.NOTSET:
            log.setLevel(logging.INFO)
    return log


def _name(value: object) -> str:
    text = str(value)
    return text if _NAME.fullmatch(text) else "?"


def _count(value: object) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "?"


def format_event(event: str, *, user: object = None, unit: object = None, batch: object = None,
                 reason: object = None, **counts: object) -> str:
    """The one line for an event (without time and level); see the module's table for the rules."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    parts = [f"event={event}"]
    if user is not None:
        parts.append(f"user={_name(user)}")
    if unit is not None:
        parts.append(f"unit={_name(unit)}")
    if batch is not None:
        parts.append(f"batch={_count(batch)}")
    if reason is not None:
        text = str(reason)
        parts.append(f"reason={text if _REASON.fullmatch(text) else '?'}")
    for key, value in counts.items():
        if key in _RESERVED or not _KEY.fullmatch(key) or any(w in key for w in _NOT_COUNTS):
            raise ValueError(f"bad event key {key!r}")
        parts.append(f"{key}={_count(value)}")
    return " ".join(parts)


def log(event: str, *, user: object = None, unit: object = None, batch: object = None,
        reason: object = None, level: int = logging.INFO, **counts: object) -> str:
    """Write one event line and return it. Never raises for a value (a bad one is logged as ``?``);
    raises ValueError only for an unknown event name or key (a programming error)."""
    line = format_event(event, user=user, unit=unit, batch=batch, reason=reason, **counts)
    logger().log(level, line)
    return line


def error(exc: BaseException, *, user: object = None, where: str | None = None) -> str:
    """One line for an unexpected error: the exception's class name only (its message may hold
    figures or SQL with values), prefixed by where it happened (an identifier such as ``cli.import``)."""
    reason = type(exc).__name__ if where is None else f"{where}.{type(exc).__name__}"
    return log("error", user=user, reason=reason[:40], level=logging.ERROR)
