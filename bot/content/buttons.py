"""Buttons as parents see them: the payloads they send, the standard ones (worded in messages.yml), and editors'
buttons expanded.

Rendering, like bot.content.render: the domain's generated replies (domain_responses) and the conversation
(bot.conversation) both use it, so it lives with the content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bot.content.models import Button, Content, Topic, fill
from bot.safety.intents import SAFETY_INTENTS

# Payloads sent by buttons. Intents and entities are declared in the Rasa domain (domain/).
NEXT = "/topic_next"
MORE = "/topic_more"
MENU = "/menu"
TALK = "/talk_to_someone"
HELP_NOW = "/help_now"

# The payload of each standard button; its words are the content's (messages.yml `buttons:`, bot.content.words).
STANDARD_PAYLOADS = {
    "next": NEXT,
    "more": MORE,
    "menu": MENU,
    "talk_to_someone": TALK,
    "help_now": HELP_NOW,
    "something_else": MENU,
    # The "yes" to a check question: the full safety reply.
    **{intent: "/" + intent for intent in SAFETY_INTENTS},
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


def standard_buttons(content: Content, *keys: str) -> list[dict[str, str]]:
    return [{"title": content.buttons[key], "payload": STANDARD_PAYLOADS[key]} for key in keys]


def carry_on_button(content: Content, topic: Topic, step_id: str) -> dict[str, str]:
    """Back to exactly where the parent was in a topic."""
    return {"title": fill(content.buttons["carry_on"], topic=topic.title), "payload": open_topic_payload(f"{topic.id}/{step_id}")}


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
        elif button.goto in STANDARD_PAYLOADS:
            standard = standard_buttons(content, button.goto)[0]
            expanded.append({"title": button.title or standard["title"], "payload": standard["payload"]})
        else:
            target = content.topics.get(button.goto.partition("/")[0])
            title = button.title or (target.title if target else button.goto)
            expanded.append({"title": title, "payload": open_topic_payload(button.goto)})
    return expanded
