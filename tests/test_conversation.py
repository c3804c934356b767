"""Guided topics: steps in order, the right buttons, and safe recovery when content changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot import conversation
from bot.config import PROJECT_ROOT
from bot.content.loader import load_content
from bot.content.store import ContentStore
from bot.conversation import HELP_NOW, MENU, MORE, NEXT, TALK, Place
from tests.helpers import PLAIN, topic, write_content


def load(tmp_path: Path, topics: list[dict] | None = None):
    content, findings = load_content(write_content(tmp_path, topics=topics))
    assert [f for f in findings if f.is_error] == []
    return content


def payloads(message: conversation.BotMessage) -> list[str]:
    return [b["payload"] for b in message.buttons]


def test_first_step_has_next_more_topics_talk_and_help(tmp_path: Path) -> None:
    turn = conversation.start_topic(load(tmp_path), "grooming")
    assert turn.place == Place("grooming", "start")
    assert turn.opened_topic == "grooming"
    assert payloads(turn.messages[0]) == [NEXT, MORE, MENU, TALK, HELP_NOW]


def test_references_are_filled_from_the_services_directory(tmp_path: Path) -> None:
    content = load(tmp_path)
    turn = conversation.next_step(content, Place("grooming", "start"))
    assert turn.messages[0].text.startswith("Call 999 if your child is in danger.")
    assert "{{" not in turn.messages[0].text


def test_last_step_has_no_next_and_then_the_topic_ends(tmp_path: Path) -> None:
    content = load(tmp_path)
    last = conversation.next_step(content, Place("grooming", "middle"))
    assert last.place == Place("grooming", "end")
    assert NEXT not in payloads(last.messages[0])
    end = conversation.next_step(content, last.place)
    assert end.place == Place()
    assert end.messages[0].text.startswith("topic_end text")


def test_tell_me_more_shows_detail_and_keeps_the_place(tmp_path: Path) -> None:
    content = load(tmp_path)
    turn = conversation.tell_me_more(content, Place("grooming", "start"))
    assert turn.messages[0].text.startswith("Here is a bit more.")
    assert turn.place == Place("grooming", "start")
    assert MORE not in payloads(turn.messages[0])


def test_goto_button_opens_another_topic_at_a_step(tmp_path: Path) -> None:
    linked = topic(steps=[{"id": "start", "text": PLAIN, "buttons": [{"title": "Jump", "goto": "other/end"}]}])
    other = topic("other", intent="other_info", order=2)
    content = load(tmp_path, topics=[linked, other])
    first = conversation.start_topic(content, "grooming").messages[0]
    assert first.buttons[0] == {"title": "Jump", "payload": '/open_topic{"topic":"other/end"}'}
    assert conversation.start_topic(content, "other/end").place == Place("other", "end")


def test_a_place_removed_by_an_editor_falls_back_to_the_menu(tmp_path: Path) -> None:
    content = load(tmp_path)
    turn = conversation.next_step(content, Place("grooming", "deleted_step"))
    assert turn.place == Place()
    assert any(b["payload"].startswith("/open_topic") for b in turn.messages[0].buttons)


def test_unknown_topic_says_so_and_offers_the_menu(tmp_path: Path) -> None:
    turn = conversation.start_topic(load(tmp_path), "nothing_here")
    assert turn.messages[0].text.startswith("content_unavailable text")
    assert turn.opened_topic is None


def test_yes_inside_a_topic_moves_on_but_outside_is_small_talk(tmp_path: Path) -> None:
    content = load(tmp_path)
    inside = conversation.reply(content, "affirm", Place("grooming", "start"))
    assert inside.place == Place("grooming", "middle")
    outside = conversation.reply(content, "affirm", Place())
    assert outside.messages[0].text.startswith("affirm text")


def test_menu_lists_menu_topics_in_order_plus_talk_and_help(tmp_path: Path) -> None:
    hidden = topic("exercise", intent=None, order=0, menu=False)
    second = topic("second", intent="second_info", order=2)
    content = load(tmp_path, topics=[second, topic(), hidden])
    titles = [b["title"] for b in conversation.show_menu(content).messages[0].buttons]
    assert titles[:2] == ["Grooming", "Second"]
    assert "Exercise" not in titles
    assert titles[-2:] == ["Talk to someone", "I need help now"]


# ---- The grouped menu (content/menu.yml) -------------------------------------------------------------

GROUPS = {
    "groups": [
        {"id": "first", "title": "First group", "text": "These are the first ones. " + PLAIN, "topics": ["second", "grooming"]},
        {"id": "last", "title": "Last group", "topics": ["third"]},
    ]
}


def grouped(tmp_path: Path, menu: dict = GROUPS, extra: list[dict] | None = None):
    topics = [topic(), topic("second", intent="second_info", order=2), topic("third", intent="third_info", order=3)]
    root = write_content(tmp_path, topics=topics + (extra or []))
    (root / "menu.yml").write_text(yaml.safe_dump(menu, sort_keys=False))
    content, findings = load_content(root)
    return content, findings


def test_a_grouped_menu_shows_the_groups_then_talk_and_help(tmp_path: Path) -> None:
    content, findings = grouped(tmp_path)
    assert [f for f in findings if f.is_error] == []
    first = conversation.show_menu(content).messages[0]
    assert [b["title"] for b in first.buttons] == ["First group", "Last group", "Talk to someone", "I need help now"]
    assert first.buttons[0]["payload"] == '/menu{"group":"first"}'


def test_a_group_lists_its_topics_in_its_own_order_with_the_way_back(tmp_path: Path) -> None:
    content, _ = grouped(tmp_path)
    turn = conversation.show_menu(content, "first")
    page = turn.messages[0]
    assert page.text.startswith("These are the first ones.")
    assert [b["title"] for b in page.buttons] == ["Second", "Grooming", "Back to topics", "Talk to someone", "I need help now"]
    assert payloads(page)[:2] == ['/open_topic{"topic":"second"}', '/open_topic{"topic":"grooming"}']
    assert turn.place == Place()


def test_a_group_without_text_uses_the_menu_message(tmp_path: Path) -> None:
    content, _ = grouped(tmp_path)
    assert conversation.show_menu(content, "last").messages[0].text.startswith("menu text")


@pytest.mark.parametrize("unknown", ["nope", "", "first/second", "FIRST", "first\u200b"])
def test_an_unknown_or_odd_group_gives_the_first_menu(tmp_path: Path, unknown: str) -> None:
    content, _ = grouped(tmp_path)
    assert conversation.show_menu(content, unknown).messages[0] == conversation.show_menu(content).messages[0]


def test_a_menu_topic_no_group_lists_is_still_offered_on_the_first_menu(tmp_path: Path) -> None:
    content, _ = grouped(tmp_path, extra=[topic("stray", intent="stray_info", order=9)])
    titles = [b["title"] for b in conversation.show_menu(content).messages[0].buttons]
    assert titles == ["First group", "Last group", "Stray", "Talk to someone", "I need help now"]


def test_without_a_menu_file_the_topics_themselves_are_the_menu(tmp_path: Path) -> None:
    content = load(tmp_path)
    assert content.menu_groups == ()
    assert payloads(conversation.show_menu(content).messages[0])[0] == '/open_topic{"topic":"grooming"}'


# ---- The shipped menu: short on a phone, every topic close ---------------------------------------------

SHIPPED = ContentStore(PROJECT_ROOT / "content").get()


def tap(content, payload: str) -> conversation.Turn:
    """What a button's payload does, as the rules and actions answer it (data/rules.yml, actions/)."""
    intent, _, entities = payload[1:].partition("{")
    values = json.loads("{" + entities) if entities else {}
    if intent == "menu":
        return conversation.show_menu(content, values.get("group"))
    if intent == "open_topic":
        return conversation.start_topic(content, values["topic"])
    return conversation.Turn([], Place())  # talk to someone, help now: not a way to a topic


def opened_within(content, taps: int) -> set[str]:
    opened: set[str] = set()
    frontier = [conversation.show_menu(content).messages[0]]
    for _ in range(taps):
        turns = [tap(content, button["payload"]) for shown in frontier for button in shown.buttons]
        opened |= {turn.opened_topic for turn in turns if turn.opened_topic}
        frontier = [m for turn in turns for m in turn.messages]
    return opened


def test_the_shipped_first_menu_fits_a_phone_and_keeps_talk_and_help() -> None:
    first = conversation.show_menu(SHIPPED).messages[0]
    titles = [b["title"] for b in first.buttons]
    assert len(titles) <= 7 and titles[-2:] == ["Talk to someone", "I need help now"]
    assert all(len(title) <= 40 for title in titles)
    assert [b["payload"] for b in first.buttons][-2:] == [TALK, HELP_NOW]


def test_every_shipped_menu_topic_is_at_most_two_taps_from_the_first_menu() -> None:
    menu_topics = {topic.id for topic in SHIPPED.topics.values() if topic.menu}
    assert len(menu_topics) >= 26
    assert menu_topics - opened_within(SHIPPED, 2) == set()


def test_every_shipped_topic_at_all_can_be_reached_from_the_menu() -> None:
    """The grounding exercises (menu: false) open from the grounding topic: one tap more."""
    assert set(SHIPPED.topics) - opened_within(SHIPPED, 3) == set()


def test_every_shipped_group_page_fits_a_phone_with_the_way_back() -> None:
    for group in SHIPPED.menu_groups:
        page = conversation.show_menu(SHIPPED, group.id).messages[0]
        assert len(page.buttons) <= 10, group.id
        assert [b["payload"] for b in page.buttons][-3:] == [MENU, TALK, HELP_NOW]


# ---- a topic understood from the parent's words, with the close alternatives ------------------------------------


def three_topics(tmp_path: Path):
    return load(tmp_path, topics=[
        topic("grooming", "grooming_info", order=1),
        topic("court", "court_info", order=2),
        topic("police", "police_info", order=3),
    ])


def test_a_topic_understood_from_words_offers_the_other_likely_topics_after_it(tmp_path: Path) -> None:
    content = three_topics(tmp_path)
    ranking = [
        {"name": "grooming_info", "confidence": 0.7},
        {"name": "greet", "confidence": 0.12},  # not a topic: never offered
        {"name": "court_info", "confidence": 0.2},
        {"name": "police_info", "confidence": conversation.OTHER_TOPICS_MIN_CONFIDENCE},
    ]
    turn = conversation.understood_topic(content, content.topics["grooming"], ranking)
    assert turn.messages[0] == conversation.start_topic(content, "grooming").messages[0]  # the topic comes first
    assert turn.place == Place("grooming", "start") and turn.opened_topic == "grooming"
    offer = turn.messages[1]
    assert offer.text == conversation.message(content, "other_topics").text
    assert payloads(offer)[-2:] == [conversation.open_topic_payload("court"), conversation.open_topic_payload("police")]


def test_no_alternatives_when_the_model_gave_the_others_next_to_no_weight(tmp_path: Path) -> None:
    content = three_topics(tmp_path)
    below = conversation.OTHER_TOPICS_MIN_CONFIDENCE - 0.01
    ranking = [{"name": "grooming_info", "confidence": 0.8}, {"name": "court_info", "confidence": below}]
    turn = conversation.understood_topic(content, content.topics["grooming"], ranking)
    assert turn.messages == conversation.start_topic(content, "grooming").messages


def test_the_shown_topic_is_never_offered_again_and_at_most_two_others_are(tmp_path: Path) -> None:
    content = load(tmp_path, topics=[topic(f"t{i}", f"t{i}_info", order=i) for i in range(5)])
    ranking = [{"name": f"t{i}_info", "confidence": 0.2} for i in (0, 1, 0, 2, 3)]
    turn = conversation.understood_topic(content, content.topics["t0"], ranking)
    offered = [p for p in payloads(turn.messages[1]) if p.startswith("/open_topic")]
    assert offered == [conversation.open_topic_payload("t1"), conversation.open_topic_payload("t2")]


@pytest.mark.parametrize("ranking", [[], [{"name": 3}], ["court_info"], [{"name": "court_info", "confidence": "high"}]])
def test_an_odd_ranking_just_opens_the_topic(tmp_path: Path, ranking: list) -> None:
    content = three_topics(tmp_path)
    turn = conversation.understood_topic(content, content.topics["grooming"], ranking)
    assert turn.messages == conversation.start_topic(content, "grooming").messages
