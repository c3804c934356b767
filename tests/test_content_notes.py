"""content/notes.yml: the notes' boxes, hints and the "what the police will ask" list, loaded and checked like
every other content file, and the "Start my notes" buttons of the recording, missing and safety-plan topics."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT
from bot.content.buttons import expand_buttons
from bot.content.check import check_content
from bot.content.loader import load_content
from bot.content.notes import LOG_FIELDS, SHEET_FIELDS
from bot.content.store import ContentStore
from bot.payloads import typed_message

TODAY = date(2026, 11, 22)
REAL = PROJECT_ROOT / "content"


def copy_of_the_content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(REAL, root)
    return root


def edit_notes(root: Path, change) -> None:  # type: ignore[no-untyped-def]
    path = root / "notes.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def errors(root: Path) -> list[str]:
    content, loaded = load_content(root)
    return [str(f) for f in check_content(content, loaded, TODAY) if f.is_error]


def test_the_real_notes_content_names_every_box_and_passes_the_check() -> None:
    content, loaded = load_content(REAL)
    assert content.notes is not None
    assert [f.key for f in content.notes.log.fields] == list(LOG_FIELDS)
    assert [f.key for f in content.notes.sheet.fields] == list(SHEET_FIELDS)
    assert [str(f) for f in check_content(content, loaded, TODAY) if f.is_error and "notes" in f.file] == []
    police_will_ask = " ".join(f.label for f in content.notes.sheet.fields).lower()
    for asked in ("looks like", "clothes", "phones", "friends", "places", "people", "medicines", "went missing"):
        assert asked in police_will_ask


def test_a_missing_box_an_unknown_box_and_a_step_that_does_not_exist_are_errors(tmp_path: Path) -> None:
    root = copy_of_the_content(tmp_path)

    def break_it(data: dict) -> None:
        del data["log"]["fields"]["vehicles"]
        data["missing_sheet"]["fields"]["shoe_size"] = {"label": "Shoe size"}
        data["missing_sheet"]["steps"].append("missing/no_such_step")

    edit_notes(root, break_it)
    found = errors(root)
    assert any('log, field "vehicles"' in f and "missing" in f for f in found)
    assert any('field "shoe_size"' in f and "unknown box" in f for f in found)
    assert any('"missing/no_such_step" does not exist' in f for f in found)


def test_a_number_typed_into_a_hint_is_an_error_like_anywhere_else(tmp_path: Path) -> None:
    root = copy_of_the_content(tmp_path)
    edit_notes(root, lambda data: data["log"]["fields"]["what"].update(hint="Or ring 0800 123 4567 to tell us."))
    assert any("content/notes.yml" in f and "0800 123 4567" in f for f in errors(root))


def test_a_broken_notes_file_keeps_the_last_good_content_live(tmp_path: Path) -> None:
    root = copy_of_the_content(tmp_path)
    store = ContentStore(root)
    assert store.get().notes is not None
    (root / "notes.yml").write_text("log: [unclosed", encoding="utf-8")
    assert store.get().notes is not None and store.get().notes.log.fields[0].key == "date"
    assert any("notes.yml" in str(p) for p in store.last_problems)


def test_start_my_notes_buttons_pass_the_relay_and_open_the_notes_topic() -> None:
    content, _ = load_content(REAL)
    payloads = {}
    for topic_id in ("recording", "missing", "safety_plan"):
        for step in content.topics[topic_id].steps:
            for button in expand_buttons(step.buttons, content):
                if "notes" in button["payload"]:
                    payloads[(topic_id, button["title"])] = button["payload"]
    assert set(payloads.values()) == {'/open_topic{"topic":"notes"}', '/open_topic{"topic":"notes/missing_sheet"}'}
    assert {topic_id for topic_id, _ in payloads} == {"recording", "missing", "safety_plan"}
    for payload in payloads.values():
        assert typed_message(payload) == payload  # passed on as a button, not read as words
    assert content.topics["notes"].step_index("missing_sheet") is not None
