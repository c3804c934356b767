"""Rotating the key that encrypts stored referrals, in two safe steps.

1. `start_key_rotation`: a new key goes first in `.env` (saved BEFORE any data uses it, so no
   referral is ever encrypted with a key that is not written down), then every stored and spooled
   referral is re-encrypted with it. Old keys stay, so running services can still read everything.
2. After the services are restarted with the new `.env`, `retire_old_keys` re-encrypts anything
   written in between and removes the older keys.
"""

from __future__ import annotations

from pathlib import Path

from dotenv import dotenv_values, set_key

from bot.storage.crypto import Cipher, generate_key
from bot.storage.repository import ReferralStore, SpoolDirectory, make_engine

SETTING = "DATA_ENCRYPTION_KEYS"


def _keys_in(env_path: Path) -> list[str]:
    raw = dotenv_values(env_path).get(SETTING) or ""
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        raise ValueError(f"{SETTING} is empty in {env_path}: there is nothing to rotate")
    return keys


def _save_keys(env_path: Path, keys: list[str]) -> None:
    set_key(str(env_path), SETTING, ",".join(keys), quote_mode="never")


def _re_encrypt(cipher: Cipher, database_url: str | None, spool: SpoolDirectory | None) -> int:
    store = ReferralStore(make_engine(database_url), cipher)
    count = store.rotate_keys(cipher, actor="cli")
    if spool is not None:
        spool.rotate_keys(cipher)
    return count


def start_key_rotation(env_path: Path, database_url: str | None = None, spool_path: Path | None = None) -> int:
    keys = [generate_key(), *_keys_in(env_path)]
    _save_keys(env_path, keys)
    cipher = Cipher(keys)
    return _re_encrypt(cipher, database_url, _spool(cipher, spool_path))


def retire_old_keys(env_path: Path, database_url: str | None = None, spool_path: Path | None = None) -> int:
    keys = _keys_in(env_path)
    cipher = Cipher(keys)
    count = _re_encrypt(cipher, database_url, _spool(cipher, spool_path))
    _save_keys(env_path, keys[:1])
    return count


def _spool(cipher: Cipher, spool_path: Path | None) -> SpoolDirectory:
    return SpoolDirectory(spool_path, cipher) if spool_path else SpoolDirectory.from_env(cipher)
