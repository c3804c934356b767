"""Typed button payloads: only the shapes the assistant offers pass as payloads (issue 11, item 6)."""

from __future__ import annotations

import pytest

from bot.payloads import first_entity, typed_message
from bot.web.chat_input import parse_chat_input

SENDER = "widget-abcdef123456"


@pytest.mark.parametrize(
    "payload",
    [
        "/menu",
        "/help_now",
        "/topic_next",
        "/affirm",
        '/open_topic{"topic":"court"}',
        '/open_topic{"topic":"grooming/what_it_is"}',
        '/referral_change{"field":"area"}',
        '/menu{"group":"keeping_safe"}',
    ],
)
def test_payloads_the_buttons_send_pass_unchanged(payload: str) -> None:
    assert parse_chat_input({"sender": SENDER, "message": payload}, 1000).message == payload


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("/check_danger_now", "check_danger_now"),  # internal intents: read as words
        ("/nlu_fallback", "nlu_fallback"),
        ("/affirm@0.01", "affirm@0.01"),  # Rasa's confidence suffix
        ('/open_topic{"topic":{"id":"court"}}', 'open_topic{"topic":{"id":"court"}}'),  # a nested entity
        ('/open_topic{"topic":["court","home"]}', 'open_topic{"topic":["court","home"]}'),
        ('/open_topic{"topic":"' + "x" * 300 + '"}', 'open_topic{"topic":"' + "x" * 300 + '"}'),
        ('/referral_change{"field":"area","preferred_name":"Sam"}', 'referral_change{"field":"area","preferred_name":"Sam"}'),
        ('/open_topic{"name":"court"}', 'open_topic{"name":"court"}'),  # an entity no button carries
        ('/menu{"group":"../services"}', 'menu{"group":"../services"}'),  # not a group id
        ('/menu{"group":"services","topic":"court"}', 'menu{"group":"services","topic":"court"}'),
        ('/menu{"group":"Sérvices"}', 'menu{"group":"Sérvices"}'),
        ("//help me please", "help me please"),
        ("/ my son is missing", "my son is missing"),
    ],
)
def test_anything_else_that_starts_with_a_slash_is_read_as_words(typed: str, sent: str) -> None:
    assert typed_message(typed) == sent


def test_a_lone_slash_is_an_empty_message() -> None:
    with pytest.raises(ValueError, match="empty"):
        parse_chat_input({"sender": SENDER, "message": "/"}, 1000)


@pytest.mark.parametrize(
    ("values", "allowed", "expected"),
    [
        (["court"], None, "court"),
        ([{"id": "court"}, "home"], None, "home"),
        ([["court"], 3, None, True], None, None),
        (["preferred_name"], {"area"}, None),
        (["area"], {"area"}, "area"),
        (["x" * 200], None, None),
        (["<script>"], None, None),
    ],
)
def test_entity_values_are_short_plain_strings(values: list[object], allowed: set[str] | None, expected: str | None) -> None:
    assert first_entity(values, allowed) == expected


def test_every_payload_the_assistant_offers_passes_the_relay_unchanged() -> None:
    from bot import conversation
    from bot.config import PROJECT_ROOT
    from bot.content.store import ContentStore
    from bot.handoff import form

    content = ContentStore(PROJECT_ROOT / "content").get()
    offered = [conversation.message(content, message_id) for message_id in content.messages]
    offered += [conversation.menu(content)]
    for topic in content.topics.values():
        offered += [conversation.start_topic(content, f"{topic.id}/{step.id}").messages[0] for step in topic.steps]
    offered += [form.consent(content), form.resume_offer(content), form.review(content, {}), form.change_choices(content, {})]
    payloads = {button["payload"] for message in offered for button in message.buttons if button["payload"].startswith("/")}
    payloads |= {"/greet"}  # what the widget sends when it opens (bot/web/static/widget.js)
    assert len(payloads) > 30
    assert sorted(p for p in payloads if typed_message(p) != p) == []
