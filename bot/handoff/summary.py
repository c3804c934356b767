"""The structured referral summary (schema v1): built once from the answers, read once into typed objects.

`build_summary` makes the JSON-ready document the team receives (checked against
summary_schema_v1.json); `Summary.read` checks a stored document against the same schema and gives
typed objects, which every readable form is rendered from (bot.handoff.render: the staff text and the
parent's "check your answers"; bot.web.staff: the referral page and the CSV export). Every question is
skippable: a skipped answer is None.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from bot.handoff.reference import normalise_reference

SCHEMA_VERSION = 1
SCHEMA_NAME = "parent-support-referral"
SCHEMA_PATH = Path(__file__).with_name(f"summary_schema_v{SCHEMA_VERSION}.json")

URGENT_UNDER_AGE = 13


@dataclass(frozen=True)
class Answers:
    """The parent's answers, in the order the questions are asked; None is "prefer not to say" (or not asked).

    The field names are the contract's answer keys (and the form's slot names).
    """

    preferred_name: str | None = None
    contact_method: str | None = None
    contact_phone: str | None = None  # E.164, +44...
    contact_email: str | None = None
    safe_to_leave_message: bool | None = None
    safe_to_say_who_is_calling: bool | None = None
    best_times: tuple[str, ...] | None = None
    nation: str | None = None
    area: str | None = None
    relationship: str | None = None
    child_age: int | None = None
    concerns: tuple[str, ...] | None = None
    child_missing_now: bool | None = None
    agencies: tuple[str, ...] | None = None
    crime_reference: str | None = None
    help_wanted: str | None = None

    @classmethod
    def from_contract(cls, answers: Mapping[str, Any]) -> Answers:
        """From answer keys (other keys are ignored here: build_summary refuses them); "" and [] are skipped."""
        values = {}
        for name in FIELD_ORDER:
            value = answers.get(name)
            if value == "" or value == [] or value == ():
                value = None
            values[name] = tuple(value) if isinstance(value, (list, tuple)) else value
        return cls(**values)

    def value(self, field_name: str) -> Any:
        if field_name not in FIELD_ORDER:
            raise KeyError(field_name)
        return getattr(self, field_name)

    def applies(self, field_name: str) -> bool:
        """Whether a question was relevant, given the other answers.

        The phone number only matters for a phone call or text, the email address for email, and the
        crime reference when the police are involved; an answer that was given is always shown.
        """
        if self.value(field_name) is not None:
            return True
        if field_name == "contact_phone":
            return self.contact_method in ("phone", "text")
        if field_name == "contact_email":
            return self.contact_method == "email"
        if field_name == "crime_reference":
            return "police" in (self.agencies or ())
        return True

    def document_parts(self) -> dict[str, Any]:
        """The answers where the document keeps them (contact, parent, child, concerns, agencies, help_wanted)."""
        parts: dict[str, Any] = {}
        for name, (section, key) in DOCUMENT_PLACES.items():
            value = self.value(name)
            value = list(value) if isinstance(value, tuple) else value
            if key is None:
                parts[section] = value
            else:
                parts.setdefault(section, {})[key] = value
        return parts

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Answers:
        values = {}
        for name, (section, key) in DOCUMENT_PLACES.items():
            value = document[section] if key is None else document[section][key]
            values[name] = tuple(value) if isinstance(value, list) else value
        return cls(**values)


# The order the questions are asked in (include_transcript, the consent to share the chat, comes last
# and is not an answer shown back).
FIELD_ORDER: tuple[str, ...] = tuple(f.name for f in fields(Answers))
ANSWER_KEYS = frozenset(FIELD_ORDER) | {"include_transcript"}

# Where each answer sits in the document, in the document's own order: (section, key), or
# (key, None) for an answer at the top level.
DOCUMENT_PLACES: dict[str, tuple[str, str | None]] = {
    "preferred_name": ("contact", "preferred_name"),
    "contact_method": ("contact", "method"),
    "contact_phone": ("contact", "phone"),
    "contact_email": ("contact", "email"),
    "safe_to_leave_message": ("contact", "safe_to_leave_message"),
    "safe_to_say_who_is_calling": ("contact", "safe_to_say_who_is_calling"),
    "best_times": ("contact", "best_times"),
    "relationship": ("parent", "relationship"),
    "nation": ("parent", "nation"),
    "area": ("parent", "area"),
    "child_age": ("child", "age"),
    "child_missing_now": ("child", "missing_now"),
    "concerns": ("concerns", None),
    "agencies": ("agencies", "involved"),
    "crime_reference": ("agencies", "crime_reference"),
    "help_wanted": ("help_wanted", None),
}


@dataclass(frozen=True)
class SafetyResponse:
    type: str  # one of the schema's safety types, e.g. "child_missing"
    at: datetime  # UTC


@dataclass(frozen=True)
class TranscriptLine:
    speaker: str  # "parent" or "assistant"
    text: str
    at: datetime  # UTC


@dataclass(frozen=True)
class Summary:
    """A referral summary as typed objects: what every readable form is rendered from."""

    reference: str
    level: str  # "urgent" or "standard"
    reasons: tuple[str, ...]
    answers: Answers
    channel: str
    started_at: datetime
    submitted_at: datetime
    safety_responses: tuple[SafetyResponse, ...]
    topics_viewed: tuple[str, ...]
    transcript: tuple[TranscriptLine, ...] | None  # None: the parent did not share it
    # The parent's own notes, added later with their consent (bot.handoff.parent_notes); None: none added.
    parent_notes: Mapping[str, Any] | None = None

    @property
    def urgent(self) -> bool:
        return self.level == "urgent"

    @classmethod
    def read(cls, document: Mapping[str, Any]) -> Summary:
        """A stored or received document, checked against the schema first (ValueError if it does not match)."""
        validate_summary(document)
        conversation = document["conversation"]
        transcript = document["transcript"]
        return cls(
            reference=document["reference"],
            level=document["priority"]["level"],
            reasons=tuple(document["priority"]["reasons"]),
            answers=Answers.from_document(document),
            channel=conversation["channel"],
            started_at=_parse_utc(conversation["started_at"]),
            submitted_at=_parse_utc(conversation["submitted_at"]),
            safety_responses=tuple(
                SafetyResponse(item["type"], _parse_utc(item["at"])) for item in conversation["safety_responses"]
            ),
            topics_viewed=tuple(conversation["topics_viewed"]),
            transcript=None
            if transcript is None
            else tuple(TranscriptLine(line["from"], line["text"], _parse_utc(line["at"])) for line in transcript),
            parent_notes=document.get("parent_notes"),
        )

    def document(self) -> dict[str, Any]:
        """The JSON-ready document (schema v1)."""
        return {
            "schema": SCHEMA_NAME,
            "version": SCHEMA_VERSION,
            "reference": self.reference,
            "priority": {"level": self.level, "reasons": list(self.reasons)},
            **self.answers.document_parts(),
            "conversation": {
                "channel": self.channel,
                "started_at": _iso(self.started_at),
                "submitted_at": _iso(self.submitted_at),
                "safety_responses": [{"type": r.type, "at": _iso(r.at)} for r in self.safety_responses],
                "topics_viewed": list(self.topics_viewed),
            },
            "transcript": None
            if self.transcript is None
            else [{"from": line.speaker, "text": line.text, "at": _iso(line.at)} for line in self.transcript],
            **({"parent_notes": dict(self.parent_notes)} if self.parent_notes else {}),
        }


# --- times -----------------------------------------------------------------------------------------


def _utc(value: datetime | str, what: str) -> datetime:
    """A UTC time to the second. Strings are ISO-8601; those without an offset are taken as UTC."""
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
    return parsed.astimezone(timezone.utc).replace(microsecond=0)


def _utc_seconds(value: datetime | str, what: str) -> str:
    """A time as the document holds it: ISO-8601 UTC to the second."""
    return _iso(_utc(value, what))


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _parse_utc(text: str) -> datetime:
    """A time from a document the schema has passed (always "...+00:00", to the second)."""
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def _event_time(event: Mapping[str, Any]) -> str:
    """The event's time for a plain-words reason; as given if it cannot be read."""
    try:
        return _iso(_utc(event.get("at"), "safety event time"))
    except ValueError:
        return str(event.get("at") or "an unknown time")


# --- priority, the schema and building the document --------------------------------------------------


def _is_age(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = _schema()
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


def _words_in(node: Any) -> list[str]:
    """Every string an `enum` or `const` under this schema node allows, in the schema's order."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("enum", "const"):
                found += [item for item in (value if isinstance(value, list) else [value]) if isinstance(item, str)]
            else:
                found += _words_in(value)
    elif isinstance(node, list):
        for item in node:
            found += _words_in(item)
    return list(dict.fromkeys(found))


def choice_values() -> dict[str, tuple[str, ...]]:
    """For each answer with fixed choices, the values it may hold (from the schema), e.g. nation: england, wales."""
    properties = _schema()["properties"]
    choices = {}
    for name, (section, key) in DOCUMENT_PLACES.items():
        node = properties[section] if key is None else properties[section]["properties"][key]
        values = _words_in(node)
        if values:
            choices[name] = tuple(values)
    return choices


def safety_types() -> tuple[str, ...]:
    """The safety responses a summary may record (from the schema)."""
    conversation = _schema()["properties"]["conversation"]["properties"]
    return tuple(_words_in(conversation["safety_responses"]["items"]["properties"]["type"]))


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
    """The JSON-ready referral document, checked against the schema (ValueError if it does not match).

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
    kept_transcript = None
    if answers.get("include_transcript") is True and transcript is not None:
        kept_transcript = tuple(
            TranscriptLine(line.get("from"), line.get("text"), _utc(line.get("at"), "transcript time"))
            for line in transcript
        )
    summary = Summary(
        reference=canonical_reference,
        level=level,
        reasons=tuple(reasons),
        answers=Answers.from_contract(answers),
        channel=channel,
        started_at=_utc(started_at, "started_at"),
        submitted_at=_utc(submitted_at, "submitted_at"),
        safety_responses=tuple(
            SafetyResponse(event.get("type"), _utc(event.get("at"), "safety event time")) for event in safety_events
        ),
        topics_viewed=tuple(dict.fromkeys(topics_viewed)),
        transcript=kept_transcript,
    )
    document = summary.document()
    validate_summary(document)
    return document
