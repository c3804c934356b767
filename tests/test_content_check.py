"""The content check finds each kind of problem an editor can make, and says where it is."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.content.check import check_content, inline_numbers, readability_scores
from bot.content.loader import load_content
from bot.domain import drift_findings
from tests.helpers import PLAIN, SERVICES, messages, topic, write_content

TODAY = date(2026, 11, 22)


def findings_for(root: Path, today: date = TODAY) -> list[str]:
    content, loaded = load_content(root)
    return [str(f) for f in check_content(content, loaded, today)]


def test_clean_content_has_no_findings(tmp_path: Path) -> None:
    assert findings_for(write_content(tmp_path)) == []


def test_missing_field_is_named_with_file_and_step(tmp_path: Path) -> None:
    broken = topic(steps=[{"id": "start"}])
    found = findings_for(write_content(tmp_path, topics=[broken]))
    assert 'ERROR content/topics/grooming.yml, step "start": missing field "text"' in found


def test_duplicate_topic_ids_are_reported(tmp_path: Path) -> None:
    root = write_content(tmp_path, topics=[topic()])
    (root / "topics" / "copy.yml").write_text((root / "topics" / "grooming.yml").read_text())
    assert any('topic id "grooming" is also used' in f for f in findings_for(root))


def test_duplicate_step_ids_are_reported(tmp_path: Path) -> None:
    twice = topic(steps=[{"id": "a", "text": PLAIN}, {"id": "a", "text": PLAIN}])
    assert any('step id "a" is used twice' in f for f in findings_for(write_content(tmp_path, topics=[twice])))


def test_button_pointing_nowhere_is_an_error(tmp_path: Path) -> None:
    dangling = topic(steps=[{"id": "start", "text": PLAIN, "buttons": [{"title": "Go", "goto": "groming"}]}])
    found = findings_for(write_content(tmp_path, topics=[dangling]))
    assert (
        'ERROR content/topics/grooming.yml, step "start": the button "Go" points to "groming", which does not exist'
        in found
    )


def test_button_to_a_missing_step_is_an_error(tmp_path: Path) -> None:
    dangling = topic(steps=[{"id": "start", "text": PLAIN, "buttons": [{"title": "Go", "goto": "grooming/nope"}]}])
    assert any('points to "grooming/nope"' in f for f in findings_for(write_content(tmp_path, topics=[dangling])))


@pytest.mark.parametrize("typed", ["999", "101", "116 123", "0808 800 5000", "text 85258"])
def test_phone_number_typed_inline_is_an_error(tmp_path: Path, typed: str) -> None:
    inline = topic(steps=[{"id": "start", "text": f"Please call {typed} if you need to. " + PLAIN}])
    found = findings_for(write_content(tmp_path, topics=[inline]))
    assert any("is typed into the text" in f and 'step "start"' in f for f in found)


@pytest.mark.parametrize("harmless", ["the 5-4-3-2-1 exercise", "within 72 hours", "aged 13", "in 2023", "section 47"])
def test_ordinary_numbers_are_not_phone_numbers(harmless: str) -> None:
    assert inline_numbers(f"Try {harmless} today.") == []


def test_referenced_number_is_fine_but_unknown_reference_is_not(tmp_path: Path) -> None:
    unknown = topic(steps=[{"id": "start", "text": "Call {{samaritan.phone}} now. " + PLAIN}])
    found = findings_for(write_content(tmp_path, topics=[unknown]))
    assert any('no service with the id "samaritan"' in f for f in found)


def test_stale_service_is_a_warning_not_an_error(tmp_path: Path) -> None:
    stale = {"services": [dict(SERVICES["services"][0], verified=date(2025, 6, 1)), SERVICES["services"][1]]}
    content, loaded = load_content(write_content(tmp_path, services=stale))
    found = check_content(content, loaded, TODAY)
    assert [f.level for f in found] == ["warning"]
    assert "over 12 months ago" in found[0].message and found[0].where == 'service "emergency"'


def test_service_without_source_or_date_is_an_error(tmp_path: Path) -> None:
    bare = {"services": [{"id": "emergency", "name": "Emergency", "about": "x", "phone": "999"}]}
    found = findings_for(write_content(tmp_path, services=bare))
    assert any('missing field "source"' in f for f in found)
    assert any('missing field "verified"' in f for f in found)


def test_long_bubble_is_an_error(tmp_path: Path) -> None:
    long_text = " ".join([PLAIN] * 7)
    assert len(long_text) > 600
    found = findings_for(write_content(tmp_path, topics=[topic(steps=[{"id": "start", "text": long_text}])]))
    assert any("characters long; keep it under 600" in f for f in found)


def test_hard_to_read_text_is_an_error_with_its_score(tmp_path: Path) -> None:
    hard = (
        "Multi-agency safeguarding arrangements necessitate comprehensive interdisciplinary "
        "collaboration, notwithstanding organisational heterogeneity and jurisdictional complexity "
        "characterising contemporary statutory frameworks."
    )
    found = findings_for(write_content(tmp_path, topics=[topic(steps=[{"id": "start", "text": hard}])]))
    assert any("reading ease is" in f and "below 60" in f for f in found)


def test_invalid_yaml_is_located_by_line(tmp_path: Path) -> None:
    root = write_content(tmp_path)
    (root / "topics" / "broken.yml").write_text("id: broken\ntitle: [unclosed\n")
    assert any(f.startswith("ERROR content/topics/broken.yml, line") for f in findings_for(root))


def test_missing_required_message_is_an_error(tmp_path: Path) -> None:
    data = messages()
    del data["messages"]["fallback"]
    assert 'ERROR content/messages.yml: missing message "fallback"' in findings_for(
        write_content(tmp_path, message_data=data)
    )


def test_real_content_passes_with_scores_for_every_step() -> None:
    content, loaded = load_content(PROJECT_ROOT / "content")
    errors = [str(f) for f in check_content(content, loaded, date.today()) if f.is_error]
    assert errors == []
    scored = [s for s in readability_scores(content) if s.score is not None]
    assert scored and all(s.score >= 60 for s in scored)
    assert drift_findings(content) == []


FACT_SHEET_SOURCE = "shared/reference/signposting-facts.md"


def _one_service(**fields: object) -> dict:
    """The test directory with its first entry changed (None removes a field)."""
    changed = {key: value for key, value in {**SERVICES["services"][0], **fields}.items() if value is not None}
    return {"services": [changed, SERVICES["services"][1]]}


def test_a_verified_date_on_an_entry_taken_from_the_fact_sheet_is_an_error(tmp_path: Path) -> None:
    claimed = _one_service(source=[FACT_SHEET_SOURCE, "https://example.org/999"])
    content, loaded = load_content(write_content(tmp_path, services=claimed))
    errors = [f for f in check_content(content, loaded, TODAY) if f.is_error]
    assert [(f.where, "its source is the fact sheet" in f.message) for f in errors] == [('service "emergency"', True)]


def test_an_entry_from_the_fact_sheet_must_say_what_needs_confirming(tmp_path: Path) -> None:
    unchecked = _one_service(source=[FACT_SHEET_SOURCE], verified=None)
    found = findings_for(write_content(tmp_path, services=unchecked))
    assert any(f.startswith('ERROR content/services.yml, service "emergency": taken from the fact sheet') for f in found)


def test_an_entry_from_the_fact_sheet_with_needs_confirming_is_a_warning_that_says_so(tmp_path: Path) -> None:
    honest = _one_service(source=[FACT_SHEET_SOURCE.upper()], verified=None, needs_confirming="Check the number.")
    content, loaded = load_content(write_content(tmp_path, services=honest))
    found = check_content(content, loaded, TODAY)
    assert [(f.level, f.message) for f in found] == [
        ("warning", "needs confirming (taken from the fact sheet, not checked on the service's own page): Check the number.")
    ]


def test_a_verified_date_needs_a_web_page_as_its_source(tmp_path: Path) -> None:
    no_page = _one_service(source=["a phone call, probably"])
    found = findings_for(write_content(tmp_path, services=no_page))
    assert any("has a verified date but no web page in source" in f for f in found)


@pytest.mark.parametrize("empty", ["", "   ", None])
def test_an_empty_needs_confirming_does_not_stand_in_for_a_verified_date(tmp_path: Path, empty: str | None) -> None:
    blank = _one_service(verified=None, needs_confirming=empty)
    found = findings_for(write_content(tmp_path, services=blank))
    assert any('missing field "verified"' in f for f in found)


def test_no_shipped_service_claims_a_check_of_its_own_page_that_the_fact_sheet_cannot_give() -> None:
    content, _ = load_content(PROJECT_ROOT / "content")
    for service in content.services.values():
        from_fact_sheet = any("signposting-facts.md" in source for source in service.sources)
        assert service.verified is None or not from_fact_sheet, service.id
        assert service.verified or service.needs_confirming, service.id


def test_family_rights_group_and_the_rape_crisis_line_are_listed_with_hours_and_flagged() -> None:
    content, loaded = load_content(PROJECT_ROOT / "content")
    warned = {f.where for f in check_content(content, loaded, TODAY) if "needs confirming" in f.message}
    for service_id in ("family_rights_group", "rape_crisis"):
        service = content.services[service_id]
        assert {"phone", "hours"} <= service.details.keys()
        assert service.verified is None and f'service "{service_id}"' in warned
    assert "24 hours" in content.services["rape_crisis"].details["hours"]
    assert "England" in content.services["family_rights_group"].details["about"]
