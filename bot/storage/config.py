"""What storage takes from the settings (bot.config): the database URL with its SQLite default, and the keys."""

from __future__ import annotations

from bot.config import PROJECT_ROOT, Settings, get_settings


def database_url(settings: Settings | None = None) -> str:
    """DATABASE_URL, or a SQLite file under `<project>/var/` (the folder is created)."""
    url = (settings or get_settings()).database_url.get_secret_value()
    if url:
        return url
    var = PROJECT_ROOT / "var"
    var.mkdir(mode=0o700, exist_ok=True)
    return f"sqlite:///{var / 'parent_support.db'}"


def encryption_keys() -> list[str]:
    """DATA_ENCRYPTION_KEYS, newest first; raises SettingsError where it is not set."""
    return get_settings().encryption_keys()
