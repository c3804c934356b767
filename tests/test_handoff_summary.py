"""The referral summary: priority, schema, consent to the transcript, the readable forms, reference codes."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest

from bot.handoff.reference import ALPHABET, new_reference, normalise_reference
from bot.handoff.summary import (
    FIELD_ORDER,
    REVIEW_LABELS,
    SCHEMA_PATH,
    SCHEMA_VERSION,
    build_summary,
    priority,
    render_parent_review,
    render_text,
    validate_summary,
)

STARTED = datetime(2026, 11, 22, 23, 0, 5, 123456, tzinfo=timezone.utc)
SUBMITTED = datetime(2026, 11, 22, 23, 25, 40, tzinfo=timezone.utc)

FULL = {
    "preferred_name": "Sam",
    "contact_method": "phone",
    "contact_phone": "+447700900123",
    "contact_email": None,
    "safe_to_leave_message": False,
    "safe_to_say_who_is_calling": True,
    "best_times": ["morning", "evening"],
    "nation": "england",
    "area": "Leeds",
    "relationship": "kinship_carer",
    "child_age": 15,
    "concerns": ["criminal", "online"],
    "child_missing_now": False,
    "agencies": ["police", "school"],
    "crime_reference": "WY/12345/26",
    "help_wanted": "Someone to talk to about what the police said.",
    "include_transcript": True,
}
SKIPPED = dict.fromkeys(FIELD_ORDER)
TRANSCRIPT = [
    {"from": "parent", "text": "My son is being made to carry things", "at": "2026-11-22T23:01:00+00:00"},
    {"from": "assistant", "text": "That sounds very worrying.", "at": "2026-11-22T23:01:01Z"},
]
MISSING_EVENT = {"type": "child_missing", "at": "2026-11-22T23:10:00+00:00"}


def build(answers: dict, **overrides) -> dict:
    kwargs = {
        "reference": "ACDE-FG34",
        "answers": answers,
        "safety_events": [],
        "topics_viewed": ["criminal_exploitation", "police"],
        "channel": "web",
        "started_at": STARTED,
        "submitted_at": SUBMITTED,
        "transcript": TRANSCRIPT,
    }
    kwargs.update(overrides)
    return build_summary(**kwargs)


# --- priority --------------------------------------------------------------------------------------


def test_no_reason_is_standard() -> None:
    assert priority(FULL, []) == ("standard", [])
    assert priority(SKIPPED, []) == ("standard", [])


def test_a_safety_event_is_urgent_with_its_type_and_time() -> None:
    level, reasons = priority(FULL, [MISSING_EVENT])
    assert level == "urgent"
    assert reasons == ["a safety response was given: child_missing at 2026-11-22T23:10:00+00:00"]


def test_a_child_missing_now_is_urgent() -> None:
    level, reasons = priority({**SKIPPED, "child_missing_now": True}, [])
    assert level == "urgent"
    assert len(reasons) == 1 and "missing" in reasons[0]


@pytest.mark.parametrize(("age", "level"), [(0, "urgent"), (12, "urgent"), (13, "standard"), (24, "standard")])
def test_under_13_is_urgent_and_13_is_not(age: int, level: str) -> None:
    assert priority({**SKIPPED, "child_age": age}, [])[0] == level


def test_every_reason_is_listed() -> None:
    answers = {**SKIPPED, "child_missing_now": True, "child_age": 11}
    level, reasons = priority(answers, [MISSING_EVENT, {"type": "parent_at_risk", "at": "2026-11-22T23:12:00Z"}])
    assert level == "urgent"
    assert len(reasons) == 4
    assert "parent_at_risk at 2026-11-22T23:12:00+00:00" in reasons[1]
    assert "11" in reasons[3]


# --- the summary and its schema --------------------------------------------------------------------


def test_schema_file_is_a_valid_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema).check_schema(schema)


def test_full_answers_make_a_valid_json_ready_summary() -> None:
    summary = build(FULL, safety_events=[MISSING_EVENT])
    assert json.loads(json.dumps(summary)) == summary
    assert summary["schema"] == "parent-support-referral"
    assert summary["version"] == SCHEMA_VERSION == 1
    assert summary["priority"]["level"] == "urgent"
    assert summary["contact"]["phone"] == "+447700900123"
    assert summary["parent"] == {"relationship": "kinship_carer", "nation": "england", "area": "Leeds"}
    assert summary["child"] == {"age": 15, "missing_now": False}
    assert summary["agencies"] == {"involved": ["police", "school"], "crime_reference": "WY/12345/26"}
    conversation = summary["conversation"]
    assert conversation["started_at"] == "2026-11-22T23:00:05+00:00"
    assert conversation["submitted_at"] == "2026-11-22T23:25:40+00:00"
    assert conversation["safety_responses"] == [MISSING_EVENT]
    assert summary["transcript"][1]["at"] == "2026-11-22T23:01:01+00:00"


def test_fully_skipped_answers_make_a_valid_summary() -> None:
    summary = build(SKIPPED, topics_viewed=[], transcript=None)
    assert summary["priority"] == {"level": "standard", "reasons": []}
    assert set(summary["contact"].values()) == {None}
    assert summary["concerns"] is None and summary["help_wanted"] is None
    assert summary["agencies"] == {"involved": None, "crime_reference": None}


def test_missing_answer_keys_count_as_skipped() -> None:
    assert build({}) == build(SKIPPED)


def test_times_in_other_zones_are_given_in_utc() -> None:
    bst = timezone(timedelta(hours=1))
    summary = build(SKIPPED, started_at=datetime(2026, 6, 1, 10, 0, tzinfo=bst))
    assert summary["conversation"]["started_at"] == "2026-06-01T09:00:00+00:00"


@pytest.mark.parametrize(
    "bad",
    [
        {"contact_method": "carrier_pigeon"},
        {"nation": "scotland"},
        {"concerns": ["sexual", "gangs"]},
        {"agencies": ["none", "police"]},
        {"child_age": 25},
        {"child_age": True},
        {"contact_phone": "07700900123"},
        {"help_wanted": "x" * 601},
    ],
)
def test_values_outside_the_contract_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError, match="does not match schema"):
        build({**FULL, **bad})


def test_the_schema_error_does_not_repeat_the_value() -> None:
    with pytest.raises(ValueError) as info:
        build({**FULL, "contact_email": "not an email at all"})
    assert "not an email" not in str(info.value)


def test_an_unknown_safety_type_is_refused() -> None:
    with pytest.raises(ValueError):
        build(FULL, safety_events=[{"type": "something_new", "at": "2026-11-22T23:10:00Z"}])


def test_unknown_answer_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="child_missing"):
        build({**SKIPPED, "child_missing": True})


def test_naive_times_and_bad_references_are_refused() -> None:
    with pytest.raises(ValueError):
        build(SKIPPED, started_at=datetime(2026, 11, 22, 23, 0))
    with pytest.raises(ValueError):
        build(SKIPPED, reference="OOOO-0000")


def test_validate_summary_catches_an_added_field() -> None:
    summary = build(FULL)
    validate_summary(summary)
    summary["contact"]["address"] = "1 High Street"
    with pytest.raises(ValueError):
        validate_summary(summary)


def test_reference_is_given_in_canonical_form() -> None:
    assert build(SKIPPED, reference="acde fg34")["reference"] == "ACDE-FG34"


# --- consent to the transcript ---------------------------------------------------------------------


@pytest.mark.parametrize("consent", [False, None, "yes", 1])
def test_transcript_is_left_out_without_consent(consent: object) -> None:
    answers = {**FULL, "include_transcript": consent}
    assert build(answers)["transcript"] is None


def test_transcript_is_left_out_when_consent_was_never_asked() -> None:
    answers = {key: value for key, value in FULL.items() if key != "include_transcript"}
    assert build(answers)["transcript"] is None


def test_transcript_is_kept_with_consent() -> None:
    transcript = build(FULL)["transcript"]
    assert [line["from"] for line in transcript] == ["parent", "assistant"]
    assert transcript[0]["text"] == TRANSCRIPT[0]["text"]


# --- the staff text --------------------------------------------------------------------------------


def _sections(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith(" ")]


def test_text_starts_with_priority_and_reference_then_how_to_contact() -> None:
    text = render_text(build(FULL, safety_events=[MISSING_EVENT]))
    lines = text.splitlines()
    assert lines[0].startswith("URGENT") and "ACDE-FG34" in lines[0]
    sections = [s for s in _sections(text)[1:] if s != "Why urgent:"]
    assert sections[0] == "How to contact"
    assert text.index("How to contact") < text.index("About the parent") < text.index("About the child")
    contact_block = text[text.index("How to contact") : text.index("About the parent")]
    assert "07700 900123" in contact_block and "+447700900123" in contact_block
    assert "Safe to leave a message: no" in contact_block
    assert "Safe to say who is calling: yes" in contact_block
    assert "Best times: morning, evening" in contact_block


def test_standard_text_first_line() -> None:
    assert render_text(build(FULL)).splitlines()[0].startswith("Standard")


def test_text_has_every_part_in_order() -> None:
    text = render_text(build(FULL, safety_events=[MISSING_EVENT]), {"police": "Working with the police"})
    order = [
        "How to contact",
        "About the parent",
        "kinship carer",
        "About the child",
        "Concerns: criminal exploitation, online grooming or abuse",
        "Crime reference: WY/12345/26",
        "What help they want",
        "Safety responses given in the chat",
        "child missing (child_missing), 2026-11-22 23:10:00 UTC",
        "Topics looked at",
        "Working with the police",
        "Channel: web",
        "Started: 2026-11-22 23:00:05 UTC",
        "Submitted: 2026-11-22 23:25:40 UTC",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert "  - criminal_exploitation" in text  # no title given: the topic id


def test_skipped_text_says_prefer_not_to_say_and_never_none() -> None:
    text = render_text(build(SKIPPED, topics_viewed=[], transcript=None))
    assert "None" not in text
    assert "Name to use: prefer not to say" in text
    assert "Age: prefer not to say" in text
    assert "Missing right now: prefer not to say" in text
    assert "Concerns: prefer not to say" in text


def test_full_text_never_says_none() -> None:
    assert "None" not in render_text(build({**FULL, "contact_phone": None}, safety_events=[MISSING_EVENT]))


def test_text_shows_only_the_contact_detail_that_applies() -> None:
    answers = {**FULL, "contact_method": "email", "contact_phone": None, "contact_email": "sam@example.org"}
    text = render_text(build(answers))
    assert "Email: sam@example.org" in text and "Phone number" not in text


def test_text_includes_a_consented_transcript_only() -> None:
    assert "My son is being made to carry things" in render_text(build(FULL))
    without = {**FULL, "include_transcript": False}
    assert "My son is being made to carry things" not in render_text(build(without))


# --- the parent's review ---------------------------------------------------------------------------


def test_review_rows_follow_question_order_with_warm_labels() -> None:
    rows = render_parent_review(FULL)
    names = [row[0] for row in rows]
    assert names == [name for name in FIELD_ORDER if name != "contact_email"]  # they chose a phone call
    shown = {name: (label, value) for name, label, value in rows}
    assert shown["preferred_name"] == ("What to call you", "Sam")
    assert shown["contact_method"] == ("How to contact you", "Phone call")
    assert shown["contact_phone"] == ("Your phone number", "07700 900123")
    assert shown["safe_to_leave_message"][1] == "No"
    assert shown["best_times"][1] == "Morning, evening"
    assert shown["child_age"][1] == "15 years old"
    assert shown["agencies"][1] == "Police, school"
    assert all(label == REVIEW_LABELS[name] for name, label, _ in rows)


def test_review_of_skipped_answers_says_prefer_not_to_say() -> None:
    rows = render_parent_review(SKIPPED)
    assert rows
    assert {value for _, _, value in rows} == {"Prefer not to say"}
    assert "include_transcript" not in FIELD_ORDER


def test_every_question_has_a_label() -> None:
    assert set(REVIEW_LABELS) == set(FIELD_ORDER)


# --- reference codes -------------------------------------------------------------------------------


def test_reference_codes_never_use_ambiguous_characters() -> None:
    shape = re.compile(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")
    codes = [new_reference() for _ in range(10_000)]
    assert all(shape.fullmatch(code) for code in codes)
    assert not set("".join(codes)) & set("0O1IL5S2Z8B")
    assert len(set(codes)) > 9_990


def test_normalise_reference_round_trips() -> None:
    for _ in range(200):
        code = new_reference()
        assert normalise_reference(code) == code
        assert normalise_reference(code.lower()) == code
        assert normalise_reference(code.replace("-", "")) == code
        assert normalise_reference(" ".join(code.replace("-", "").lower())) == code


@pytest.mark.parametrize("text", ["", "ACDE-FG3", "ACDE-FG344", "ACDE-FG3O", "ACDE-FG30", "BCDE-FG34", "ACDE/FG34"])
def test_normalise_reference_refuses_what_is_not_a_code(text: str) -> None:
    assert normalise_reference(text) is None
