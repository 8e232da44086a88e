"""Every setting of the dashboard, read in one place into one typed object.

Sources, first wins: the process environment (``KPI_*``), then ``.streamlit/secrets.toml`` (the
project's, or the one beside the entrypoint), then the defaults below. A bad value stops the start
with one Chinese line naming the variable (``SettingsError``), not a traceback.

| field | environment | secrets.toml | default |
|---|---|---|---|
| database_url | KPI_DATABASE_URL | [database] url | SQLite file data/kpi.sqlite3 in the checkout |
| timezone | KPI_TIMEZONE | timezone | Asia/Shanghai (the organisation's "now") |
| cache_ttl | KPI_CACHE_TTL | cache_ttl | 21600 (a safety limit in seconds: cached figures are keyed by the data's version and live until a change) |
| auth_mode | KPI_AUTH_MODE | auth_mode | builtin; none on the bundled sample data |
| proxy_user_key, proxy_logout_url | KPI_PROXY_USER_KEY, KPI_PROXY_LOGOUT_URL | same names | none |
| oidc_user_claim, oidc_provider | KPI_OIDC_USER_CLAIM, KPI_OIDC_PROVIDER | same names | email, none |
| cookie_secure | KPI_COOKIE_SECURE | cookie_secure | auto (https or X-Forwarded-Proto) |
| login_max_failures, login_lock_minutes | KPI_LOGIN_MAX_FAILURES, KPI_LOGIN_LOCK_MINUTES | same | 5, 15 |
| session_hours, session_idle_minutes | KPI_SESSION_HOURS, KPI_SESSION_IDLE_MINUTES | same | 12, 120 |
| reporter_view | KPI_REPORTER_VIEW | reporter_view | city (county reporters see the city) |
| cjk_font | KPI_CJK_FONT | cjk_font | the system's Noto Sans CJK |
| map_tile_url | KPI_MAP_TILE_URL | [map] tile_url | none (no basemap) |
| boundary_file | KPI_BOUNDARY_FILE | boundary_file | sample_data/geo/pingdingshan_counties.geojson (read by data_access/geo.py) |
| cli_user | KPI_USER | — | the operating-system user (who the command line acts as) |
| backup_dir | KPI_BACKUP_DIR | backup_dir | backups/ beside the SQLite file (where `init` keeps its pre-upgrade copy) |
| log_file | KPI_LOG_FILE | log_file | none: event lines go to stderr (under systemd, the journal) |
| allow_self_approval | KPI_ALLOW_SELF_APPROVAL | allow_self_approval | false: a change of figures needs two people (whoever uploaded a file or asked to withdraw a batch cannot approve it); true for an office with a single administrator |
"""
from __future__ import annotations

import functools
import os
import tomllib
import zoneinfo
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from data_access.errors import DataAccessError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT / "data"
DATABASE_ENV = "KPI_DATABASE_URL"
SECRETS_FILES = (ROOT / ".streamlit" / "secrets.toml", ROOT / "dashboard" / ".streamlit" / "secrets.toml")


class SettingsError(DataAccessError):
    """A setting with a value the dashboard cannot use; the message names the variable."""


def _secrets() -> dict[str, Any]:
    """The flattened secrets.toml: top-level keys, plus [database] url and [map] tile_url."""
    out: dict[str, Any] = {}
    for path in SECRETS_FILES:
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"无法读取设置文件 {path}：{exc}", f"Cannot read the settings file {path}: {exc}")
        for key, value in data.items():
            if not isinstance(value, dict):
                out.setdefault(key, value)
        out.setdefault("database_url", (data.get("database") or {}).get("url"))
        out.setdefault("map_tile_url", (data.get("map") or {}).get("tile_url"))
    return {k: v for k, v in out.items() if v not in (None, "")}


class _SecretsSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        names = set(self.settings_cls.model_fields)
        return {k: v for k, v in _secrets().items() if k in names}


class Settings(BaseSettings):
    """The typed settings object. Read it with `get()`; tests build one with keyword arguments."""

    model_config = SettingsConfigDict(env_prefix="KPI_", extra="ignore", frozen=True,
                                      str_strip_whitespace=True)

    database_url: str | None = None
    timezone: str = "Asia/Shanghai"
    cache_ttl: int = Field(default=21600, ge=1)
    auth_mode: str | None = None
    proxy_user_key: str | None = None
    proxy_logout_url: str | None = None
    oidc_user_claim: str = "email"
    oidc_provider: str | None = None
    cookie_secure: Literal["auto", "true", "false"] = "auto"
    login_max_failures: int = Field(default=5, ge=1)
    login_lock_minutes: int = Field(default=15, ge=1)
    session_hours: float = Field(default=12, gt=0)
    session_idle_minutes: int = Field(default=120, ge=1)
    reporter_view: Literal["city", "unit"] = "city"
    cjk_font: str | None = None
    map_tile_url: str | None = None
    boundary_file: Path = ROOT / "sample_data" / "geo" / "pingdingshan_counties.geojson"
    user: str | None = Field(default=None, description="KPI_USER: who the command line acts as")
    backup_dir: str | None = None
    log_file: str | None = None
    allow_self_approval: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("未知的时区（应如 Asia/Shanghai） / unknown time zone") from exc
        return value

    @field_validator("cookie_secure", "reporter_view", "auth_mode", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url", "auth_mode", "proxy_user_key", "proxy_logout_url", "oidc_provider",
                     "cjk_font", "map_tile_url", "user", "backup_dir", "log_file", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _SecretsSource(settings_cls)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def uses_embedded_default(self) -> bool:
        """True when no database was configured: the checkout's own SQLite file (the quick start)."""
        return self.database_url is None

    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL of the shared database (creating data/ for the default SQLite file)."""
        if self.database_url:
            return self.database_url
        DEFAULT_DATA_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DEFAULT_DATA_DIR / 'kpi.sqlite3'}"


def load(**overrides: Any) -> Settings:
    """Read the settings now; a bad value raises SettingsError with one line naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "KPI_" + str(err["loc"][0]).upper() if err.get("loc") else "KPI_*"
        value = err.get("input")
        ctx = err.get("ctx") or {}
        why = _WHY_ZH.get(err["type"], "{msg}").format(msg=err["msg"], **ctx)
        raise SettingsError(f"设置 {name} 的值“{value}”无效：{why}",
                            f"Setting {name} has an invalid value “{value}”: {err['msg']}") from None


_WHY_ZH = {
    "int_parsing": "应为整数（如 120）",
    "bool_parsing": "应为 true 或 false",
    "float_parsing": "应为数字（如 12 或 0.5）",
    "literal_error": "应为 {expected} 之一",
    "greater_than_equal": "应不小于 {ge}",
    "greater_than": "应大于 {gt}",
    "value_error": "{error}",
}


def get() -> Settings:
    """The settings in force: read again whenever a ``KPI_*`` environment variable changed (tests and
    the command line set them), otherwise the object read before."""
    return _cached(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("KPI_"))))


@functools.lru_cache(maxsize=8)
def _cached(_env: tuple[tuple[str, str], ...]) -> Settings:
    return load()


def reset() -> None:
    """Forget the settings read so far (a changed secrets.toml is read again)."""
    _cached.cache_clear()


def database_url() -> str:
    """The SQLAlchemy URL of the shared database (see `Settings.resolved_database_url`)."""
    return get().resolved_database_url()
