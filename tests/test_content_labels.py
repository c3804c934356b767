"""The short words of the self-referral and the staff's case view live in content/ (referral.yml `labels`
and `choices`, staff.yml): an edit goes live, and a missing or broken label is a located content-check
error that never reaches a parent or the team."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.content.check import check_content
from bot.content.loader import load_content
from bot.content.store import ContentStore
from bot.handoff import form
from bot.handoff.form import REFERRAL_NEEDS
from tests.helpers import ALL_ANSWERED, SHIPPED_CONTENT_DIR, referral, staff_words, write_content

TODAY = date(2026, 11, 22)


def findings_for(root: Path) -> list[str]:
    content, loaded = load_content(root)
    return [str(f) for f in check_content(content, loaded, TODAY, REFERRAL_NEEDS)]


def errors_for(root: Path) -> list[str]:
    return [f for f in findings_for(root) if f.startswith("ERROR")]


def with_label(section: str, key: str, words: object) -> dict:
    data = referral()
    data["labels"][section][key] = words
    return data


def test_the_shipped_content_words_every_label_the_code_needs() -> None:
    assert [f for f in findings_for(SHIPPED_CONTENT_DIR) if "labels" in f or "choices" in f or "staff.yml" in f] == []


def test_test_content_with_the_shipped_labels_is_clean(tmp_path: Path) -> None:
    assert findings_for(write_content(tmp_path)) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda r, s: r["labels"]["review"].pop("preferred_name"),
         'ERROR content/referral.yml, labels "review": missing "preferred_name": the code needs this label'),
        (lambda r, s: r["labels"]["buttons"].pop("skip"),
         'ERROR content/referral.yml, labels "buttons": missing "skip": the code needs this label'),
        (lambda r, s: r["choices"]["nation"].pop("wales"),
         'ERROR content/referral.yml, choices "nation": missing "wales": the code needs this label'),
        (lambda r, s: r["choices"].pop("agencies"),
         'ERROR content/referral.yml, choices "agencies": missing "none": the code needs this label'),
        (lambda r, s: s["safety_responses"].pop("child_missing"),
         'ERROR content/staff.yml, "safety_responses": missing "child_missing": the code needs this label'),
        (lambda r, s: s["case_text"].pop("how_to_contact"),
         'ERROR content/staff.yml, "case_text": missing "how_to_contact": the code needs this label'),
    ],
    ids=["review label", "button", "one choice", "a whole question's choices", "safety response", "case text"],
)
def test_a_missing_label_is_a_located_error(tmp_path: Path, edit, expected: str) -> None:
    wording, staff = referral(), staff_words()
    edit(wording, staff)
    assert expected in errors_for(write_content(tmp_path, referral_data=wording, staff_data=staff))


def test_without_staff_yml_the_check_says_the_file_is_missing(tmp_path: Path) -> None:
    root = write_content(tmp_path)
    (root / "staff.yml").unlink()
    errors = errors_for(root)
    assert "ERROR content/staff.yml: this file is missing" in errors
    assert any('"case_page": missing "no_contact"' in e for e in errors)


@pytest.mark.parametrize(
    ("key", "words", "problem"),
    [
        ("age", "{agee} years old", "must use {age}"),
        ("age", "years old", "must use {age}"),
        ("age_under_one", "under {age}", "must use no {...} at all"),
        ("age", "{age.__class__} years old", "curly brackets only around a name"),
        ("age", "{0} years old", "curly brackets only around a name"),
        ("age", "{age years old", "curly brackets only around a name"),
        ("age", "{} years old", "curly brackets only around a name"),
    ],
)
def test_placeholders_must_be_exactly_the_ones_the_code_fills(tmp_path: Path, key: str, words: str, problem: str) -> None:
    errors = errors_for(write_content(tmp_path, referral_data=with_label("answers", key, words)))
    assert any(f'labels "answers", "{key}"' in e and problem in e for e in errors), errors


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        (True, "put them in quotes"),  # `answered_yes: yes` without quotes is YAML's true
        (12, "put them in quotes"),
        (["a", "list"], "put them in quotes"),
        ("   ", "needs some words"),
        ("two\nlines", "one line"),
        ("Yes\u200b", "invisible characters"),
        ("\u202eoN", "invisible characters"),
        ("y" * 201, "at most 200"),
    ],
    ids=["yaml true", "number", "list", "blank", "two lines", "zero-width space", "bidi override", "oversized"],
)
def test_a_label_that_is_not_one_short_line_of_words_is_refused(tmp_path: Path, words: object, problem: str) -> None:
    errors = errors_for(write_content(tmp_path, referral_data=with_label("answers", "answered_yes", words)))
    assert any('labels "answers", "answered_yes"' in e and problem in e for e in errors), errors
    assert 'ERROR content/referral.yml, labels "answers": missing "answered_yes": the code needs this label' in errors


@pytest.mark.parametrize("shape", [["a", "list"], "text", 7])
def test_labels_of_the_wrong_shape_are_located_errors(tmp_path: Path, shape: object) -> None:
    wording = referral()
    wording["labels"]["review"] = shape
    errors = errors_for(write_content(tmp_path, referral_data=wording))
    assert any(e.startswith('ERROR content/referral.yml, labels "review": should be a list of key: words') for e in errors)
    root = write_content(tmp_path / "whole")
    (root / "staff.yml").write_text(yaml.safe_dump(shape))
    assert any(e.startswith("ERROR content/staff.yml: the file should be sections") for e in errors_for(root))


def test_a_label_nothing_uses_is_a_warning_not_an_error(tmp_path: Path) -> None:
    found = findings_for(write_content(tmp_path, referral_data=with_label("review", "prefered_name", "Your name")))
    assert found == ['WARNING content/referral.yml, labels "review", "prefered_name": nothing uses this label; is the name misspelt?']


def touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))


def test_an_edited_label_reaches_the_parent_on_the_next_message_and_a_broken_one_never_does(tmp_path: Path) -> None:
    root = write_content(tmp_path)
    store = ContentStore(root, REFERRAL_NEEDS)
    assert "What to call you: Sam" in form.review(store.get(), ALL_ANSWERED).text

    path = root / "referral.yml"
    wording = yaml.safe_load(path.read_text())
    wording["labels"]["review"]["preferred_name"] = "Your name"
    wording["labels"]["buttons"]["send"] = "Send my details"
    path.write_text(yaml.safe_dump(wording))
    touch_later(path)
    message = form.review(store.get(), ALL_ANSWERED)
    assert "Your name: Sam" in message.text and message.buttons[0] == {"title": "Send my details", "payload": "/affirm"}

    del wording["labels"]["review"]["preferred_name"]
    path.write_text(yaml.safe_dump(wording))
    touch_later(path)
    assert "Your name: Sam" in form.review(store.get(), ALL_ANSWERED).text  # the last good wording stays
    assert any('missing "preferred_name"' in str(problem) for problem in store.last_problems)
