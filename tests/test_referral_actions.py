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
from tests.helpers import ALL_ANSWERED

KEY = generate_key()
CONSENT_AT = 1_790_000_000.0
# The consent step and the parent's yes to it, as Rasa records them.
CONSENTED = [
    {"event": "action", "name": "action_referral_consent", "timestamp": CONSENT_AT},
    {"event": "user", "text": "/affirm", "parse_data": {"intent": {"name": "affirm"}}, "timestamp": CONSENT_AT + 10},
]


def tracker(slots: dict[str, Any], *, entities: list[dict] | None = None, events: list[dict] | None = None) -> Tracker:
    latest = {"intent": {"name": "affirm", "confidence": 1.0}, "entities": entities or [], "text": "/affirm"}
    history = events or [*CONSENTED, {"event": "user", "text": "my son is being used to run drugs", "timestamp": CONSENT_AT + 30}]
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
    history = [
        *CONSENTED,
        {"event": "user", "text": text, "timestamp": CONSENT_AT + 20},
        {"event": "slot", "name": field_name, "value": text},
    ]
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


# --- the self-referral never goes ahead without the parent's yes (forged or typed payloads) -----------

NO_CONSENT = [{"event": "user", "text": "/referral_change{\"field\":\"area\"}", "timestamp": CONSENT_AT}]


@pytest.mark.parametrize(
    "action",
    [referral_actions.ActionReferralReview(), referral_actions.ActionReferralChange(), referral_actions.ActionReferralSubmit()],
    ids=lambda action: action.name(),
)
def test_without_a_yes_to_consent_every_step_goes_back_to_the_consent_step(
    action: Any, engine: Engine, spool: SpoolDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ReferralStore(engine, Cipher([KEY]))
    use_store(monkeypatch, store)
    entities = [{"entity": "field", "value": "area"}]
    messages, events = run(action, tracker(dict(ALL_ANSWERED), entities=entities, events=NO_CONSENT))
    assert events == [FollowupAction(form.CONSENT_ACTION)]
    assert messages == []  # no answers shown, none forgotten, nothing sent
    assert store.list_recent() == []
    assert not spool.path.exists() or not list(spool.path.iterdir())


def test_without_consent_the_form_asks_no_questions() -> None:
    validator = referral_actions.ValidateReferralForm()
    without = asyncio.run(validator.required_slots([], CollectingDispatcher(), tracker({}, events=NO_CONSENT), {}))
    with_yes = asyncio.run(validator.required_slots([], CollectingDispatcher(), tracker({}), {}))
    assert without == [] and "preferred_name" in with_yes


@pytest.mark.parametrize(
    ("history", "given"),
    [
        (CONSENTED, True),
        ([CONSENTED[0], {"event": "user", "text": "no", "parse_data": {"intent": {"name": "deny"}}}], False),
        ([CONSENTED[0], {"event": "user", "text": "/affirm", "parse_data": {"intent": {"name": "affirm"}}},
          {"event": "action", "name": "action_referral_cancel"}], False),
        ([{"event": "user", "text": "/affirm", "parse_data": {"intent": {"name": "affirm"}}}], False),
        ([], False),
    ],
    ids=["yes", "said no", "yes then stop", "yes with no consent step", "nothing"],
)
def test_consent_is_read_from_the_conversation_itself(history: list[dict[str, Any]], given: bool) -> None:
    assert form.consent_given(history) is given
