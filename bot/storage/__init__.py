"""Storage: self-referrals (encrypted at rest, idempotent saves, an outbox for notifications, a spool for outages),
staff accounts and sign-in throttling, the audit log, and Rasa's conversation tracker (encrypted events).

Typical use:

    engine = make_engine()            # DATABASE_URL, default SQLite under var/
    upgrade()                         # bot.storage.migrate: create or update the tables
    store = ReferralStore(engine, Cipher.from_env())
    store.save(NewReferral(reference=..., submission_key=..., summary=..., priority=..., ...))
"""

from bot.storage.crypto import Cipher, generate_key
from bot.storage.repository import (
    NewReferral,
    OutboxItem,
    ReferenceCollision,
    ReferralInfo,
    ReferralStore,
    SavedReferral,
    SpoolDirectory,
    StorageError,
    StorageUnavailable,
    StoredReferral,
    make_engine,
)

__all__ = [
    "Cipher",
    "NewReferral",
    "OutboxItem",
    "ReferenceCollision",
    "ReferralInfo",
    "ReferralStore",
    "SavedReferral",
    "SpoolDirectory",
    "StorageError",
    "StorageUnavailable",
    "StoredReferral",
    "generate_key",
    "make_engine",
]
