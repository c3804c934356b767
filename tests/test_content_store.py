"""Edits go live without a restart, and a broken edit never reaches parents."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.content.store import ContentStore, ContentUnavailable
from tests.helpers import write_content


def touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_an_edited_file_is_served_on_the_next_request(tmp_path: Path) -> None:
    root = write_content(tmp_path)
    store = ContentStore(root)
    assert store.get().topics["grooming"].title == "Grooming"
    path = root / "topics" / "grooming.yml"
    path.write_text(path.read_text().replace("title: Grooming", "title: How grooming works"))
    touch_later(path)
    assert store.get().topics["grooming"].title == "How grooming works"


def test_a_broken_edit_keeps_the_last_good_content(tmp_path: Path) -> None:
    root = write_content(tmp_path)
    store = ContentStore(root)
    store.get()
    path = root / "topics" / "grooming.yml"
    path.write_text(path.read_text().replace("{{emergency.phone}}", "{{emergncy.phone}}"))
    touch_later(path)
    assert "{{emergency.phone}}" in store.get().topics["grooming"].steps[1].text
    assert any("emergncy" in str(p) for p in store.last_problems)


def test_no_valid_content_at_all_raises(tmp_path: Path) -> None:
    root = write_content(tmp_path)
    (root / "services.yml").write_text("services: [")
    with pytest.raises(ContentUnavailable):
        ContentStore(root).get()


def test_an_edit_that_drops_a_referral_question_is_refused_where_the_hand_off_needs_it(tmp_path: Path) -> None:
    import yaml

    from bot.handoff.form import REFERRAL_NEEDS

    root = write_content(tmp_path)
    store = ContentStore(root, REFERRAL_NEEDS)
    assert "child_age" in store.get().referral.questions
    path = root / "referral.yml"
    wording = yaml.safe_load(path.read_text())
    del wording["questions"]["child_age"]
    path.write_text(yaml.safe_dump(wording))
    touch_later(path)
    assert "child_age" in store.get().referral.questions  # parents keep the last good wording
    assert any('question "child_age"' in str(p) for p in store.last_problems)
