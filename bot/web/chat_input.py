"""Validate and clean what a browser sends to the chat endpoint."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.content.words import WordedError
from bot.payloads import typed_message
from bot.text import clean_message

SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class ChatInputError(WordedError):
    """The request cannot be passed on; its words are in content/web.yml `chat_errors:`."""


@dataclass(frozen=True)
class ChatInput:
    sender: str
    message: str


def parse_chat_input(body: object, max_chars: int) -> ChatInput:
    if not isinstance(body, dict):
        raise ChatInputError("not_object")
    sender = body.get("sender")
    message = body.get("message")
    if not isinstance(sender, str) or not SENDER_PATTERN.match(sender):
        raise ChatInputError("bad_sender")
    if not isinstance(message, str):
        raise ChatInputError("not_text")
    cleaned = typed_message(clean_message(message))
    if not cleaned:
        raise ChatInputError("empty")
    if len(cleaned) > max_chars:
        raise ChatInputError("too_long", 413, count=len(cleaned), max=max_chars)
    return ChatInput(sender=sender, message=cleaned)


def clean_bot_messages(raw: object) -> list[dict[str, object]]:
    """Keep only the text and buttons of Rasa's reply, as plain strings."""
    messages: list[dict[str, object]] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        text = item.get("text")
        buttons = [
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in item.get("buttons") or []
            if isinstance(b, dict) and b.get("payload")
        ]
        if isinstance(text, str) or buttons:
            messages.append({"text": text if isinstance(text, str) else "", "buttons": buttons})
    return messages
