"""The editable phrases-to-avoid list (content/style/avoid.yml): the content check warns, with the
suggestion, wherever a text uses one; a broken list is located and never holds back the content."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.content.check import check_content
from bot.content.loader import load_content
from bot.content.store import ContentStore
from tests.helpers import PLAIN, messages, topic, write_content

TODAY = date(2026, 11, 22)
AVOID = {
    "phrases": [
        {"phrase": "try to stay calm", "suggestion": "Say that strong feelings are normal."},
        {"phrase": "stay calm", "suggestion": "Say that feeling shaken is normal."},
        {"phrase": "can't make a voice call", "suggestion": "Give the Silent Solution."},
    ]
}


def check(tmp_path: Path, text: str, avoid: dict | str | None = None, *, where: str = "step") -> list:
    steps = [{"id": "start", "text": text if where == "step" else PLAIN, "more": text if where == "more" else None}]
    steps[0] = {key: value for key, value in steps[0].items() if value is not None}
    data = messages()
    if where == "message":
        data["messages"]["goodbye"]["text"] = text
    root = write_content(tmp_path, topics=[topic(steps=steps)], message_data=data)
    (root / "style").mkdir()
    raw = avoid if isinstance(avoid, str) else yaml.safe_dump(avoid or AVOID, allow_unicode=True)
    (root / "style" / "avoid.yml").write_text(raw, encoding="utf-8")
    content, loaded = load_content(root)
    return check_content(content, loaded, TODAY)


def style_warnings(found: list) -> list[str]:
    return [str(f) for f in found if f.level == "warning" and "avoid" in f.message]


def test_a_phrase_to_avoid_is_a_warning_with_the_place_and_the_suggestion(tmp_path: Path) -> None:
    found = check(tmp_path, "Try to stay calm when they get home. " + PLAIN)
    assert style_warnings(found) == [
        'WARNING content/topics/grooming.yml, step "start": avoid "try to stay calm": Say that strong feelings are normal.'
    ]  # one slip, one warning: "stay calm" inside it is not counted again
    assert not [f for f in found if f.is_error]


@pytest.mark.parametrize("where", ["more", "message"])
def test_tell_me_more_and_messages_are_checked_too(tmp_path: Path, where: str) -> None:
    found = check(tmp_path, "Please stay calm. " + PLAIN, where=where)
    assert any('avoid "stay calm"' in w for w in style_warnings(found)), found


@pytest.mark.parametrize(
    "disguised",
    [
        "STAY CALM",
        "stay\ncalm",
        "stay   calm",
        "stay\u00a0calm",  # non-breaking space
        "stay \u200bcalm",  # zero-width space beside a real one
        "s\u200btay calm",  # zero-width space inside a word
        "ｓｔａｙ calm",  # full-width letters
        "I can\u2019t make a voice call",  # curly apostrophe
    ],
)
def test_capitals_spacing_and_odd_unicode_do_not_hide_a_phrase(tmp_path: Path, disguised: str) -> None:
    assert style_warnings(check(tmp_path, f"{disguised}. " + PLAIN)), disguised


@pytest.mark.parametrize("fine", ["Stay calmer", "The grounding topic can help you feel calm.", "outstay calm"])
def test_only_whole_words_match(tmp_path: Path, fine: str) -> None:
    assert style_warnings(check(tmp_path, f"{fine}. " + PLAIN)) == []


def test_the_shipped_list_loads_and_the_shipped_content_uses_none_of_it() -> None:
    content, loaded = load_content(PROJECT_ROOT / "content")
    assert [str(f) for f in loaded if "style" in f.file] == []
    assert len(content.avoid) >= 20
    listed = {p.phrase for p in content.avoid}
    for phrase in ("try to stay calm", "watching how you react", "forced on", "more likely to run"):
        assert phrase in listed
    assert style_warnings(check_content(content, loaded, TODAY)) == []


@pytest.mark.parametrize(
    ("avoid", "problem"),
    [
        ("phrases: [unclosed\n", "not valid YAML"),
        ("- a list\n", 'needs a "phrases:" list'),
        ({"phrases": ["just words"]}, "needs a phrase and a suggestion"),
        ({"phrases": [{"phrase": "stay calm"}]}, 'missing "suggestion"'),
        ({"phrases": [{"phrase": "", "suggestion": "x"}]}, 'missing "phrase"'),
        ({"phrases": [{"phrase": 42, "suggestion": "x"}]}, 'missing "phrase"'),
        ({"phrases": [{"phrase": "a", "suggestion": "x"}]}, "at least two letters"),
        ({"phrases": [{"phrase": "!! ??", "suggestion": "x"}]}, "at least two letters"),
        ({"phrases": [{"phrase": "x" * 81, "suggestion": "x"}]}, "keep it under 80"),
        ({"phrases": [{"phrase": "stay\u202ecalm", "suggestion": "x"}]}, "invisible control characters"),
        ({"phrases": [{"phrase": "Stay Calm", "suggestion": "x"}, {"phrase": "stay  calm", "suggestion": "y"}]}, "twice"),
        ({"phrases": [{"phrase": f"phrase {n} words", "suggestion": "x"} for n in range(501)]}, "too many"),
    ],
)
def test_a_broken_list_is_a_located_error(tmp_path: Path, avoid: dict | str, problem: str) -> None:
    found = check(tmp_path, PLAIN, avoid)
    errors = [str(f) for f in found if f.is_error]
    assert any(e.startswith("ERROR content/style/avoid.yml") and problem in e for e in errors), errors


def test_regex_characters_in_a_phrase_are_taken_literally(tmp_path: Path) -> None:
    avoid = {"phrases": [{"phrase": "(.*)", "suggestion": "x"}, {"phrase": "a+b c?", "suggestion": "y"}]}
    assert style_warnings(check(tmp_path, PLAIN, avoid)) == []
    assert len(style_warnings(check(tmp_path / "b", "Do a+b c? now. " + PLAIN, avoid))) == 1


def test_a_broken_list_never_holds_back_a_content_edit(tmp_path: Path) -> None:
    root = write_content(tmp_path)
    (root / "style").mkdir()
    (root / "style" / "avoid.yml").write_text("phrases: [unclosed\n", encoding="utf-8")
    store = ContentStore(root)
    assert store.get().topics["grooming"].title == "Grooming"
    path = root / "topics" / "grooming.yml"
    path.write_text(path.read_text().replace("title: Grooming", "title: How grooming works"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert store.get().topics["grooming"].title == "How grooming works"
