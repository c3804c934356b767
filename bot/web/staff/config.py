"""Settings of the staff review pages, from the environment (`.env` loaded first; values already set win)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import Fernet
from dotenv import load_dotenv

from bot.config import PROJECT_ROOT

log = logging.getLogger(__name__)

DEFAULT_IDLE_MINUTES = 30
COOKIE_SECURE_CHOICES = ("auto", "always")


@dataclass(frozen=True)
class StaffConfig:
    session_key: str  # a Fernet key: encrypts and signs the session cookie
    session_key_is_ephemeral: bool
    idle_timeout: timedelta = timedelta(minutes=DEFAULT_IDLE_MINUTES)
    max_session: timedelta = timedelta(hours=12)  # signed out after this however active
    cookie_secure: str = "auto"  # "auto": Secure when the request came over https; "always"
    # Proxies in front whose X-Forwarded-For entries are believed (0: the connecting address is the client).
    trusted_proxy_hops: int = 0


def _session_key(raw: str) -> tuple[str, bool]:
    if raw:
        try:
            Fernet(raw)
            return raw, False
        except (ValueError, TypeError):
            # The value itself is a secret: never shown.
            log.error("STAFF_SESSION_KEY is not a valid Fernet key: using a temporary key instead")
    else:
        log.warning(
            "STAFF_SESSION_KEY is not set: using a temporary key, so staff are signed out whenever the "
            "web service restarts. Add a key to .env (python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        )
    return Fernet.generate_key().decode("ascii"), True


def _whole_number(name: str, raw: str, default: int, smallest: int = 1) -> int:
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        log.error("%s must be a whole number, not %r: using %d", name, raw, default)
        return default
    if value < smallest:
        log.error("%s must be at least %d: using %d", name, smallest, default)
        return default
    return value


def load_staff_config() -> StaffConfig:
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    key, ephemeral = _session_key(os.environ.get("STAFF_SESSION_KEY", "").strip())
    idle = _whole_number(
        "STAFF_SESSION_IDLE_MINUTES", os.environ.get("STAFF_SESSION_IDLE_MINUTES", "").strip(), DEFAULT_IDLE_MINUTES
    )
    secure = os.environ.get("STAFF_COOKIE_SECURE", "").strip().lower() or "auto"
    if secure not in COOKIE_SECURE_CHOICES:
        log.error("STAFF_COOKIE_SECURE must be one of %s, not %r: using auto", COOKIE_SECURE_CHOICES, secure)
        secure = "auto"
    hops = _whole_number("TRUSTED_PROXY_HOPS", os.environ.get("TRUSTED_PROXY_HOPS", "").strip(), 0, smallest=0)
    return StaffConfig(
        session_key=key,
        session_key_is_ephemeral=ephemeral,
        idle_timeout=timedelta(minutes=idle),
        cookie_secure=secure,
        trusted_proxy_hops=hops,
    )
