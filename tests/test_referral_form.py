"""The self-referral conversation logic, on the shipped wording (no Rasa server)."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.handoff import form
from tests.helpers import ALL_ANSWERED, shipped_content

CONTENT = shipped_content()


def test_consent_says_what_is_kept_who_sees_it_how_long_and_that_it_can_stop() -> None:
    message = form.consent(CONTENT)
    text = message.text.lower()
    for words in ("stored", "support team", "12 months", "stop", "not an emergency service", "999"):
        assert words in text, words
    assert [b["payload"] for b in message.buttons] == ["/affirm", "/deny"]


def test_only_the_questions_that_apply_are_asked() -> None:
    by_phone = form.required_fields({"contact_method": "phone", "agencies": ["school"]})
    assert "contact_phone" in by_phone and "contact_email" not in by_phone and "crime_reference" not in by_phone
    by_email = form.required_fields({"contact_method": "email", "agencies": ["police"]})
    assert "contact_email" in by_email and "contact_phone" not in by_email and "crime_reference" in by_email
    assert form.required_fields({})[0] == "preferred_name" and form.required_fields({})[-1] == "include_transcript"


def test_every_question_can_be_skipped_or_stopped() -> None:
    for field_name in form.FORM_FIELDS:
        buttons = {b["title"]: b["payload"] for b in form.question(CONTENT, field_name).buttons}
        assert buttons["Stop"] == "/cancel", field_name
        # The skip button's words, sent back as the answer, are read as a skip by that question's validator.
        assert form.validate_answer(field_name, buttons["Prefer not to say"]) == (form.SKIPPED, None), field_name


def test_a_renamed_skip_button_still_skips() -> None:
    """Editors may reword the button; what it sends stays words the validators read as a skip."""
    import dataclasses

    labels = {**CONTENT.referral.labels, "buttons": {**CONTENT.referral.labels["buttons"], "skip": "I'd rather not"}}
    content = dataclasses.replace(CONTENT, referral=dataclasses.replace(CONTENT.referral, labels=labels))
    skip = next(b for b in form.question(content, "child_age").buttons if b["title"] == "I'd rather not")
    assert form.validate_answer("child_age", skip["payload"]) == (form.SKIPPED, None)


def test_a_skip_is_remembered_as_prefer_not_to_say_and_becomes_none_in_the_answers() -> None:
    assert form.validate_answer("child_age", "prefer not to say") == (form.SKIPPED, None)
    answers = form.answers_from_slots({**ALL_ANSWERED, "child_age": form.SKIPPED})
    assert answers["child_age"] is None


def test_a_bad_answer_gets_a_clear_re_ask_and_is_not_kept() -> None:
    value, error = form.validate_answer("contact_phone", "12")
    assert value is None and error
    assert "number" in form.re_ask(CONTENT, "contact_phone", error).text.lower()


def test_texts_need_a_mobile_number() -> None:
    assert form.validate_answer("contact_phone", "020 7946 0018", {"contact_method": "text"}) == (None, "phone_not_mobile")
    assert form.validate_answer("contact_phone", "020 7946 0018", {"contact_method": "phone"})[0] == "+442079460018"


def test_missing_now_from_the_safety_net_is_a_yes() -> None:
    assert form.validate_answer("child_missing_now", True) == (True, None)


def test_review_lists_every_answer_that_applies_and_offers_send_change_stop() -> None:
    message = form.review(CONTENT, ALL_ANSWERED)
    assert "Sam" in message.text and "Leeds" in message.text and "14" in message.text
    assert "Your email address" not in message.text
    assert [b["payload"] for b in message.buttons] == ["/affirm", "/referral_change", "/cancel"]


def test_change_offers_one_button_per_answer_that_applies() -> None:
    buttons = form.change_choices(CONTENT, ALL_ANSWERED).buttons
    payloads = [b["payload"] for b in buttons]
    assert '/referral_change{"field":"contact_phone"}' in payloads
    assert '/referral_change{"field":"contact_email"}' not in payloads
    assert payloads[-1] == "/affirm"


def test_submitted_message_gives_the_reference_and_the_emergency_numbers() -> None:
    text = form.referral_message(CONTENT, "submitted", "ACDE-FG34").text
    assert "ACDE-FG34" in text and "999" in text and "116 123" in text


def test_the_form_start_is_the_consent_and_the_transcript_skips_button_payloads() -> None:
    events = [
        {"event": "user", "text": "hello", "timestamp": 100.0},
        {"event": "action", "name": "action_referral_consent", "timestamp": 200.0},
        {"event": "user", "text": "/affirm", "timestamp": 201.0},
        {"event": "bot", "text": "What would you like the team to call you?", "timestamp": 202.0},
    ]
    assert form.form_started_at(events) == datetime.fromtimestamp(200.0, tz=timezone.utc)
    lines = form.transcript(events)
    assert [line["from"] for line in lines] == ["parent", "assistant"]
    assert lines[0]["text"] == "hello"
