"""Buttons as parents see them: the payloads they send, their standard labels, and editors' buttons expanded.

Rendering, like bot.content.render: the domain's generated replies (domain_responses) and the conversation
(bot.conversation) both use it, so it lives with the content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bot.content.models import Button, Content, Topic
from bot.safety.intents import SAFETY_INTENTS

# Payloads sent by buttons. Intents and entities are declared in the Rasa domain (domain/).
NEXT = "/topic_next"
MORE = "/topic_more"
MENU = "/menu"
TALK = "/talk_to_someone"
HELP_NOW = "/help_now"

DEFAULT_LABELS = {
    "next": "Next",
    "more": "Tell me more",
    "menu": "Back to topics",
    "talk_to_someone": "Talk to someone",
    "help_now": "I need help now",
    "something_else": "Something else",
    # The "yes" to a check question: the full safety reply.
    "danger_now": "Yes, someone is in danger now",
    "missing_now": "Yes, my child is missing now",
    "parent_crisis": "Yes, I feel like that",
    "confront_perpetrator": "Yes, I'm thinking of it",
}


@dataclass(frozen=True)
class BotMessage:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)


def open_topic_payload(goto: str) -> str:
    return "/open_topic" + json.dumps({"topic": goto}, separators=(",", ":"))


def open_group_payload(group_id: str) -> str:
    """The menu intent with the group to open (content/menu.yml)."""
    return MENU + json.dumps({"group": group_id}, separators=(",", ":"))


def standard_buttons(*keys: str) -> list[dict[str, str]]:
    payloads = {
        "next": NEXT,
        "more": MORE,
        "menu": MENU,
        "talk_to_someone": TALK,
        "help_now": HELP_NOW,
        "something_else": MENU,
        **{intent: "/" + intent for intent in SAFETY_INTENTS},
    }
    return [{"title": DEFAULT_LABELS[key], "payload": payloads[key]} for key in keys]


def topic_button(topic: Topic) -> dict[str, str]:
    return {"title": topic.title, "payload": open_topic_payload(topic.id)}


def topic_buttons(content: Content) -> list[dict[str, str]]:
    """The first menu: a button per group (then any menu topic no group lists), or the topics themselves."""
    if not content.menu_groups:
        return [topic_button(topic) for topic in content.menu_topics()]
    groups = [{"title": group.title, "payload": open_group_payload(group.id)} for group in content.menu_groups]
    return groups + [topic_button(topic) for topic in content.ungrouped_menu_topics()]


def expand_buttons(buttons: tuple[Button, ...], content: Content) -> list[dict[str, str]]:
    expanded: list[dict[str, str]] = []
    for button in buttons:
        if button.goto == "topics":
            expanded.extend(topic_buttons(content))
        elif button.goto in DEFAULT_LABELS:
            standard = standard_buttons(button.goto)[0]
            expanded.append({"title": button.title or standard["title"], "payload": standard["payload"]})
        else:
            target = content.topics.get(button.goto.partition("/")[0])
            title = button.title or (target.title if target else button.goto)
            expanded.append({"title": title, "payload": open_topic_payload(button.goto)})
    return expanded
