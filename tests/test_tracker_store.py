"""Conversations survive in the database, but what a parent typed is not readable there."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.storage.crypto import Cipher, generate_key
from bot.storage.tracker_store import EncryptedSQLTrackerStore, purge_conversations

SECRET = "my number is 07700 900123 and his name is Darren"
DOMAIN = Domain.from_yaml(
    "version: '3.1'\nslots:\n  contact_phone:\n    type: any\n    mappings:\n    - type: custom\n"
)


def store_for(database_url: str, key: str) -> EncryptedSQLTrackerStore:
    return EncryptedSQLTrackerStore(domain=DOMAIN, host=database_url, cipher=Cipher([key]))


def test_events_are_encrypted_at_rest_and_read_back_whole(database_url: str, engine: Engine) -> None:
    key = generate_key()
    tracker = DialogueStateTracker.from_events(
        "parent-7", [UserUttered(SECRET, {"name": "nlu_fallback"}), SlotSet("contact_phone", "+447700900123")]
    )
    asyncio.run(store_for(database_url, key).save(tracker))

    with engine.connect() as connection:
        raw = " ".join(row[0] for row in connection.execute(text("SELECT data FROM events")))
    assert "07700" not in raw and "Darren" not in raw and "+447700900123" not in raw

    restored = asyncio.run(store_for(database_url, key).retrieve("parent-7"))  # as after a restart
    assert restored is not None
    assert restored.latest_message.text == SECRET
    assert restored.get_slot("contact_phone") == "+447700900123"


def test_old_conversations_are_purged_with_the_retention_period(database_url: str, engine: Engine) -> None:
    key = generate_key()
    long_ago = (datetime.now(timezone.utc) - timedelta(days=400)).timestamp()
    old = DialogueStateTracker.from_events("parent-old", [UserUttered("hello", timestamp=long_ago)])
    new = DialogueStateTracker.from_events("parent-new", [UserUttered("hello")])
    store = store_for(database_url, key)
    asyncio.run(store.save(old))
    asyncio.run(store.save(new))
    assert purge_conversations(engine, 365) == 1
    assert asyncio.run(store.retrieve("parent-old")) is None
    assert asyncio.run(store.retrieve("parent-new")) is not None


def test_each_turn_adds_only_its_new_events_and_a_new_session_starts_afresh(database_url: str, engine: Engine) -> None:
    key = generate_key()
    store = store_for(database_url, key)
    tracker = DialogueStateTracker.from_events(
        "parent-9", [SessionStarted(timestamp=1.0), UserUttered("hi", timestamp=2.0)]
    )
    asyncio.run(store.save(tracker))
    tracker.update(SlotSet("contact_phone", "+447700900123", timestamp=3.0))
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))  # saved again with nothing new: nothing is written twice
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM events WHERE sender_id = 'parent-9'")).scalar()
    assert stored == 3

    restarted = store_for(database_url, key)
    later = asyncio.run(restarted.retrieve("parent-9"))
    assert later is not None and later.get_slot("contact_phone") == "+447700900123"
    later.update(SessionStarted(timestamp=10.0))
    later.update(UserUttered("back again", timestamp=11.0))
    asyncio.run(restarted.save(later))

    latest = asyncio.run(restarted.retrieve("parent-9"))
    assert latest is not None
    assert [event.type_name for event in latest.events] == ["session_started", "user"]
    assert latest.latest_message.text == "back again"
    whole = asyncio.run(restarted.retrieve_full_tracker("parent-9"))
    assert whole is not None and len(whole.events) == 5


def test_the_overridden_rasa_methods_are_checked_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.storage.tracker_store import check_rasa_store

    check_rasa_store()  # the installed Rasa is the one we override

    async def renamed(self, sender_id, fetch_all_sessions):  # type: ignore[no-untyped-def]
        return None

    monkeypatch.setattr(SQLTrackerStore, "_retrieve", renamed)
    with pytest.raises(RuntimeError, match="must be checked against the installed Rasa"):
        check_rasa_store()
