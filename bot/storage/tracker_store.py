"""Rasa's SQL tracker store, with every event's content encrypted at rest.

Conversations are kept in the database so that they survive a restart, but what a parent types
(names, numbers, what happened to their child) must not be readable there. Each event's JSON is
encrypted with the same Fernet keys as the referrals (DATA_ENCRYPTION_KEYS); the columns Rasa
queries on (sender id, event type, timestamp, intent and action names) stay plain.

Only `save` and `_retrieve` touch event content in Rasa 3.6's SQLTrackerStore; they are repeated
here with the encryption added. endpoints.yml names this class as the tracker store.

Every turn reads the conversation and writes its new events, so this is on the Rasa server's busiest
path. The queries are Rasa's, written once as SQLAlchemy Core statements rather than rebuilt through
the ORM on each call, and SQLite runs in write-ahead-log mode with pooled connections (Rasa opens a
new one per query). Measured with `python -m bot bench load`: see docs/results.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot.storage.crypto import Cipher

EVENTS = SQLTrackerStore.SQLEvent.__table__
EVENTS_TABLE = EVENTS.name  # "events"

# Rasa's SQLTrackerStore._event_query: the conversation's events since its latest session start.
_SENDER = sa.bindparam("sender_id")
_LATEST_SESSION_START = (
    sa.select(sa.func.max(EVENTS.c.timestamp))
    .where(EVENTS.c.sender_id == _SENDER, EVENTS.c.type_name == SessionStarted.type_name)
    .scalar_subquery()
)
_IN_LATEST_SESSION = sa.and_(
    EVENTS.c.sender_id == _SENDER,
    sa.or_(EVENTS.c.timestamp >= _LATEST_SESSION_START, _LATEST_SESSION_START.is_(None)),
)
SELECT_LATEST_SESSION = sa.select(EVENTS.c.data).where(_IN_LATEST_SESSION).order_by(EVENTS.c.id)
SELECT_ALL_SESSIONS = sa.select(EVENTS.c.data).where(EVENTS.c.sender_id == _SENDER).order_by(EVENTS.c.id)
COUNT_LATEST_SESSION = sa.select(sa.func.count()).select_from(EVENTS).where(_IN_LATEST_SESSION)


def _pooled_sqlite_engine(url: sa.engine.URL) -> Engine:
    """SQLite with pooled connections, write-ahead logging and the sync level WAL makes safe."""
    engine = sa.create_engine(url, poolclass=QueuePool, connect_args={"check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _tune(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def check_rasa_store() -> None:
    """Fail at start-up, not on a parent's message, where Rasa's SQLTrackerStore is not what we override.

    `_retrieve` is private to Rasa: its public `retrieve` and `retrieve_full_tracker` call it by name
    with `fetch_events_from_all_sessions`, and `save` must still be the only writer of events.
    """
    import inspect

    retrieve = getattr(SQLTrackerStore, "_retrieve", None)
    parameters = list(inspect.signature(retrieve).parameters) if callable(retrieve) else []
    if parameters != ["self", "sender_id", "fetch_events_from_all_sessions"] or not callable(
        getattr(SQLTrackerStore, "save", None)
    ):
        raise RuntimeError(
            "Rasa's SQLTrackerStore no longer has _retrieve(self, sender_id, fetch_events_from_all_sessions) and "
            "save(self, tracker): bot/storage/tracker_store.py must be checked against the installed Rasa"
        )
    for name in ("retrieve", "retrieve_full_tracker"):
        if "_retrieve" not in inspect.getsource(getattr(SQLTrackerStore, name)):
            raise RuntimeError(f"Rasa's SQLTrackerStore.{name} no longer reads through _retrieve: check tracker_store.py")


check_rasa_store()


class EncryptedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, cipher: Cipher | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cipher = cipher or Cipher.from_env()
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            url = self.engine.url
            self.engine.dispose()
            self.engine = _pooled_sqlite_engine(url)
            self.sessionmaker = sessionmaker(bind=self.engine)

    def seal(self, data: dict[str, Any]) -> str:
        return self.cipher.encrypt_json(data).decode("ascii")

    def open(self, stored: str) -> dict[str, Any]:
        return self.cipher.decrypt_json(stored.encode("ascii"))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.engine.begin() as connection:
            stored = connection.execute(COUNT_LATEST_SESSION, {"sender_id": tracker.sender_id}).scalar_one()
            rows = [self._row(tracker.sender_id, event) for event in list(tracker.events)[stored:]]
            if rows:
                connection.execute(EVENTS.insert(), rows)

    def _row(self, sender_id: str, event: Any) -> dict[str, Any]:
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": self.seal(data),
        }

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        query = SELECT_ALL_SESSIONS if fetch_events_from_all_sessions else SELECT_LATEST_SESSION
        with self.engine.connect() as connection:
            stored = connection.execute(query, {"sender_id": sender_id}).scalars().all()
        events = [self.open(data) for data in stored]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None


def purge_conversations(engine: Engine, days: int, now: datetime | None = None) -> int:
    """Delete conversation events older than `days` (retention); returns how many went."""
    cutoff = ((now or datetime.now(timezone.utc)) - timedelta(days=days)).timestamp()
    with engine.begin() as connection:
        if not engine.dialect.has_table(connection, EVENTS_TABLE):
            return 0
        result = connection.execute(text(f"DELETE FROM {EVENTS_TABLE} WHERE timestamp < :cutoff"), {"cutoff": cutoff})  # noqa: S608 (constant table name)
        return int(result.rowcount or 0)
