"""Guided topics: steps in order, the right buttons, and safe recovery when content changes."""

from __future__ import annotations

from pathlib import Path

from bot import conversation
from bot.content.loader import load_content
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
