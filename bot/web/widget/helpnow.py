"""The "Help now" text and phone links, built from content/messages.yml and services.yml (never typed in code)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.content.render import BrokenReference, references_in, render
from bot.content.store import ContentStore, ContentUnavailable


@dataclass(frozen=True)
class Call:
    """A phone link: `label` is what the parent reads, `tel` what the phone dials."""

    label: str
    tel: str


@dataclass(frozen=True)
class HelpNow:
    text: str
    calls: tuple[Call, ...]


def _dialable(phone: str) -> str:
    return re.sub(r"[^0-9+]", "", phone)


def help_now(store: ContentStore) -> HelpNow:
    """The live help-now message; empty when no valid content has loaded (callers then fall back to 999)."""
    try:
        content = store.get()
        message = content.messages["help_now"]
        text = render(message.text, content.services).strip()
    except (ContentUnavailable, KeyError, BrokenReference):
        return HelpNow("", ())
    calls: list[Call] = []
    # One link per phone number the message names, in the order it names them.
    for reference in references_in(message.text):
        service_id, _, detail = reference.partition(".")
        service = content.services.get(service_id)
        if detail != "phone" or service is None or "phone" not in service.details:
            continue
        call = Call(f"{service.name}: call {service.details['phone']}", _dialable(service.details["phone"]))
        if call.tel and call not in calls:
            calls.append(call)
    return HelpNow(text, tuple(calls))
