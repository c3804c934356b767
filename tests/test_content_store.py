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
