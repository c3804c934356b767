"""Storage: self-referrals (encrypted at rest, idempotent saves, an outbox for notifications, a spool for outages),
staff accounts and sign-in throttling, the audit log, and Rasa's conversation tracker (encrypted events).

Import from the modules themselves; this package file imports nothing, so that a light module here
(`bot.storage.roles`, `bot.storage.config`) does not load SQLAlchemy and the repository with it. Typical use:

    from bot.storage.crypto import Cipher
    from bot.storage.migrate import upgrade
    from bot.storage.repository import NewReferral, ReferralStore, make_engine

    engine = make_engine()            # DATABASE_URL, default SQLite under var/
    upgrade()                         # create or update the tables
    store = ReferralStore(engine, Cipher.from_env())
    store.save(NewReferral(reference=..., submission_key=..., summary=..., priority=..., ...))
"""
