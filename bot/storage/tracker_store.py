"""Rasa's SQL tracker store, with every event's content encrypted at rest.

Conversations are kept in the database so that they survive a restart, but what a parent types
(names, numbers, what happened to their child) must not be readable there. Each event's JSON is
encrypted with the same Fernet keys as the referrals (DATA_ENCRYPTION_KEYS); the columns Rasa
queries on (sender id, event type, timestamp, intent and action names) stay plain.

Only `save` and `_retrieve` touch event content in Rasa 3.6's SQLTrackerStore; they are repeated
here with the encryption added. endpoints.yml names this class as the tracker store.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.storage.crypto import Cipher

EVENTS_TABLE = "events"  # Rasa's table name (SQLTrackerStore.SQLEvent)


class EncryptedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, cipher: Cipher | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cipher = cipher or Cipher.from_env()

    def seal(self, data: dict[str, Any]) -> str:
        return self.cipher.encrypt_json(data).decode("ascii")

    def open(self, stored: str) -> dict[str, Any]:
        return self.cipher.decrypt_json(stored.encode("ascii"))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=self.seal(data),
                    )
                )
            session.commit()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).all()
            events = [self.open(row.data) for row in rows]
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
