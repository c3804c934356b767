"""The referral summary: priority, schema, consent to the transcript, the readable forms, reference codes."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest

from bot.handoff.reference import ALPHABET, new_reference, normalise_reference
from bot.handoff.render import render_text, review_rows
from bot.handoff.summary import (
    FIELD_ORDER,
    SCHEMA_PATH,
    SCHEMA_VERSION,
    Answers,
    Summary,
    build_summary,
    priority,
    validate_summary,
)
from tests.helpers import shipped_content

CONTENT = shipped_content()

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


# --- reading a document back ----------------------------------------------------------------------


def test_a_document_reads_back_into_the_same_document() -> None:
    for document in (build(FULL, safety_events=[MISSING_EVENT]), build(SKIPPED, transcript=None), build({})):
        assert Summary.read(document).document() == document
        assert json.dumps(Summary.read(document).document()) == json.dumps(document)  # the same order too


def test_reading_gives_typed_answers_and_times() -> None:
    summary = Summary.read(build(FULL, safety_events=[MISSING_EVENT]))
    assert summary.urgent and summary.answers.child_age == 15 and summary.answers.best_times == ("morning", "evening")
    assert summary.started_at == datetime(2026, 11, 22, 23, 0, 5, tzinfo=timezone.utc)
    assert [(r.type, r.at.minute) for r in summary.safety_responses] == [("child_missing", 10)]
    assert summary.transcript is not None and summary.transcript[0].speaker == "parent"


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: d.pop("contact"),
        lambda d: d["contact"].update(phone="07700 900123"),
        lambda d: d["conversation"].update(started_at="yesterday"),
        lambda d: d.update(version=2),
        lambda d: d["priority"].update(level="urgent", reasons=[]),
        lambda d: d["child"].update(age="9"),
    ],
    ids=["no contact", "phone not E.164", "time not ISO", "another version", "urgent without a reason", "age as text"],
)
def test_a_document_that_does_not_match_the_schema_is_refused_when_read(spoil) -> None:
    document = build(FULL)
    spoil(document)
    with pytest.raises(ValueError, match="does not match schema"):
        Summary.read(document)


def text_of(document: dict) -> str:
    """The staff text, as the referral page shows it, worded by the shipped content."""
    return render_text(Summary.read(document), CONTENT)


# --- the staff text --------------------------------------------------------------------------------


def _sections(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith(" ")]


def test_text_starts_with_priority_and_reference_then_how_to_contact() -> None:
    text = text_of(build(FULL, safety_events=[MISSING_EVENT]))
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
    assert text_of(build(FULL)).splitlines()[0].startswith("Standard")


def test_text_has_every_part_in_order() -> None:
    text = text_of(build(FULL, safety_events=[MISSING_EVENT], topics_viewed=["criminal_exploitation", "signs"]))
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
        "Signs to look out for",  # the topic's title in the content
        "Channel: web",
        "Started: 2026-11-22 23:00:05 UTC",
        "Submitted: 2026-11-22 23:25:40 UTC",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert "  - criminal_exploitation" in text  # no topic with that id (any more): the id itself


def test_skipped_text_says_prefer_not_to_say_and_never_none() -> None:
    text = text_of(build(SKIPPED, topics_viewed=[], transcript=None))
    assert "None" not in text
    assert "Name to use: prefer not to say" in text
    assert "Age: prefer not to say" in text
    assert "Missing right now: prefer not to say" in text
    assert "Concerns: prefer not to say" in text


def test_full_text_never_says_none() -> None:
    assert "None" not in text_of(build({**FULL, "contact_phone": None}, safety_events=[MISSING_EVENT]))


def test_text_shows_only_the_contact_detail_that_applies() -> None:
    answers = {**FULL, "contact_method": "email", "contact_phone": None, "contact_email": "sam@example.org"}
    text = text_of(build(answers))
    assert "Email: sam@example.org" in text and "Phone number" not in text


def test_text_includes_a_consented_transcript_only() -> None:
    assert "My son is being made to carry things" in text_of(build(FULL))
    without = {**FULL, "include_transcript": False}
    assert "My son is being made to carry things" not in text_of(build(without))


# --- the parent's review ---------------------------------------------------------------------------


def rows_for(answers: dict) -> list[tuple[str, str, str]]:
    return review_rows(CONTENT, Answers.from_contract(answers))


def test_review_rows_follow_question_order_with_warm_labels() -> None:
    rows = rows_for(FULL)
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
    assert all(label == CONTENT.referral.labels["review"][name] for name, label, _ in rows)  # from referral.yml


@pytest.mark.parametrize(("age", "shown"), [(0, "Under 1"), (1, "1 year old"), (2, "2 years old")])
def test_ages_are_said_as_a_parent_would(age: int, shown: str) -> None:
    assert dict((name, value) for name, _, value in rows_for({**SKIPPED, "child_age": age}))["child_age"] == shown


def test_what_the_parent_typed_is_shown_as_typed_and_only_the_content_words_get_a_capital() -> None:
    shown = {name: value for name, _, value in rows_for({**FULL, "preferred_name": "sam", "area": "leeds"})}
    assert shown["preferred_name"] == "sam" and shown["area"] == "leeds"
    assert shown["relationship"] == "Kinship carer"


def test_review_of_skipped_answers_says_prefer_not_to_say() -> None:
    rows = rows_for(SKIPPED)
    assert rows
    assert {value for _, _, value in rows} == {"Prefer not to say"}
    assert "include_transcript" not in FIELD_ORDER


def test_every_question_has_a_label_in_the_shipped_content() -> None:
    assert {name for name, _, _ in rows_for(FULL)} | {"contact_email"} == set(FIELD_ORDER)
    assert {name: label for name, label, _ in rows_for(FULL)}["help_wanted"] == "The help you would like"


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
