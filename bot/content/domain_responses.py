"""The replies that must work with the action server down, as Rasa domain responses built from content/messages.yml.

Help now, the safety replies, the check questions and the apology for a failed action are plain Rasa
responses (`utter_<message id>`, for messages marked `domain_response: true`), so that the Rasa server
can send them on its own. Their wording, numbers and buttons still come from content/: `bot.domain`
writes them into a generated domain file, and the content check fails when that file has drifted.
"""

from __future__ import annotations

from typing import Any

from bot.content.buttons import expand_buttons
from bot.content.models import Content
from bot.content.render import render


def _literal(text: str) -> str:
    """Text that Rasa's response templating leaves as it is.

    Rasa fills `{slot}` placeholders in response texts and button payloads; a payload such as
    `/open_topic{"topic":"recording"}` would be taken for one (and logged as an error, with slot
    values). Doubled braces are Rasa's escape: they come out single.
    """
    return text.replace("{", "{{").replace("}", "}}")


def domain_responses(content: Content) -> dict[str, list[dict[str, Any]]]:
    """`utter_<id>` for every message marked `domain_response`, sorted by id, with its buttons expanded."""
    responses: dict[str, list[dict[str, Any]]] = {}
    for message in sorted(content.messages.values(), key=lambda m: m.id):
        if not message.domain_response:
            continue
        response: dict[str, Any] = {"text": _literal(render(message.text, content.services))}
        buttons = expand_buttons(message.buttons, content)
        if buttons:
            response["buttons"] = [
                {"title": _literal(button["title"]), "payload": _literal(button["payload"])} for button in buttons
            ]
        responses[f"utter_{message.id}"] = [response]
    return responses
