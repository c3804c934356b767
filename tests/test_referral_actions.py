"""The self-referral actions, with rasa-sdk's dispatcher and tracker, on a real database (no Rasa server)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.engine import Engine

import actions.referral as referral_actions
from bot.handoff import form
from bot.storage.crypto import Cipher, generate_key
from bot.storage.repository import ReferralStore, SpoolDirectory, make_engine
from tests.test_referral_form import ALL_ANSWERED

KEY = generate_key()
CONSENT_AT = 1_790_000_000.0


def tracker(slots: dict[str, Any], *, entities: list[dict] | None = None, events: list[dict] | None = None) -> Tracker:
    latest = {"intent": {"name": "affirm", "confidence": 1.0}, "entities": entities or [], "text": "/affirm"}
    history = events or [
        {"event": "action", "name": "action_referral_consent", "timestamp": CONSENT_AT},
        {"event": "user", "text": "my son is being used to run drugs", "timestamp": CONSENT_AT + 30},
    ]
    return Tracker("parent-42", slots, latest, history, False, None, {"name": None}, "action_listen")


def run(action: Any, tracker_: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, {"forms": {"referral_form": {"required_slots": list(form.FORM_FIELDS)}}}))
    return dispatcher.messages, events


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SpoolDirectory:
    monkeypatch.setenv("DATA_ENCRYPTION_KEYS", KEY)
    monkeypatch.setenv("REFERRAL_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("STAFF_WEBHOOK_URL", "")
    return SpoolDirectory(tmp_path / "spool", Cipher([KEY]))


def use_store(monkeypatch: pytest.MonkeyPatch, store: ReferralStore) -> None:
    monkeypatch.setattr(referral_actions, "referral_store", lambda: store)


def test_a_submitted_referral_is_stored_encrypted_and_the_parent_gets_a_reference(
    engine: Engine, spool: SpoolDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ReferralStore(engine, Cipher([KEY]))
    use_store(monkeypatch, store)
    slots = {**ALL_ANSWERED, "safety_events": [{"type": "child_missing", "at": "2026-11-22T23:00:00+00:00"}],
             "topics_viewed": ["criminal", "missing"]}

    messages, events = run(referral_actions.ActionReferralSubmit(), tracker(slots))

    reference = next(word.rstrip(".") for word in messages[0]["text"].split() if "-" in word and len(word) >= 9)
    stored = store.get(reference)
    assert stored is not None and stored.priority == "urgent"
    assert stored.summary["contact"]["phone"] == "+447700900123"
    assert stored.summary["conversation"]["topics_viewed"] == ["criminal", "missing"]
    assert stored.summary["transcript"] is None
    assert "urgent" in messages[0]["text"] and "999" in messages[0]["text"]
    assert all(event["value"] is None for event in events if event["name"] in form.FORM_FIELDS)


def test_submitting_twice_makes_one_referral(engine: Engine, spool: SpoolDirectory, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ReferralStore(engine, Cipher([KEY]))
    use_store(monkeypatch, store)
    first, _ = run(referral_actions.ActionReferralSubmit(), tracker(dict(ALL_ANSWERED)))
    second, _ = run(referral_actions.ActionReferralSubmit(), tracker(dict(ALL_ANSWERED)))
    assert first[0]["text"] == second[0]["text"]
    assert len(store.list_recent()) == 1


def test_with_the_database_down_the_referral_is_kept_and_the_parent_told_honestly(
    tmp_path: Path, engine: Engine, spool: SpoolDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = ReferralStore(make_engine(f"sqlite:///{tmp_path / 'missing-folder' / 'db.sqlite'}"), Cipher([KEY]))
    use_store(monkeypatch, down)

    messages, _ = run(referral_actions.ActionReferralSubmit(), tracker({**ALL_ANSWERED, "include_transcript": True}))

    assert "not reached the team yet" in messages[0]["text"] and "0808 800 5000" in messages[0]["text"]
    assert len(spool.pending()) == 1
    good = ReferralStore(engine, Cipher([KEY]))
    assert spool.drain(good) == 1
    saved = good.list_recent()[0]
    summary = good.get(saved.reference).summary
    assert saved.reference in messages[0]["text"]
    assert summary["transcript"][0]["text"] == "my son is being used to run drugs"


def answered(field_name: str, text: str) -> Tracker:
    """The tracker as the form hands it over: the new answer is the last event."""
    history = [{"event": "user", "text": text, "timestamp": CONSENT_AT}, {"event": "slot", "name": field_name, "value": text}]
    return tracker({"requested_slot": field_name, field_name: text}, events=history)


def test_an_answer_that_cannot_be_understood_is_asked_again(spool: SpoolDirectory) -> None:
    messages, events = run(referral_actions.ValidateReferralForm(), answered("child_age", "not sure really"))
    assert "age" in messages[0]["text"].lower()
    assert SlotSet("child_age", None) in events


def test_a_child_missing_now_gets_the_missing_help_and_is_recorded(spool: SpoolDirectory) -> None:
    messages, events = run(referral_actions.ValidateReferralForm(), answered("child_missing_now", "yes she is"))
    assert messages[0]["response"] == "utter_safety_missing_now"
    assert SlotSet("child_missing_now", True) in events
    recorded = next(e["value"] for e in events if e["name"] == "safety_events")
    assert recorded[-1]["type"] == "child_missing"


def test_changing_an_answer_forgets_only_that_answer_and_asks_again() -> None:
    entities = [{"entity": "field", "value": "area"}]
    _, events = run(referral_actions.ActionReferralChange(), tracker(dict(ALL_ANSWERED), entities=entities))
    assert events == [SlotSet("area", None), FollowupAction("referral_form")]


def test_stop_forgets_every_answer() -> None:
    messages, events = run(referral_actions.ActionReferralCancel(), tracker(dict(ALL_ANSWERED)))
    assert "nothing you told me has been kept" in messages[0]["text"]
    assert {e["name"] for e in events} == set(form.FORM_FIELDS)
    assert all(e["value"] is None for e in events)


def test_a_broken_setup_keeps_the_answers_and_gives_the_phone_route(
    spool: SpoolDirectory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DATA_ENCRYPTION_KEYS", "not-a-fernet-key")
    messages, events = run(referral_actions.ActionReferralSubmit(), tracker(dict(ALL_ANSWERED)))
    assert "couldn't send your details" in messages[0]["text"] and "0808 800 5000" in messages[0]["text"]
    assert events == []  # nothing cleared: "Send it" can be tried again
    assert "Sam" not in caplog.text and "Leeds" not in caplog.text
