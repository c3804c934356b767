"""Storage settings from the environment (`.env` loaded first; values already set win)."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet
from dotenv import load_dotenv

from bot.config import PROJECT_ROOT

DEFAULT_RETENTION_DAYS = 365


class StorageConfigError(ValueError):
    """A storage setting is missing or malformed; the message names the variable."""


def _env(name: str) -> str:
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    return os.environ.get(name, "").strip()


def database_url() -> str:
    """DATABASE_URL, or a SQLite file under `<project>/var/` (the folder is created)."""
    url = _env("DATABASE_URL")
    if url:
        return url
    var = PROJECT_ROOT / "var"
    var.mkdir(mode=0o700, exist_ok=True)
    return f"sqlite:///{var / 'parent_support.db'}"


def encryption_keys() -> list[str]:
    """DATA_ENCRYPTION_KEYS: comma-separated Fernet keys, newest first (the newest encrypts; all decrypt)."""
    raw = _env("DATA_ENCRYPTION_KEYS")
    if not raw:
        raise StorageConfigError(
            "DATA_ENCRYPTION_KEYS is not set: add a key to .env, e.g. the output of "
            "`.venv/bin/python -c 'from bot.storage.crypto import generate_key; print(generate_key())'`"
        )
    keys = [part.strip() for part in raw.split(",")]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            # The key itself is never shown: it is a secret.
            raise StorageConfigError(
                f"DATA_ENCRYPTION_KEYS: key {position} of {len(keys)} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes; keys are separated by commas, no empty entries)"
            ) from None
    return keys


def retention_days() -> int:
    """REFERRAL_RETENTION_DAYS: how long referrals are kept before `purge` deletes them (default 365)."""
    raw = _env("REFERRAL_RETENTION_DAYS")
    if not raw:
        return DEFAULT_RETENTION_DAYS
    try:
        days = int(raw)
    except ValueError:
        raise StorageConfigError(f"REFERRAL_RETENTION_DAYS must be a whole number of days, not {raw!r}") from None
    if days < 1:
        raise StorageConfigError(f"REFERRAL_RETENTION_DAYS must be at least 1, not {days}")
    return days


def spool_dir() -> Path:
    """REFERRAL_SPOOL_DIR: where referrals wait when the database is down (default `<project>/var/spool`)."""
    raw = _env("REFERRAL_SPOOL_DIR")
    return Path(raw) if raw else PROJECT_ROOT / "var" / "spool"
