"""Button payloads: what a typed message may carry, and what an entity value may be.

Rasa reads any message that starts with "/" as an intent with entities ("/open_topic{"topic":"court"}"),
with full confidence and no model in between. A parent's widget sends such payloads when a button is
pressed; anyone can also type one. So a typed payload is passed on only where it has the exact shape
of a payload the assistant offers on its buttons: one of the intents below, with at most the named
entities, each a short plain string. Anything else ("/danger_now", "/nlu_fallback", a made-up
intent, a confidence suffix, a nested or oversized entity) loses its leading slashes and is read as
words by the model and the safety net, so nothing the parent wrote is dropped.

What a payload may do once it arrives is still checked in the conversation (for example, the
self-referral never starts without the parent's recorded consent: bot/handoff/form.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable

from bot.safety.intents import SAFETY_INTENTS

# Intents that the assistant's buttons carry (bot/conversation.py, bot/handoff/form.py, content/).
BUTTON_INTENTS = frozenset(
    {
        "greet",  # the widget's own first message, for the welcome
        "open_topic",
        "topic_next",
        "topic_more",
        "menu",
        "talk_to_someone",
        "help_now",
        "affirm",
        "deny",
        "cancel",
        "referral_change",
        "referral_resume",
        # The "yes" buttons of the check questions: each gives the full safety reply.
        *SAFETY_INTENTS,
    }
)
# Entities a button may carry, by name.
BUTTON_ENTITIES = frozenset({"topic", "field", "group"})
# A topic id, a topic/step address, a form field name, or a menu group id.
ENTITY_VALUE = re.compile(r"^[a-z0-9_]{1,60}(?:/[a-z0-9_]{1,60})?$")
_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]{1,40})(?P<entities>\{.{0,200}\})?$", re.DOTALL)


def is_offered_payload(message: str) -> bool:
    """Whether `message` has the exact shape of a payload the assistant's buttons send."""
    match = _PAYLOAD.match(message)
    if not match or match["intent"] not in BUTTON_INTENTS:
        return False
    if match["entities"] is None:
        return True
    try:
        entities = json.loads(match["entities"])
    except ValueError:
        return False
    return (
        isinstance(entities, dict)
        and len(entities) <= 1
        and all(name in BUTTON_ENTITIES and valid_entity_value(value) for name, value in entities.items())
    )


def typed_message(message: str) -> str:
    """What to pass to Rasa for a message: an offered payload as it is, anything else as words."""
    if not message.startswith("/") or is_offered_payload(message):
        return message
    return message.lstrip("/").strip()


def valid_entity_value(value: object) -> bool:
    return isinstance(value, str) and bool(ENTITY_VALUE.match(value))


def first_entity(values: Iterable[object], allowed: Collection[str] | None = None) -> str | None:
    """The first entity value that is a short plain string (and one of `allowed`, if given).

    Entity values come from whatever the message carried: a list, a number or a nested object must
    never reach the conversation logic.
    """
    for value in values:
        if valid_entity_value(value) and (allowed is None or value in allowed):
            return str(value)
    return None
