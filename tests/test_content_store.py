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


def test_a_reload_parses_only_the_file_that_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parsed YAML of unchanged files is kept (tests and services build many stores on the same files)."""
    from bot.content import reading, store

    reading._parsed.cache_clear()  # files other tests parsed would not be parsed here at all,
    store._SAME_FILES.clear()  # nor loaded: copies of the same files share a load
    parsed: list[str] = []
    real = reading.parse_yaml
    monkeypatch.setattr(reading, "parse_yaml", lambda text: parsed.append(text) or real(text))
    root = write_content(tmp_path)
    ContentStore(root).get()
    first = len(parsed)
    assert first >= 5
    path = root / "topics" / "grooming.yml"
    path.write_text(path.read_text().replace("title: Grooming", "title: How grooming works"))
    store = ContentStore(root)
    assert store.get().topics["grooming"].title == "How grooming works"
    assert parsed[first:] == [path.read_text()]


def test_the_data_read_from_a_file_is_the_callers_own_and_bad_yaml_is_found_every_time(tmp_path: Path) -> None:
    from bot.content.reading import Collector, read_yaml

    path = tmp_path / "a.yml"
    path.write_text("steps: [{id: start, text: Hello}]\n")
    read_yaml(path, Collector("a.yml"))["steps"][0]["text"] = "changed by a caller"
    assert read_yaml(path, Collector("a.yml")) == {"steps": [{"id": "start", "text": "Hello"}]}
    path.write_text("steps: [{id: start\n")
    for _ in range(2):
        collector = Collector("a.yml")
        assert read_yaml(path, collector) is None
        assert [f.message for f in collector.findings] == [collector.findings[0].message]
        assert "not valid YAML" in collector.findings[0].message


def test_a_tag_that_would_build_an_object_is_refused_with_its_line_and_nothing_runs(tmp_path: Path) -> None:
    from bot.content.reading import Collector, read_yaml

    marker = tmp_path / "ran"
    path = tmp_path / "a.yml"
    path.write_text(f"title: Hello\nsteps: !!python/object/apply:os.system ['touch {marker}']\n")
    collector = Collector("a.yml")
    assert read_yaml(path, collector) is None
    assert not marker.exists()
    assert "not valid YAML" in collector.findings[0].message and "line 2" in str(collector.findings[0])


def test_stores_on_one_folder_share_a_load_only_while_the_files_and_the_needs_are_the_same(tmp_path: Path) -> None:
    import yaml

    from bot.handoff.form import REFERRAL_NEEDS

    root = write_content(tmp_path)
    first = ContentStore(root).get()
    assert ContentStore(root).get() is first  # the same files: loaded once
    path = root / "staff.yml"
    words = yaml.safe_load(path.read_text())
    del words["case_page"]["no_contact"]
    path.write_text(yaml.safe_dump(words))
    touch_later(path)
    changed = ContentStore(root).get()  # without the hand-off's needs, a staff label is not required
    assert changed is not first and "no_contact" not in changed.staff["case_page"]
    with pytest.raises(ContentUnavailable):  # a store that needs it never takes that load
        ContentStore(root, REFERRAL_NEEDS).get()


def test_a_copy_of_a_folder_shares_its_load_and_an_edit_in_one_copy_stays_in_that_copy(tmp_path: Path) -> None:
    import shutil

    from bot.handoff.form import REFERRAL_NEEDS

    original = write_content(tmp_path / "first")
    loaded = ContentStore(original, REFERRAL_NEEDS).get()
    copy = tmp_path / "second" / original.name
    shutil.copytree(original, copy)
    shared = ContentStore(copy, REFERRAL_NEEDS).get()
    assert shared.root == copy and shared.topics is loaded.topics  # the same files: loaded once
    path = copy / "topics" / "grooming.yml"
    path.write_text(path.read_text().replace("title: Grooming", "title: Grooming, Edited"))
    edited = ContentStore(copy, REFERRAL_NEEDS).get()
    assert edited.topics["grooming"].title == "Grooming, Edited"
    assert ContentStore(original, REFERRAL_NEEDS).get().topics["grooming"].title == "Grooming"
    third = tmp_path / "third" / original.name
    shutil.copytree(original, third)
    (third / "topics" / "grooming.yml").write_text("title: [unclosed")
    with pytest.raises(ContentUnavailable):  # a broken copy is refused, whatever loaded elsewhere
        ContentStore(third, REFERRAL_NEEDS).get()


def test_the_fingerprint_sees_every_file_rglob_sees_and_each_change(tmp_path: Path) -> None:
    """The store's cheap check on each message (os.scandir) finds what `rglob("*.yml")` finds: nested and
    hidden files, not a symlinked folder's, nor other files; a save changes it."""
    from bot.content.store import _fingerprint

    root = tmp_path / "content"
    (root / "topics" / "deep").mkdir(parents=True)
    for name in ("a.yml", "topics/b.yml", "topics/deep/.c.yml", "topics/notes.txt", "topics/d.YML"):
        (root / name).write_text("x: 1\n", encoding="utf-8")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "e.yml").write_text("x: 1\n", encoding="utf-8")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    expected = sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*.yml"))
    assert list(_fingerprint(root)) == expected and len(expected) == 3
    before = _fingerprint(root)
    (root / "topics" / "b.yml").write_text("x: 22\n", encoding="utf-8")
    assert _fingerprint(root) != before
    assert _fingerprint(tmp_path / "missing") == ()
