"""The structured referral summary the National Parent Support Team receives, and its readable forms.

`build_summary` makes the JSON-ready record (checked against summary_schema_v1.json), `render_text`
the plain text a staff member reads or pastes into the case system, and `render_parent_review` the
"check your answers" rows the parent sees before submitting. Every question is skippable: a skipped
answer is None and is shown as "prefer not to say", never as "None".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import phonenumbers

from bot.handoff.reference import normalise_reference

SCHEMA_VERSION = 1
SCHEMA_NAME = "parent-support-referral"
SCHEMA_PATH = Path(__file__).with_name(f"summary_schema_v{SCHEMA_VERSION}.json")

# The order the questions are asked in (the contract's answer keys; include_transcript is the consent
# question at the end and is not part of the review).
FIELD_ORDER: tuple[str, ...] = (
    "preferred_name",
    "contact_method",
    "contact_phone",
    "contact_email",
    "safe_to_leave_message",
    "safe_to_say_who_is_calling",
    "best_times",
    "nation",
    "area",
    "relationship",
    "child_age",
    "concerns",
    "child_missing_now",
    "agencies",
    "crime_reference",
    "help_wanted",
)
ANSWER_KEYS = frozenset(FIELD_ORDER) | {"include_transcript"}

URGENT_UNDER_AGE = 13

# What the parent sees beside each answer on the "check your answers" step.
REVIEW_LABELS: dict[str, str] = {
    "preferred_name": "What to call you",
    "contact_method": "How to contact you",
    "contact_phone": "Your phone number",
    "contact_email": "Your email address",
    "safe_to_leave_message": "OK to leave you a message",
    "safe_to_say_who_is_calling": "OK to say who is calling",
    "best_times": "Best times to contact you",
    "nation": "Where you live",
    "area": "Your area",
    "relationship": "You are your child's",
    "child_age": "Your child's age",
    "concerns": "What you are worried about",
    "child_missing_now": "Is your child missing right now",
    "agencies": "Who else is involved",
    "crime_reference": "Police crime reference",
    "help_wanted": "The help you would like",
}

# Plain words for every choice, shared by the staff text and the parent's review.
CHOICE_WORDS: dict[str, dict[str, str]] = {
    "contact_method": {"phone": "phone call", "text": "text message", "email": "email"},
    "best_times": {"morning": "morning", "afternoon": "afternoon", "evening": "evening", "any": "any time"},
    "nation": {"england": "England", "wales": "Wales"},
    "relationship": {
        "mother": "mother",
        "father": "father",
        "step_parent": "step-parent",
        "grandparent": "grandparent",
        "foster_carer": "foster carer",
        "kinship_carer": "kinship carer",
        "other_relative": "other relative",
        "other": "other",
    },
    "concerns": {
        "sexual": "sexual exploitation",
        "criminal": "criminal exploitation",
        "online": "online grooming or abuse",
        "not_sure": "not sure yet",
    },
    "agencies": {
        "police": "police",
        "childrens_services": "children's services",
        "school": "school",
        "health": "health services",
        "none": "no one else so far",
    },
}

SAFETY_WORDS: dict[str, str] = {
    "child_in_danger": "child in danger now",
    "child_missing": "child missing",
    "parent_at_risk": "parent at risk",
    "confronting_abuser": "parent thinking of confronting the abuser",
    "child_disclosed_abuse": "child has told the parent about abuse",
}

PREFER_NOT = "prefer not to say"


# --- small helpers ---------------------------------------------------------------------------------


def _utc_seconds(value: datetime | str, what: str) -> str:
    """ISO-8601 in UTC to the second. Strings without an offset are taken as UTC."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError(f"{what} is not an ISO-8601 time") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
    elif isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{what} must be a timezone-aware datetime")
        parsed = value
    else:
        raise ValueError(f"{what} must be a datetime or an ISO-8601 string")
    return parsed.astimezone(timezone.utc).isoformat(timespec="seconds")


def _event_time(event: Mapping[str, Any]) -> str:
    """The event's time for a plain-words reason; as given if it cannot be read."""
    try:
        return _utc_seconds(event.get("at"), "safety event time")
    except ValueError:
        return str(event.get("at") or "an unknown time")


def _answer(answers: Mapping[str, Any], key: str) -> Any:
    """The answer, with an empty string or empty selection treated as skipped."""
    value = answers.get(key)
    if value == "" or value == []:
        return None
    return list(value) if isinstance(value, (list, tuple)) else value


def _is_age(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def question_applies(field_name: str, answers: Mapping[str, Any]) -> bool:
    """Whether a follow-up question was relevant, given the earlier answers.

    The phone number only matters for a phone call or text, the email address for email, and the
    crime reference when the police are involved; an answer that was given is always shown.
    """
    if _answer(answers, field_name) is not None:
        return True
    method = answers.get("contact_method")
    if field_name == "contact_phone":
        return method in ("phone", "text")
    if field_name == "contact_email":
        return method == "email"
    if field_name == "crime_reference":
        return "police" in (answers.get("agencies") or ())
    return True


def _national_phone(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, "GB")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _words(field_name: str, value: Any) -> str:
    table = CHOICE_WORDS.get(field_name, {})
    if isinstance(value, list):
        return ", ".join(table.get(str(item), str(item)) for item in value)
    return table.get(str(value), str(value))


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _readable_time(iso: str | None) -> str:
    if not iso:
        return "not recorded"
    return iso.replace("T", " ").replace("+00:00", " UTC")


# --- priority and the summary ----------------------------------------------------------------------


def priority(answers: Mapping[str, Any], safety_events: Iterable[Mapping[str, Any]]) -> tuple[str, list[str]]:
    """("urgent" | "standard", the reasons in plain words; none for standard)."""
    reasons = [f"a safety response was given: {event.get('type')} at {_event_time(event)}" for event in safety_events]
    if answers.get("child_missing_now") is True:
        reasons.append("the parent said their child is missing right now")
    age = answers.get("child_age")
    if _is_age(age) and age < URGENT_UNDER_AGE:
        reasons.append(f"the child is {age}, under {URGENT_UNDER_AGE}")
    return ("urgent" if reasons else "standard"), reasons


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_summary(summary: Mapping[str, Any]) -> None:
    """Raise ValueError if the summary does not match the schema.

    The message names where and which rule, never the value: it may be personal data.
    """
    error = jsonschema.exceptions.best_match(_validator().iter_errors(summary))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ValueError(f"referral summary does not match schema v{SCHEMA_VERSION} at {where}: {error.validator}")


def build_summary(
    *,
    reference: str,
    answers: Mapping[str, Any],
    safety_events: list[dict],
    topics_viewed: list[str],
    channel: str,
    started_at: datetime,
    submitted_at: datetime,
    transcript: list[dict] | None,
) -> dict[str, Any]:
    """The JSON-ready referral record, checked against the schema (ValueError if it does not match).

    Answer keys outside the contract are refused, so a misspelt key cannot silently turn an answer
    (say, "child is missing now") into "prefer not to say". The transcript is kept only when the
    parent agreed (answers["include_transcript"] is True).
    """
    unknown = sorted(set(answers) - ANSWER_KEYS)
    if unknown:
        raise ValueError(f"unknown answer keys: {', '.join(unknown)}")
    canonical_reference = normalise_reference(reference)
    if canonical_reference is None:
        raise ValueError("reference is not a valid referral code")

    safety_events = list(safety_events)
    level, reasons = priority(answers, safety_events)
    a = {key: _answer(answers, key) for key in FIELD_ORDER}
    include_transcript = answers.get("include_transcript") is True
    kept_transcript = None
    if include_transcript and transcript is not None:
        kept_transcript = [
            {
                "from": line.get("from"),
                "text": line.get("text"),
                "at": _utc_seconds(line.get("at"), "transcript time"),
            }
            for line in transcript
        ]

    summary: dict[str, Any] = {
        "schema": SCHEMA_NAME,
        "version": SCHEMA_VERSION,
        "reference": canonical_reference,
        "priority": {"level": level, "reasons": reasons},
        "contact": {
            "preferred_name": a["preferred_name"],
            "method": a["contact_method"],
            "phone": a["contact_phone"],
            "email": a["contact_email"],
            "safe_to_leave_message": a["safe_to_leave_message"],
            "safe_to_say_who_is_calling": a["safe_to_say_who_is_calling"],
            "best_times": a["best_times"],
        },
        "parent": {"relationship": a["relationship"], "nation": a["nation"], "area": a["area"]},
        "child": {"age": a["child_age"], "missing_now": a["child_missing_now"]},
        "concerns": a["concerns"],
        "agencies": {"involved": a["agencies"], "crime_reference": a["crime_reference"]},
        "help_wanted": a["help_wanted"],
        "conversation": {
            "channel": channel,
            "started_at": _utc_seconds(started_at, "started_at"),
            "submitted_at": _utc_seconds(submitted_at, "submitted_at"),
            "safety_responses": [
                {"type": event.get("type"), "at": _utc_seconds(event.get("at"), "safety event time")}
                for event in safety_events
            ],
            "topics_viewed": list(dict.fromkeys(topics_viewed)),
        },
        "transcript": kept_transcript,
    }
    validate_summary(summary)
    return summary


# --- the staff text ---------------------------------------------------------------------------------


def _yes_no(value: Any) -> str:
    if value is None:
        return PREFER_NOT
    return "yes" if value else "no"


def _or_prefer_not(value: Any) -> str:
    return PREFER_NOT if value is None else str(value)


def render_text(summary: Mapping[str, Any], topic_titles: Mapping[str, str] | None = None) -> str:
    """Plain text for the support team: how to contact the parent comes first, after the priority."""
    titles = topic_titles or {}
    level = (summary.get("priority") or {}).get("level")
    reasons = (summary.get("priority") or {}).get("reasons") or []
    contact = summary.get("contact") or {}
    parent = summary.get("parent") or {}
    child = summary.get("child") or {}
    agencies = summary.get("agencies") or {}
    conversation = summary.get("conversation") or {}
    # The same relevance rules as the parent's review, in terms of the contract's answer keys.
    as_answers = {
        "contact_method": contact.get("method"),
        "contact_phone": contact.get("phone"),
        "contact_email": contact.get("email"),
        "agencies": agencies.get("involved"),
        "crime_reference": agencies.get("crime_reference"),
    }

    lines = [f"{'URGENT' if level == 'urgent' else 'Standard'} - parent support referral {summary.get('reference')}"]
    if reasons:
        lines.append("Why urgent:")
        lines += [f"  - {reason}" for reason in reasons]

    lines += ["", "How to contact"]
    lines.append(f"  Name to use: {_or_prefer_not(contact.get('preferred_name'))}")
    method = contact.get("method")
    lines.append(f"  Contact by: {PREFER_NOT if method is None else _words('contact_method', method)}")
    if question_applies("contact_phone", as_answers):
        phone = contact.get("phone")
        shown = PREFER_NOT if phone is None else f"{_national_phone(phone)} ({phone})"
        lines.append(f"  Phone number: {shown}")
    if question_applies("contact_email", as_answers):
        lines.append(f"  Email: {_or_prefer_not(contact.get('email'))}")
    lines.append(f"  Safe to leave a message: {_yes_no(contact.get('safe_to_leave_message'))}")
    lines.append(f"  Safe to say who is calling: {_yes_no(contact.get('safe_to_say_who_is_calling'))}")
    times = contact.get("best_times")
    lines.append(f"  Best times: {PREFER_NOT if times is None else _words('best_times', times)}")

    relationship, nation = parent.get("relationship"), parent.get("nation")
    lines += ["", "About the parent"]
    lines.append(
        f"  Relationship to the child: {PREFER_NOT if relationship is None else _words('relationship', relationship)}"
    )
    lines.append(f"  Nation: {PREFER_NOT if nation is None else _words('nation', nation)}")
    lines.append(f"  Area: {_or_prefer_not(parent.get('area'))}")

    lines += ["", "About the child"]
    lines.append(f"  Age: {_or_prefer_not(child.get('age'))}")
    lines.append(f"  Missing right now: {_yes_no(child.get('missing_now'))}")

    concerns = summary.get("concerns")
    lines += ["", f"Concerns: {PREFER_NOT if concerns is None else _words('concerns', concerns)}"]

    involved = agencies.get("involved")
    lines += ["", "Agencies"]
    lines.append(f"  Involved: {PREFER_NOT if involved is None else _words('agencies', involved)}")
    if question_applies("crime_reference", as_answers):
        lines.append(f"  Crime reference: {_or_prefer_not(agencies.get('crime_reference'))}")

    help_wanted = summary.get("help_wanted")
    lines += ["", "What help they want"]
    lines += [f"  {line}" for line in (PREFER_NOT if help_wanted is None else help_wanted).splitlines() or [""]]

    responses = conversation.get("safety_responses") or []
    lines += ["", "Safety responses given in the chat"]
    lines += [
        f"  - {SAFETY_WORDS.get(str(r.get('type')), str(r.get('type')))} ({r.get('type')}), {_readable_time(r.get('at'))}"
        for r in responses
    ] or ["  none"]

    topics = conversation.get("topics_viewed") or []
    lines += ["", "Topics looked at"]
    lines += [f"  - {titles.get(topic, topic)}" for topic in topics] or ["  none"]

    transcript = summary.get("transcript")
    lines += ["", "Conversation"]
    lines.append(f"  Channel: {conversation.get('channel') or 'not recorded'}")
    lines.append(f"  Started: {_readable_time(conversation.get('started_at'))}")
    lines.append(f"  Submitted: {_readable_time(conversation.get('submitted_at'))}")
    lines.append(f"  Transcript: {'shared by the parent, below' if transcript is not None else 'not shared'}")

    if transcript is not None:
        lines += ["", "Transcript"]
        for line in transcript:
            speaker = "Parent" if line.get("from") == "parent" else "Assistant"
            text = str(line.get("text") or "").replace("\n", "\n      ")  # keep a multi-line message indented
            lines.append(f"  [{_readable_time(line.get('at'))}] {speaker}: {text}")
    from bot.handoff.parent_notes import parent_notes_lines  # beside this module; imported here to avoid a cycle

    lines += parent_notes_lines(summary)
    return "\n".join(lines) + "\n"


# --- the parent's "check your answers" step --------------------------------------------------------


def _review_value(field_name: str, value: Any) -> str:
    if value is None:
        return "Prefer not to say"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field_name == "child_age" and _is_age(value):
        if value == 0:
            return "Under 1"
        return f"{value} year old" if value == 1 else f"{value} years old"
    if field_name == "contact_phone":
        return _national_phone(str(value))
    if field_name in CHOICE_WORDS:
        return _capitalise(_words(field_name, value))
    return str(value)


def render_parent_review(answers: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(field name, label, shown value) for each question, in question order.

    Follow-up questions that did not apply (a phone number when the parent chose email, a crime
    reference when the police are not involved) are left out.
    """
    return [
        (field_name, REVIEW_LABELS[field_name], _review_value(field_name, _answer(answers, field_name)))
        for field_name in FIELD_ORDER
        if question_applies(field_name, answers)
    ]
