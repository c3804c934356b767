"""The project's settings: one typed object, read once from the environment and `.env` (pydantic's BaseSettings).

Values already in the environment win over `.env`; a blank value means the default. Every bad value is
found at once and reported by name, with what was given (never a secret) and what is allowed:
`SettingsError` carries the list, and each entry point prints it and exits non-zero (`settings_or_exit`).
A setting that only some processes need (DATA_ENCRYPTION_KEYS) may be left unset; the part that needs it
says so when it is used. `.env.example` documents every setting (a test holds the two to the same names).
"""

from __future__ import annotations

import ipaddress
import math
import re
import secrets
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from pydantic import BaseSettings, Field, SecretStr, ValidationError, validator
from pydantic.fields import ModelField

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = PROJECT_ROOT / ".env"
DOMAIN_DIR = PROJECT_ROOT / "domain"

_SHOWN_CHARS = 60
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


class SettingsError(ValueError):
    """Settings that are bad or missing: one line per setting, each starting with its name."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))

    def report(self) -> str:
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        return f"Settings problem ({len(self.problems)}), in .env or the environment:\n{lines}"


def normalise_origin(value: str) -> str | None:
    """Turn "https://Example.org:443/" into "https://example.org"; None when `value` is not a plain web origin."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    if parts.query or parts.fragment or parts.username or parts.password:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    suffix = f":{port}" if port and port != _DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{host}{suffix}"


# -- parsers: each takes the stripped text and gives the typed value, or raises ValueError saying what is allowed --

Parser = Callable[[str], Any]


def _whole(smallest: int, largest: int | None = None) -> Parser:
    allowed = f"a whole number from {smallest} to {largest}" if largest else f"a whole number, {smallest} or more"

    def parse(text: str) -> int:
        if not re.fullmatch(r"[+-]?\d{1,18}", text):
            raise ValueError(f"must be {allowed}")
        number = int(text)
        if number < smallest or (largest is not None and number > largest):
            raise ValueError(f"must be {allowed}")
        return number

    return parse


def _seconds(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0 or len(text) > 20:
        raise ValueError("must be a number of seconds above 0, such as 10 or 2.5")
    return number


def _flag(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _choice(*choices: str) -> Parser:
    def parse(text: str) -> str:
        if text.lower() not in choices:
            raise ValueError(f"must be one of: {', '.join(choices)}")
        return text.lower()

    return parse


def _host(text: str) -> str:
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    labels = text.rstrip(".").split(".")
    if len(text) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise ValueError("must be a host name or an IP address, such as 127.0.0.1 (no scheme, no port)")
    return text


def _web_url(text: str) -> str:
    allowed = "must be an http:// or https:// address with a host, such as http://127.0.0.1:5005"
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise ValueError(allowed)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number from 0 to 65535)
    except ValueError:
        raise ValueError(allowed) from None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(allowed)
    return text


def _base_url(text: str) -> str:
    return _web_url(text).rstrip("/")


def _base_urls(text: str) -> tuple[str, ...]:
    urls = tuple(_base_url(part.strip()) for part in text.split(",") if part.strip())
    if len(set(urls)) != len(urls):
        raise ValueError("names the same address twice")
    return urls


def _lock_store_url(text: str) -> str:
    allowed = "must be a Redis address, such as redis://127.0.0.1:6379/1 or redis://:password@host:6379/1"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number from 0 to 65535)
    except ValueError:
        raise ValueError(allowed) from None
    database = parts.path.lstrip("/")
    if parts.scheme != "redis" or not parts.hostname or (database and not database.isdigit()):
        raise ValueError(allowed)
    if parts.query or parts.fragment or any(ch.isspace() for ch in text):
        raise ValueError(allowed)
    return text


def _rate(text: str) -> str:
    from limits import parse_many

    allowed = "must be one limit: a number of messages per period, such as 30/minute (second, minute, hour or day)"
    try:
        items = parse_many(text)
    except ValueError:
        raise ValueError(allowed) from None
    if len(items) != 1 or items[0].amount < 1:
        raise ValueError(allowed)
    return text


def _rate_storage(text: str) -> str:
    from limits.storage import SCHEMES

    scheme = text.split("://", 1)[0] if "://" in text else ""
    if scheme not in ("async+memory", "redis", "rediss") or scheme not in SCHEMES:
        raise ValueError("must be async+memory:// (one web service) or a Redis address such as redis://127.0.0.1:6379/2")
    return text


def _database_url(text: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        make_url(text).get_dialect()
    except Exception:  # SQLAlchemy raises ArgumentError, ValueError or NoSuchModuleError here
        raise ValueError(
            "must be a SQLAlchemy database URL: sqlite:////path/to/file.db or postgresql+psycopg2://user:password@host:5432/name"
        ) from None
    return text


def _fernet_key(text: str) -> str:
    if not _is_fernet_key(text):
        raise ValueError(
            "must be a Fernet key (32 url-safe base64-encoded bytes): make one with "
            "`.venv/bin/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
        )
    return text


def _fernet_keys(text: str) -> str:
    keys = [part.strip() for part in text.split(",")]
    bad = [str(position) for position, key in enumerate(keys, start=1) if not _is_fernet_key(key)]
    if bad:
        which = f"key {bad[0]} of {len(keys)} is not a valid Fernet key" if len(bad) == 1 else (
            f"keys {', '.join(bad[:-1])} and {bad[-1]} of {len(keys)} are not valid Fernet keys"
        )
        raise ValueError(
            f"{which} (each is 32 url-safe base64-encoded bytes; keys are separated by commas, newest first, "
            "with no empty entries)"
        )
    return ",".join(keys)


def _is_fernet_key(key: str) -> bool:
    try:
        Fernet(key)
    except (ValueError, TypeError):
        return False
    return True


def _origins(text: str) -> frozenset[str]:
    entries = [entry.strip() for entry in text.split(",") if entry.strip()]
    bad = [position for position, entry in enumerate(entries, start=1) if normalise_origin(entry) is None]
    if bad:
        raise ValueError(
            f"entry {', '.join(map(str, bad))} of {len(entries)} is not a web origin: each must be like "
            "https://www.example.org (scheme, host and an optional port; no path), separated by commas"
        )
    return frozenset(origin for entry in entries if (origin := normalise_origin(entry)))


def _folder(text: str) -> Path:
    if "\0" in text or len(text) > 4096:
        raise ValueError("must be a folder path")
    path = Path(text).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path  # relative to the project, like `.env` itself


def _text(text: str) -> str:
    if len(text) > 4096 or any(not ch.isprintable() for ch in text):
        raise ValueError("must be printable text, at most 4,096 characters")
    return text


def _generated_token() -> str:
    return secrets.token_urlsafe(32)


def _generated_fernet_key() -> str:
    return Fernet.generate_key().decode("ascii")


def _setting(default: Any, parse: Parser, *, secret: bool = False, generate: Callable[[], str] | None = None) -> Any:
    """A field: `parse` reads the text; a secret is never shown in errors; `generate` makes a new value for setup."""
    return Field(default, parse=parse, secret=secret, generate=generate)


class Settings(BaseSettings):
    """Every setting, by its environment name in lower case (RASA_URL is `rasa_url`)."""

    # The Rasa server, the action server and the web service.
    rasa_token: SecretStr = _setting("", _text, secret=True, generate=_generated_token)
    rasa_url: str = _setting("http://localhost:5005", _base_url)
    rasa_host: str = _setting("127.0.0.1", _host)
    # Several Rasa replicas: the web service relays each conversation to one of these, chosen by a stable
    # hash of its id, and to the next when that one does not answer (bot/web/relay.py). Empty: RASA_URL alone.
    rasa_urls: tuple[str, ...] = _setting((), _base_urls)
    # Rasa's lock store (one turn of a conversation at a time): empty is in memory, for one Rasa server;
    # several replicas share Redis (redis://host:6379/1).
    lock_store_url: SecretStr = _setting("", _lock_store_url, secret=True)  # may hold a password
    # What `make run` starts on this machine: Rasa replicas (each with its own action server) and web services.
    rasa_replicas: int = _setting(1, _whole(1, 16))
    web_replicas: int = _setting(1, _whole(1, 16))
    action_host: str = _setting("127.0.0.1", _host)
    action_port: int = _setting(5055, _whole(1, 65535))
    action_server_secret: SecretStr = _setting("", _text, secret=True, generate=_generated_token)
    action_server_url: str = _setting("http://127.0.0.1:5055/webhook", _web_url)
    web_host: str = _setting("127.0.0.1", _host)
    web_port: int = _setting(8000, _whole(1, 65535))
    widget_allowed_origins: frozenset[str] = _setting(frozenset(), _origins)
    max_message_chars: int = _setting(1000, _whole(1))
    rasa_timeout_seconds: float = _setting(15.0, _seconds)
    chat_rate_per_address: str = _setting("240/minute", _rate)
    chat_rate_per_conversation: str = _setting("30/minute", _rate)
    rate_limit_storage: str = _setting("async+memory://", _rate_storage, secret=True)  # may hold a password
    web_head_timeout_seconds: float = _setting(10.0, _seconds)
    web_body_timeout_seconds: float = _setting(10.0, _seconds)
    web_keepalive_seconds: float = _setting(15.0, _seconds)
    content_dir: Path = _setting(PROJECT_ROOT / "content", _folder)
    rasa_telemetry_enabled: bool = _setting(False, _flag)
    service_log_dir: Path | None = _setting(None, _folder)
    # Self-referrals.
    database_url: SecretStr = _setting("", _database_url, secret=True)  # may hold a password
    data_encryption_keys: SecretStr = _setting("", _fernet_keys, secret=True, generate=_generated_fernet_key)
    referral_retention_days: int = _setting(365, _whole(1))
    referral_spool_dir: Path = _setting(PROJECT_ROOT / "var" / "spool", _folder)
    staff_webhook_url: str = _setting("", _web_url)
    staff_webhook_secret: SecretStr = _setting("", _text, secret=True)
    # Staff review.
    staff_session_key: SecretStr = _setting("", _fernet_key, secret=True, generate=_generated_fernet_key)
    staff_session_idle_minutes: int = _setting(30, _whole(1))
    staff_cookie_secure: str = _setting("auto", _choice("auto", "always"))
    trusted_proxy_hops: int = _setting(0, _whole(0))
    # The content editors' workspace (/staff/content/): insight counts and edits.
    insight_key: SecretStr = _setting("", _text, secret=True, generate=_generated_token)  # empty: no counts
    insight_days: int = _setting(30, _whole(1, 366))  # the period the insight page shows first
    editor_max_text_chars: int = _setting(4000, _whole(100, 100_000))  # one text box of an edit form
    # the parent's notes (bot/notes/, bot/web/notes.py): email them out, and how often
    smtp_host: str = _setting("", _text)  # empty: email is off
    smtp_port: int = _setting(0, _whole(0, 65535))  # 0: the usual port for SMTP_SECURITY (587 or 465)
    smtp_security: str = _setting("starttls", _choice("starttls", "ssl", "none"))
    smtp_username: str = _setting("", _text)
    smtp_password: SecretStr = _setting("", _text, secret=True)
    smtp_from: str = _setting("", _text)
    smtp_timeout_seconds: float = _setting(15.0, _seconds)
    notes_rate_per_address: str = _setting("20/minute", _rate)
    notes_rate_per_conversation: str = _setting("10/minute", _rate)
    notes_email_rate_per_address: str = _setting("20/hour", _rate)
    notes_email_rate_per_conversation: str = _setting("5/hour", _rate)
    notes_font_dir: Path | None = _setting(None, _folder)  # empty: Debian's fonts-dejavu-core

    class Config:
        env_file = ENV_FILE
        env_file_encoding = "utf-8"
        allow_mutation = False
        case_sensitive = True  # RASA_URL is read, rasa_url is not

        @classmethod
        def prepare_field(cls, field: ModelField) -> None:
            field.field_info.extra["env_names"] = {field.name.upper()}

        @classmethod
        def parse_env_var(cls, field_name: str, raw_val: str) -> Any:
            return raw_val  # lists are comma-separated text, read by the field's own parser (not JSON)

    @validator("*", pre=True)
    def _parse(cls, value: Any, field: ModelField) -> Any:  # noqa: N805 (pydantic passes the class)
        if not isinstance(value, str):
            return value  # given in code (tests), already typed
        text = value.strip()
        if not text:
            return field.default
        try:
            return field.field_info.extra["parse"](text)
        except ValueError as error:
            raise ValueError(f"{error}; {_given(text, field)}") from None

    # -- what some parts need, checked where they are used --------------------------------------------------

    def encryption_keys(self) -> list[str]:
        """DATA_ENCRYPTION_KEYS, newest first (the newest encrypts; all decrypt). Raises SettingsError when unset."""
        raw = self.data_encryption_keys.get_secret_value()
        if not raw:
            raise SettingsError(
                [
                    "DATA_ENCRYPTION_KEYS is not set: add a key to .env, e.g. the output of "
                    "`.venv/bin/python -c 'from bot.storage.crypto import generate_key; print(generate_key())'`"
                ]
            )
        return raw.split(",")

    @property
    def rasa_port(self) -> int:
        parts = urlsplit(self.rasa_url)
        return parts.port or _DEFAULT_PORTS[parts.scheme]

    @property
    def rasa_replica_urls(self) -> tuple[str, ...]:
        """The Rasa servers the web service relays to: RASA_URLS, or RASA_URL alone."""
        return self.rasa_urls or (self.rasa_url,)

    def as_environment(self) -> dict[str, str]:
        """Every setting that has a value, as environment text: what a child process (and endpoints.yml) reads.

        Blank settings are left out: blank means the default, for the child as for this process.
        """
        environment = {}
        for name in self.__fields__:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, frozenset):
                value = ",".join(sorted(value))
            elif isinstance(value, tuple):
                value = ",".join(value)
            if value is not None and str(value):
                environment[name.upper()] = str(value)
        return environment


def setting_names() -> list[str]:
    """Every setting's environment name, in the order of the model."""
    return [name.upper() for name in Settings.__fields__]


def generated_secrets() -> dict[str, Callable[[], str]]:
    """The settings setup fills with a fresh secret when `.env` lacks them, and how each is made."""
    return {
        name.upper(): field.field_info.extra["generate"]
        for name, field in Settings.__fields__.items()
        if field.field_info.extra.get("generate")
    }


def _given(text: str, field: ModelField) -> str:
    """What was given, for the error: never a secret; long values cut; odd characters escaped by repr()."""
    if field.field_info.extra.get("secret"):
        return "the value given is a secret, so it is not shown"
    shown = text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."
    return f"given {shown!r}"


def load_settings(env_file: Path | None = ENV_FILE) -> Settings:
    """Read the settings now (see `get_settings` for the cached copy). Raises SettingsError listing every bad value."""
    try:
        return Settings(_env_file=env_file)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            name = str(item["loc"][0]).upper()
            problems.append(f"{name}: {item['msg']}")
        raise SettingsError(problems) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings, read once per process (tests call `get_settings.cache_clear()` after changing the environment)."""
    return load_settings()


def settings_or_exit() -> Settings:
    """The settings, or every problem printed to stderr and exit status 2: for the start of each process."""
    try:
        return get_settings()
    except SettingsError as error:
        print(error.report(), file=sys.stderr)
        raise SystemExit(2) from None
