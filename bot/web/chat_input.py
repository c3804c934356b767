"""Validate and clean what a browser sends to the chat endpoint."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Control characters other than tab and newline, and bidirectional overrides (used to disguise
# text); they carry no meaning in a chat message. Joiners used by emoji are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class ChatInputError(ValueError):
    """The request cannot be passed on; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ChatInput:
    sender: str
    message: str


def clean_message(text: str) -> str:
    """NFC-normalise, replace unpaired surrogates, drop control characters, trim."""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = unicodedata.normalize("NFC", text)
    return _CONTROL.sub("", text).strip()


def parse_chat_input(body: object, max_chars: int) -> ChatInput:
    if not isinstance(body, dict):
        raise ChatInputError("Send a JSON object with a sender and a message.")
    sender = body.get("sender")
    message = body.get("message")
    if not isinstance(sender, str) or not SENDER_PATTERN.match(sender):
        raise ChatInputError("The conversation id is missing or not valid. Reload the page to start again.")
    if not isinstance(message, str):
        raise ChatInputError("The message must be text.")
    cleaned = clean_message(message)
    if not cleaned:
        raise ChatInputError("The message is empty.")
    if len(cleaned) > max_chars:
        raise ChatInputError(
            f"That message is too long ({len(cleaned)} characters). Please keep it under {max_chars}, "
            "or send it in parts. Your text is still in the box.",
            status=413,
        )
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
