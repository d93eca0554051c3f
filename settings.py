"""Deployment settings: every value an operator may change, in one place.

Each setting is read from the environment or, when the environment does not set it, from a top-level
key of the same name in `.streamlit/secrets.toml` beside this file (the environment wins). Nothing
else in the product reads `os.environ` or `st.secrets` for a setting; docs/operations.md
("Settings") lists them all, and a test checks that the table and `SETTINGS` name the same ones.

No Streamlit here: `cli.py`, data/ and the app read the same values. `settings()` parses the secrets
file once per process and builds the settings once per distinct environment (tests change it).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROOT = Path(__file__).resolve().parent
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"


def _path(value: str) -> Path | None:
    return Path(value).expanduser().resolve() if value else None


def _database(value: str) -> Path | str | None:
    """A DuckDB file path, or a `postgresql://` URL kept as written (data/db.py opens either)."""
    if value.lower().startswith(("postgresql://", "postgres://")):
        return value
    return _path(value)


def _whole(minimum: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        number = int(value)
        if number < minimum:
            raise ValueError(f"must be at least {minimum}")
        return number

    return parse


def _seconds_from_ms(value: str) -> float:
    number = float(value)
    if not number >= 0:  # also refuses NaN
        raise ValueError("must be 0 or more")
    return number / 1000


def _text(value: str) -> str:
    return value


def _secret_text(value: str) -> str:
    if any(c in value for c in "\r\n"):
        raise ValueError("must be one line")
    return value


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value.lower() not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value.lower()

    return parse


def _port(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 65535:
        raise ValueError("must be a port number, 1 to 65535")
    return number


def _rate(value: str) -> float:
    number = float(value)
    if not number >= 0:  # also refuses NaN
        raise ValueError("must be 0 (no limit) or more")
    return number


def _positive_seconds(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError("must be more than 0")
    return number


def _days_before(value: str) -> tuple[int, ...]:
    """ "5,2": remind 5 and 2 days before a wave closes; empty: no scheduled reminders."""
    days = sorted({int(part) for part in value.replace(" ", "").split(",") if part}, reverse=True)
    if any(day < 0 for day in days):
        raise ValueError("days before closing must be 0 or more")
    return tuple(days)


def _fernet_key(value: str) -> str:
    """A Fernet key (`python cli.py mail new-key` makes one); empty: addresses are not kept."""
    if value:
        from cryptography.fernet import Fernet

        try:
            Fernet(value.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise ValueError("is not a Fernet key (32 url-safe base64-encoded bytes)") from None
    return value


def _time_zone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not a time zone name such as Europe/Berlin or Asia/Shanghai") from None


@dataclass(frozen=True)
class Setting:
    """One setting: its name (environment variable and secrets.toml key), default (as text, as an
    operator would write it; "" for none), how its text becomes a value, and the attribute of
    `Settings` that holds it."""

    name: str
    attribute: str
    default: str
    parse: Callable[[str], object]


SETTINGS = (
    Setting("ICSAT_DB", "db_path", "", _database),
    Setting("ICSAT_BACKUP_DIR", "backup_dir", "", _path),
    Setting("ICSAT_SESSION_HOURS", "session_hours", "8", _whole(1)),
    Setting("ICSAT_RESULTS_TTL", "results_ttl", "600", _whole(1)),
    # The anonymity floor (analysis.anonymity.MIN_K) is checked where a wave is created, not here:
    # importing the statistics would cost every command seconds.
    Setting("ICSAT_DEFAULT_K", "default_k", "5", _whole(1)),
    Setting("ICSAT_DEFAULT_K_COMMENTS", "default_k_comments", "10", _whole(1)),
    Setting("ICSAT_WRITER_MAX_GROUP", "writer_max_group", "512", _whole(1)),
    Setting("ICSAT_WRITER_LINGER_MS", "writer_linger", "4", _seconds_from_ms),
    Setting("ICSAT_WRITER_GAP_MS", "writer_gap", "1", _seconds_from_ms),
    Setting("ICSAT_SURVEY_TIMING", "survey_timing", "", _path),
    # Mail (services/mail.py): never from the database. Without a host, messages go to the outbox.
    Setting("ICSAT_SMTP_HOST", "smtp_host", "", _secret_text),
    Setting("ICSAT_SMTP_PORT", "smtp_port", "587", _port),
    Setting("ICSAT_SMTP_SECURITY", "smtp_security", "starttls", _choice("starttls", "tls", "none")),
    Setting("ICSAT_SMTP_USER", "smtp_user", "", _secret_text),
    Setting("ICSAT_SMTP_PASSWORD", "smtp_password", "", _secret_text),
    Setting("ICSAT_SMTP_TIMEOUT", "smtp_timeout", "30", _positive_seconds),
    Setting("ICSAT_MAIL_FROM", "mail_from", "", _secret_text),
    Setting("ICSAT_MAIL_REPLY_TO", "mail_reply_to", "", _secret_text),
    Setting("ICSAT_MAIL_RATE", "mail_rate", "10", _rate),
    Setting("ICSAT_MAIL_OUTBOX", "mail_outbox", "", _path),
    Setting("ICSAT_ADDRESS_KEY", "address_key", "", _fernet_key),
    Setting("ICSAT_REMINDER_DAYS", "reminder_days", "5,2", _days_before),
    Setting("ICSAT_TIMEZONE", "timezone", "UTC", _time_zone),
)


@dataclass(frozen=True)
class Settings:
    """The deployment's settings (docs/operations.md, "Settings", says what each one does)."""

    db_path: Path | str | None  # None: data/icsat.duckdb (data.db.DEFAULT_DB_PATH); str: a postgresql:// URL
    backup_dir: Path | None  # None: the database's own folder
    session_hours: int
    results_ttl: int  # seconds
    default_k: int
    default_k_comments: int
    writer_max_group: int
    writer_linger: float  # seconds
    writer_gap: float  # seconds
    survey_timing: Path | None  # None: the survey notes no timings (bench/survey.py sets a file)
    smtp_host: str  # "": no mail server, messages are written to the outbox folder
    smtp_port: int
    smtp_security: str  # starttls, tls (implicit TLS, e.g. port 465) or none
    smtp_user: str
    smtp_password: str = field(repr=False)
    smtp_timeout: float  # seconds
    mail_from: str  # "": icsat@<host name>
    mail_reply_to: str
    mail_rate: float  # messages per second at most; 0: no limit
    mail_outbox: Path | None  # None: the outbox folder beside the database
    address_key: str = field(repr=False)  # "": addresses are not kept, reminders unavailable
    reminder_days: tuple[int, ...]  # days before closing that scheduled reminders go out
    timezone: ZoneInfo  # the deployment's days: when a scheduled wave opens and closes


@lru_cache(maxsize=1)
def _secrets(path: Path = SECRETS_FILE) -> dict[str, object]:
    """The top-level keys of secrets.toml (sections such as [auth] are Streamlit's own)."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        return {}
    return {key: value for key, value in data.items() if not isinstance(value, dict)}


def load_settings(environ: Mapping[str, str], secrets: Mapping[str, object]) -> Settings:
    """The settings from these sources: the environment first, then secrets, then the default.
    A value that does not parse raises ValueError naming the setting."""
    values = {}
    for setting in SETTINGS:
        text = environ.get(setting.name, "").strip()
        if not text and setting.name in secrets:
            text = str(secrets[setting.name]).strip()
        text = text or setting.default
        try:
            values[setting.attribute] = setting.parse(text)
        except ValueError as exc:
            raise ValueError(f"setting {setting.name}={text!r}: {exc}") from None
    return Settings(**values)


@lru_cache(maxsize=8)
def _settings_for(environment: tuple[str, ...]) -> Settings:
    return load_settings(dict(zip([s.name for s in SETTINGS], environment, strict=True)), _secrets())


def settings() -> Settings:
    """This process's settings (environment, then .streamlit/secrets.toml, then the defaults)."""
    return _settings_for(tuple(os.environ.get(s.name, "") for s in SETTINGS))


def child_environment(**extra: str) -> dict[str, str]:
    """The environment for a program this process starts (pg_dump, pg_restore): this process's own,
    with `extra` set. Not a setting: it passes the environment on (e.g. PATH, locale) unread."""
    return {**os.environ, **extra}
