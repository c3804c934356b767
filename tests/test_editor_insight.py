"""The insight counts, checked against a scripted set of conversations run through the real actions
(rasa-sdk's dispatcher and tracker, no server) into a real SQLite database."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

import actions.actions as project_actions
from bot.content.store import ContentStore
from bot.storage.insight import InsightRecorder, InsightStore, shown
from bot.storage.models import InsightCount, InsightSeen
from bot.storage.repository import make_engine
from tests.helpers import SHIPPED_CONTENT_DIR, migrated_sqlite

SECRET_TEXT = "my daughter Amy was taken to 12 Acacia Road"


class Parent:
    """One conversation: keeps the slots the actions set, as Rasa would."""

    def __init__(self, sender: str) -> None:
        self.sender = sender
        self.slots: dict[str, Any] = {"current_topic": None, "current_step": None, "topics_viewed": None}

    def run(self, action: Any, intent: str, entities: list[dict] | None = None) -> None:
        latest = {"intent": {"name": intent, "confidence": 0.9}, "entities": entities or [], "text": SECRET_TEXT}
        tracker = Tracker(self.sender, dict(self.slots), latest, [], False, None, {}, "action_listen")
        events = asyncio.run(action.run(CollectingDispatcher(), tracker, {}))
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]

    def open(self, topic: str) -> None:
        self.run(project_actions.ActionStartTopic(), "open_topic", [{"entity": "topic", "value": topic}])

    def next(self) -> None:
        self.run(project_actions.ActionTopicNext(), "topic_next")

    def more(self) -> None:
        self.run(project_actions.ActionTopicMore(), "topic_more")

    def not_understood(self) -> None:
        self.run(project_actions.ActionFallback(), "nlu_fallback")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> InsightStore:
    url = migrated_sqlite(tmp_path / "insight.db")
    store = InsightStore(make_engine(url), "a test key")
    monkeypatch.setattr(project_actions, "INSIGHT", InsightRecorder(store))
    monkeypatch.setattr(project_actions, "CONTENT", ContentStore(SHIPPED_CONTENT_DIR))
    return store


def test_scripted_conversations_give_the_expected_counts(store: InsightStore) -> None:
    content = ContentStore(SHIPPED_CONTENT_DIR).get()
    steps = [s.id for s in content.topics["missing"].steps]
    more_step = next(s.id for s in content.topics["missing"].steps if s.more)
    # Six parents open "missing"; four go on to the second step, two of them to the third.
    parents = [Parent(f"parent-{n}") for n in range(6)]
    for n, parent in enumerate(parents):
        parent.open("missing")
        if n < 4:
            parent.next()
        if n < 2:
            parent.next()
    parents[0].open("missing")  # the same conversation opening it again counts once
    # Three "Tell me more" taps on a step that has more; one "I didn't understand" in the topic.
    for parent in parents[3:6]:
        parent.open(f"missing/{more_step}")
        parent.more()
    parents[5].not_understood()
    # Outside any topic, "I didn't understand" is no topic's.
    Parent("parent-x").not_understood()

    today = datetime.now(timezone.utc).date()
    found = store.topics(today, today)["missing"]
    assert found.opened == 6
    assert found.more == 3 and found.more_by_step == {more_step: 3}
    assert found.not_understood == 1
    # step views: every open shows a step (7 opens of the first step, 3 of the more step), plus the "next"s
    expected = {steps[0]: 7, steps[1]: 4, steps[2]: 2}
    expected[more_step] = expected.get(more_step, 0) + 3
    assert found.step_views == expected
    assert set(store.topics(today, today)) == {"missing"}
    assert (shown(found.opened), shown(found.not_understood), shown(0)) == ("6", "fewer than 5", "0")


def test_nothing_a_parent_wrote_nor_their_conversation_id_is_stored(store: InsightStore) -> None:
    parent = Parent("conversation-id-1234")
    parent.open("missing")
    parent.not_understood()
    with store.engine.connect() as connection:
        rows = [tuple(r) for r in connection.execute(select(InsightCount))]
        rows += [tuple(r) for r in connection.execute(select(InsightSeen))]
    flat = repr(rows)
    assert rows and "conversation-id-1234" not in flat and "Amy" not in flat and "Acacia" not in flat


def test_a_database_problem_never_reaches_the_conversation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = InsightStore(make_engine(f"sqlite:///{tmp_path / 'no-tables.db'}"), "key")  # no migration: no tables
    monkeypatch.setattr(project_actions, "INSIGHT", InsightRecorder(broken))
    monkeypatch.setattr(project_actions, "CONTENT", ContentStore(SHIPPED_CONTENT_DIR))
    parent = Parent("p")
    parent.open("missing")
    assert parent.slots["current_topic"] == "missing"


def test_a_referral_sent_through_the_real_action_counts_one_hand_off_for_each_topic_looked_at(
    store: InsightStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import actions.referral as referral_actions
    from bot.storage.crypto import Cipher, generate_key
    from bot.storage.repository import ReferralStore
    from tests.helpers import ALL_ANSWERED

    key = generate_key()
    monkeypatch.setenv("DATA_ENCRYPTION_KEYS", key)
    monkeypatch.setenv("REFERRAL_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("STAFF_WEBHOOK_URL", "")
    referrals = ReferralStore(store.engine, Cipher([key]))
    monkeypatch.setattr(referral_actions, "referral_store", lambda: referrals)
    monkeypatch.setattr(referral_actions, "INSIGHT", project_actions.INSIGHT)
    consented = [
        {"event": "action", "name": "action_referral_consent", "timestamp": 1_790_000_000.0},
        {"event": "user", "text": "/affirm", "parse_data": {"intent": {"name": "affirm"}}, "timestamp": 1_790_000_010.0},
    ]
    slots = {**ALL_ANSWERED, "topics_viewed": ["criminal", "missing"]}
    latest = {"intent": {"name": "affirm", "confidence": 1.0}, "entities": [], "text": "/affirm"}
    domain = {"forms": {"referral_form": {"required_slots": list(referral_actions.form.FORM_FIELDS)}}}
    for sender in ("parent-a", "parent-a", "parent-b"):  # parent-a sends twice: one hand-off still
        dispatcher = CollectingDispatcher()
        tracker = Tracker(sender, dict(slots), latest, consented, False, None, {"name": None}, "action_listen")
        asyncio.run(referral_actions.ActionReferralSubmit().run(dispatcher, tracker, domain))
        assert "-" in dispatcher.messages[0]["text"]  # the parent got a reference

    today = datetime.now(timezone.utc).date()
    counts = store.topics(today, today)
    assert (counts["criminal"].handoff, counts["missing"].handoff) == (2, 2)
    assert "grooming" not in counts
