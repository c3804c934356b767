"""The self-referral conversation: which questions to ask, what to say, and what the answers mean.

Pure functions of (content, slot values). The Rasa form and actions in actions/referral.py only
read the tracker, call these and send the result, so this logic is tested without a Rasa server.
Each answer lives in a slot named after the contract's field (bot/handoff/summary.py FIELD_ORDER).
Every word the parent sees comes from content/referral.yml.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from bot.content.models import Content, ReferralNeeds
from bot.content.render import render
from bot.conversation import BotMessage, expand_buttons
from bot.handoff.render import ANSWER_WORDS, REVIEW_LABELS, STAFF_WORDS, answer_words, review_rows
from bot.handoff.summary import FIELD_ORDER, Answers, choice_values
from bot.handoff.validation import ERROR_CODES, VALIDATORS, validate_contact_phone
from bot.safety.intents import CHECK_INTENTS, SAFETY_INTENTS

# A slot holding this was skipped ("prefer not to say"); a slot holding None was not asked yet.
SKIPPED = "prefer_not_to_say"
FORM_NAME = "referral_form"
FORM_FIELDS: tuple[str, ...] = (*FIELD_ORDER, "include_transcript")

AFFIRM, DENY, CANCEL, CHANGE, RESUME = "/affirm", "/deny", "/cancel", "/referral_change", "/referral_resume"
# Never taken as an answer, so each reaches its own rule: a safety message or check question, help now,
# stop and change. The form's slot mappings in the Rasa domain are generated from this (bot.domain).
NOT_AN_ANSWER: tuple[str, ...] = (*SAFETY_INTENTS, *CHECK_INTENTS, "help_now", CANCEL[1:], CHANGE[1:])
# Answers taken from the intent itself: "She's been gone since Friday" is a yes to "is your child missing
# now?", and the missing-now help is given as the answer is taken (actions/referral.py).
ANSWER_FROM_INTENT: dict[str, tuple[str, bool]] = {"child_missing_now": ("missing_now", True)}


def ask_action(field_name: str) -> str:
    """The action that asks one question (Rasa calls `action_ask_<slot>` for the form's requested slot)."""
    return f"action_ask_{field_name}"
CONSENT_ACTION = "action_referral_consent"
# What the skip button sends, whatever its title says: words the validators read as a skip.
SKIP_PAYLOAD = "Prefer not to say"
BUTTONS = ("skip", "stop", "consent_yes", "consent_no", "send", "change", "cancel", "resume", "send_unchanged")
# What content/referral.yml and content/staff.yml must word, for the content check and the live content
# stores (the action server's and the staff pages').
REFERRAL_NEEDS = ReferralNeeds(
    questions=FORM_FIELDS,
    re_ask_codes=frozenset(ERROR_CODES),
    labels={"review": REVIEW_LABELS, "answers": ANSWER_WORDS, "buttons": dict.fromkeys(BUTTONS, frozenset())},
    choices=choice_values(),
    staff=STAFF_WORDS,
)


def answers_from_slots(slots: Mapping[str, Any]) -> dict[str, Any]:
    """The contract's answers: skipped and unasked questions are None; the transcript only on a yes."""
    answers = {name: (None if slots.get(name) == SKIPPED else slots.get(name)) for name in FIELD_ORDER}
    answers["include_transcript"] = slots.get("include_transcript") is True
    return answers


def required_fields(slots: Mapping[str, Any]) -> list[str]:
    """The questions that apply, given the answers so far (a phone number only for a call or text...)."""
    answers = Answers.from_contract(answers_from_slots(slots))
    return [name for name in FORM_FIELDS if name == "include_transcript" or answers.applies(name)]


def validate_answer(field_name: str, raw: Any, slots: Mapping[str, Any] | None = None) -> tuple[Any, str | None]:
    """(slot value, error code). A skip gives SKIPPED; an answer not understood gives (None, code)."""
    if isinstance(raw, bool):
        return raw, None  # taken from the intent itself (missing now means yes, the child is missing)
    text = str(raw or "")
    if field_name == "contact_phone" and (slots or {}).get("contact_method") == "text":
        result = validate_contact_phone(text, mobile_only=True)
    else:
        result = VALIDATORS[field_name](text)
    if result.skipped:
        return SKIPPED, None
    if result.error:
        return None, result.error
    return result.value, None


def _answer_button(title: str) -> dict[str, str]:
    return {"title": title, "payload": title}


def _button(content: Content, name: str, payload: str) -> dict[str, str]:
    return {"title": content.referral.labels["buttons"][name], "payload": payload}


def question(content: Content, field_name: str) -> BotMessage:
    wording = content.referral.questions[field_name]
    buttons = [_answer_button(answer) for answer in wording.answers]
    buttons += [_button(content, "skip", SKIP_PAYLOAD), _button(content, "stop", CANCEL)]
    return BotMessage(render(wording.text, content.services), buttons)


def re_ask(content: Content, field_name: str, error_code: str) -> BotMessage:
    """Why the answer did not work, then the same question again with its buttons."""
    text = content.referral.re_ask.get(error_code) or content.referral.re_ask["text_unclear"]
    asked = question(content, field_name)
    return BotMessage(render(text, content.services), asked.buttons)


def consent(content: Content) -> BotMessage:
    buttons = [_button(content, "consent_yes", AFFIRM), _button(content, "consent_no", DENY)]
    return BotMessage(render(content.referral.consent, content.services), buttons)


def referral_message(content: Content, message_id: str, reference: str = "") -> BotMessage:
    entry = content.referral.messages[message_id]
    text = render(entry.text, content.services).replace("{reference}", reference)
    return BotMessage(text, expand_buttons(entry.buttons, content))


def review(content: Content, slots: Mapping[str, Any]) -> BotMessage:
    """Every answer that applies, in order, with a way to send, change one, or stop."""
    answers = answers_from_slots(slots)
    asked = set(required_fields(slots))
    rows = review_rows(content, Answers.from_contract(answers))
    lines = [f"{label}: {value}" for name, label, value in rows if name in asked]
    transcript = answer_words(content, "include_transcript", answers["include_transcript"], capital=True)
    lines.append(f"{content.referral.labels['review']['include_transcript']}: {transcript}")
    intro = referral_message(content, "review").text
    buttons = [_button(content, "send", AFFIRM), _button(content, "change", CHANGE), _button(content, "cancel", CANCEL)]
    return BotMessage(intro + "\n\n" + "\n".join(lines), buttons)


def resume_offer(content: Content) -> BotMessage:
    """After an interruption in the middle of the questions: the way back, answers kept."""
    text = referral_message(content, "resume_form").text
    return BotMessage(text, [_button(content, "resume", RESUME), _button(content, "stop", CANCEL)])


def change_choices(content: Content, slots: Mapping[str, Any]) -> BotMessage:
    """One button per answer the parent can change."""
    labels = content.referral.labels["review"]
    buttons = [
        {"title": labels[name], "payload": CHANGE + json.dumps({"field": name}, separators=(",", ":"))}
        for name in required_fields(slots)
    ]
    buttons.append(_button(content, "send_unchanged", AFFIRM))
    return BotMessage(referral_message(content, "change").text, buttons)


# After these, the parent's yes no longer stands: they said no, or stopped and every answer was dropped.
_CONSENT_ENDED_BY = frozenset({"action_referral_declined", "action_referral_cancel"})


def consent_given(events: list[dict[str, Any]]) -> bool:
    """Whether the parent said yes at the consent step, and has not since declined or stopped.

    Read from the conversation's own events, so no payload or slot sent from outside can stand in
    for it: the questions, the review and the sending all need it.
    """
    consent_at = None
    for index, event in enumerate(events):
        if event.get("event") == "action" and event.get("name") == CONSENT_ACTION:
            consent_at = index
    if consent_at is None:
        return False
    later = events[consent_at + 1 :]
    answer = next((event for event in later if event.get("event") == "user"), None)
    intent = ((answer or {}).get("parse_data") or {}).get("intent") or {}
    if intent.get("name") != "affirm":
        return False
    return not any(event.get("event") == "action" and event.get("name") in _CONSENT_ENDED_BY for event in later)


def form_started_at(events: list[dict[str, Any]]) -> datetime | None:
    """When the parent last agreed to start (the consent step): stable across pauses and changes."""
    for event in reversed(events):
        if event.get("event") == "action" and event.get("name") == CONSENT_ACTION:
            return datetime.fromtimestamp(float(event["timestamp"]), tz=timezone.utc)
    return None


def transcript(events: list[dict[str, Any]]) -> list[dict[str, str]]:
    """What was said, in order: the parent's words and the assistant's, without button payloads."""
    lines = []
    for event in events:
        text = event.get("text")
        if event.get("event") not in ("user", "bot") or not text or text.startswith("/"):
            continue
        speaker = "parent" if event["event"] == "user" else "assistant"
        at = datetime.fromtimestamp(float(event.get("timestamp") or 0), tz=timezone.utc)
        lines.append({"from": speaker, "text": text, "at": at.isoformat(timespec="seconds")})
    return lines


def has_answers(slots: Mapping[str, Any]) -> bool:
    return any(slots.get(name) is not None for name in FORM_FIELDS)
