"""Small content folders written on the fly, so each test states exactly what it checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from bot.content.check import REQUIRED_MESSAGES, REQUIRED_REFERRAL_MESSAGES
from bot.handoff.summary import FIELD_ORDER
from bot.handoff.validation import ERROR_CODES

SERVICES = {
    "services": [
        {
            "id": "emergency",
            "name": "Emergency services",
            "phone": "999",
            "hours": "24 hours a day",
            "about": "For danger right now.",
            "tags": ["emergency"],
            "source": ["https://example.org/999"],
            "verified": date(2026, 11, 1),
        },
        {
            "id": "samaritans",
            "name": "Samaritans",
            "phone": "116 123",
            "hours": "24 hours a day",
            "about": "Someone to talk to.",
            "tags": ["parent"],
            "source": ["https://example.org/samaritans"],
            "verified": date(2026, 11, 1),
        },
    ]
}

PLAIN = "You are not to blame for this. The person who hurt your child is to blame. We can go through it together."


def topic(topic_id: str = "grooming", intent: str | None = "grooming_info", steps: list | None = None, **extra) -> dict:
    return {
        "id": topic_id,
        "title": topic_id.replace("_", " ").title(),
        "intent": intent,
        "order": extra.pop("order", 1),
        "steps": steps
        or [
            {"id": "start", "text": PLAIN, "more": "Here is a bit more. " + PLAIN},
            {"id": "middle", "text": "Call {{emergency.phone}} if your child is in danger. " + PLAIN},
            {"id": "end", "text": PLAIN},
        ],
        **extra,
    }


def messages() -> dict:
    """Every required message; "menu" lists the topics, the others offer a way back to them."""
    data = {name: {"text": f"{name} text. " + PLAIN, "buttons": ["menu"]} for name in REQUIRED_MESSAGES}
    data["menu"]["buttons"] = ["topics"]
    return {"messages": data}


def referral() -> dict:
    """Wording for every question, re-ask and step of the self-referral."""
    return {
        "consent": {"text": "May I pass your details on? " + PLAIN},
        "questions": {
            name: {"text": f"Question about {name}?", "answers": ["Yes", "No"] if name.startswith("safe") else []}
            for name in (*FIELD_ORDER, "include_transcript")
        },
        "re_ask": {code: f"Sorry, {code}. " + PLAIN for code in ERROR_CODES},
        "messages": {name: {"text": f"{name} {{reference}}. " + PLAIN} for name in REQUIRED_REFERRAL_MESSAGES},
    }


def write_content(
    root: Path,
    topics: list[dict] | None = None,
    services: dict | None = None,
    message_data: dict | None = None,
    referral_data: dict | None = None,
) -> Path:
    """Write a content folder at root/content and return it."""
    root = root / "content"
    (root / "topics").mkdir(parents=True, exist_ok=True)
    (root / "services.yml").write_text(yaml.safe_dump(services or SERVICES, sort_keys=False))
    (root / "messages.yml").write_text(yaml.safe_dump(message_data or messages(), sort_keys=False))
    (root / "referral.yml").write_text(yaml.safe_dump(referral_data or referral(), sort_keys=False))
    for item in topics if topics is not None else [topic()]:
        (root / "topics" / f"{item['id']}.yml").write_text(yaml.safe_dump(item, sort_keys=False))
    return root
