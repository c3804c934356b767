"""The custom actions, run with rasa-sdk's own dispatcher and tracker (no server)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.actions as project_actions
from bot.content.store import ContentStore
from tests.helpers import SHIPPED_CONTENT_DIR, shipped_domain, write_content


def tracker(
    intent: str, *, entities: list[dict[str, Any]] | None = None, ranking: list[dict] | None = None, **slots: Any
) -> Tracker:
    latest = {"intent": {"name": intent, "confidence": 0.99}, "entities": entities or [], "text": "hidden"}
    if ranking is not None:
        latest["intent_ranking"] = ranking
    all_slots = {"current_topic": None, "current_step": None, "topics_viewed": None, **slots}
    return Tracker("parent-1", all_slots, latest, [], False, None, {}, "action_listen")


def run(action: Any, tracker_: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, {}))
    return dispatcher.messages, events


@pytest.fixture(autouse=True)
def test_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(project_actions, "CONTENT", ContentStore(write_content(tmp_path)))


def test_topic_intent_opens_its_topic_and_records_it() -> None:
    messages, events = run(project_actions.ActionStartTopic(), tracker("grooming_info"))
    assert messages[0]["text"].startswith("You are not to blame")
    assert {b["payload"] for b in messages[0]["buttons"]} >= {"/topic_next", "/help_now", "/talk_to_someone"}
    assert SlotSet("current_topic", "grooming") in events
    assert SlotSet("current_step", "start") in events
    assert SlotSet("topics_viewed", ["grooming"]) in events


def test_button_entity_opens_the_named_step() -> None:
    entities = [{"entity": "topic", "value": "grooming/end"}]
    _, events = run(project_actions.ActionStartTopic(), tracker("open_topic", entities=entities))
    assert SlotSet("current_step", "end") in events


def test_next_moves_on_from_the_slots() -> None:
    messages, events = run(
        project_actions.ActionTopicNext(), tracker("topic_next", current_topic="grooming", current_step="start")
    )
    assert messages[0]["text"].startswith("Call 999")
    assert SlotSet("current_step", "middle") in events


def test_topic_already_viewed_is_not_listed_twice() -> None:
    _, events = run(project_actions.ActionStartTopic(), tracker("grooming_info", topics_viewed=["grooming"]))
    assert not any(e["name"] == "topics_viewed" for e in events)


@pytest.fixture
def shipped_content(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(project_actions, "CONTENT", ContentStore(SHIPPED_CONTENT_DIR))


def test_a_small_talk_intent_gets_its_message_from_the_content() -> None:
    messages, _ = run(project_actions.ActionReply(), tracker("bot_challenge"))
    assert messages[0]["text"].startswith("bot_challenge text")  # the test content's wording for it


@pytest.mark.usefixtures("shipped_content")
def test_bot_challenge_says_it_is_automated() -> None:
    messages, _ = run(project_actions.ActionReply(), tracker("bot_challenge"))
    text = messages[0]["text"]
    assert "not a person" in text and "automated assistant" in text and "not an emergency service" in text
    assert "/talk_to_someone" in [b["payload"] for b in messages[0]["buttons"]]


@pytest.mark.usefixtures("shipped_content")
def test_fallback_offers_topics_a_person_and_help() -> None:
    plain, _ = run(project_actions.ActionFallback(), tracker("nlu_fallback"))
    payloads = [b["payload"] for b in plain[0]["buttons"]]
    assert payloads[0].startswith('/menu{"group":')  # the topics, by group
    assert "/talk_to_someone" in payloads and "/help_now" in payloads and "999" in plain[0]["text"]

    unsure = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "grooming_info", "confidence": 0.3}]
    choices, _ = run(project_actions.ActionFallback(), tracker("nlu_fallback", ranking=unsure))
    titles = [b["title"] for b in choices[0]["buttons"]]
    assert "How grooming works" in titles and "Talk to someone" in titles and "Something else" in titles
    assert "116 123" in choices[0]["text"]  # Samaritans, for a parent for whom things feel too much


def test_unreadable_content_still_gives_the_emergency_response(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "empty"
    broken.mkdir()
    monkeypatch.setattr(project_actions, "CONTENT", ContentStore(broken))
    messages, events = run(project_actions.ActionShowMenu(), tracker("menu"))
    assert [m["response"] for m in messages] == ["utter_help_now"]
    assert events == []


def test_the_action_server_registers_every_action_the_domain_names() -> None:
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    domain_actions = shipped_domain()["actions"]
    assert set(executor.actions) == set(domain_actions)


@pytest.fixture
def grouped_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_content(tmp_path / "grouped")
    (root / "menu.yml").write_text("groups:\n  - id: understanding\n    title: Understanding\n    topics: [grooming]\n")
    monkeypatch.setattr(project_actions, "CONTENT", ContentStore(root))


@pytest.mark.usefixtures("grouped_content")
def test_the_menu_shows_groups_and_a_group_button_opens_its_topics() -> None:
    first, _ = run(project_actions.ActionShowMenu(), tracker("menu"))
    assert [b["payload"] for b in first[0]["buttons"]] == ['/menu{"group":"understanding"}', "/talk_to_someone", "/help_now"]
    page, events = run(project_actions.ActionShowMenu(), tracker("menu", entities=[{"entity": "group", "value": "understanding"}]))
    assert [b["payload"] for b in page[0]["buttons"]][0] == '/open_topic{"topic":"grooming"}'
    assert SlotSet("current_topic", None) in events


@pytest.mark.usefixtures("grouped_content")
@pytest.mark.parametrize("forged", [{"nested": "x"}, ["understanding"], 7, "../understanding", "nope"])
def test_a_forged_group_entity_gives_the_first_menu(forged: object) -> None:
    first, _ = run(project_actions.ActionShowMenu(), tracker("menu"))
    page, _ = run(project_actions.ActionShowMenu(), tracker("menu", entities=[{"entity": "group", "value": forged}]))
    assert page == first


def test_a_topic_from_the_parents_words_offers_the_next_likeliest_but_a_button_never_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers import topic

    monkeypatch.setattr(project_actions, "CONTENT", ContentStore(write_content(tmp_path, topics=[
        topic("grooming", "grooming_info", order=1), topic("court", "court_info", order=2)])))
    ranking = [{"name": "grooming_info", "confidence": 0.6}, {"name": "court_info", "confidence": 0.3}]
    messages, events = run(project_actions.ActionStartTopic(), tracker("grooming_info", ranking=ranking))
    assert messages[0]["text"].startswith("You are not to blame") and SlotSet("current_topic", "grooming") in events
    assert messages[1]["text"].startswith("other_topics text")  # the test content's wording for it
    assert '/open_topic{"topic":"court"}' in [b["payload"] for b in messages[1]["buttons"]]
    entities = [{"entity": "topic", "value": "grooming"}]
    messages, _ = run(project_actions.ActionStartTopic(), tracker("open_topic", entities=entities, ranking=ranking))
    assert len(messages) == 1  # the parent chose it: no second guess
