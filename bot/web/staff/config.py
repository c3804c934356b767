"""What the staff pages take from the settings: the cookie key (or a temporary one), idle and session limits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import Fernet

from bot.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StaffConfig:
    session_key: str  # a Fernet key: encrypts and signs the session cookie
    session_key_is_ephemeral: bool
    idle_timeout: timedelta = timedelta(minutes=30)
    max_session: timedelta = timedelta(hours=12)  # signed out after this however active
    cookie_secure: str = "auto"  # "auto": Secure when the request came over https; "always"


def staff_config(settings: Settings) -> StaffConfig:
    """The staff pages' view of the settings. With no STAFF_SESSION_KEY a temporary key is made, with a warning."""
    key = settings.staff_session_key.get_secret_value()
    if not key:
        log.warning(
            "STAFF_SESSION_KEY is not set: using a temporary key, so staff are signed out whenever the "
            "web service restarts. Add a key to .env (python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        )
    return StaffConfig(
        session_key=key or Fernet.generate_key().decode("ascii"),
        session_key_is_ephemeral=not key,
        idle_timeout=timedelta(minutes=settings.staff_session_idle_minutes),
        cookie_secure=settings.staff_cookie_secure,
    )
