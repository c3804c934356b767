"""content/menu.yml: an editor's grouping of the topics menu, checked so it stays short and never points nowhere."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot import conversation
from bot.config import PROJECT_ROOT
from bot.content.check import check_content
from bot.content.loader import load_content
from bot.content.store import ContentStore
from tests.helpers import PLAIN, topic, write_content

TODAY = date(2026, 11, 22)


def topics(count: int) -> list[dict]:
    return [topic(f"t{n}", intent=f"t{n}_info", order=n) for n in range(count)]


def write(tmp_path: Path, menu: object, topic_list: list[dict] | None = None) -> Path:
    root = write_content(tmp_path, topics=topic_list if topic_list is not None else topics(3))
    text = menu if isinstance(menu, str) else yaml.safe_dump(menu, sort_keys=False, allow_unicode=True)
    (root / "menu.yml").write_text(text, encoding="utf-8")
    return root


def findings(root: Path) -> list[str]:
    content, loaded = load_content(root)
    return [str(f) for f in check_content(content, loaded, TODAY)]


def group(group_id: str, topic_ids: list[str], **extra: object) -> dict:
    return {"id": group_id, "title": group_id.title(), "topics": topic_ids, **extra}


def test_a_good_menu_has_no_findings(tmp_path: Path) -> None:
    assert findings(write(tmp_path, {"groups": [group("a", ["t0", "t1"]), group("b", ["t2"])]})) == []


def test_a_group_naming_a_missing_topic_is_an_error_and_the_live_content_keeps_the_last_good_menu(tmp_path: Path) -> None:
    root = write(tmp_path, {"groups": [group("a", ["t0", "t1", "t2"])]})
    store = ContentStore(root)
    assert [g.id for g in store.get().menu_groups] == ["a"]
    (root / "menu.yml").write_text(yaml.safe_dump({"groups": [group("b", ["t0", "t1", "t2", "gone"])]}))
    assert [g.id for g in store.get().menu_groups] == ["a"]  # a dead button never goes live
    assert any('group "b": lists the topic "gone", which does not exist' in f for f in findings(root))


def test_more_than_seven_buttons_on_the_first_menu_is_an_error(tmp_path: Path) -> None:
    root = write(tmp_path, {"groups": [group(f"g{n}", [f"t{n}"]) for n in range(6)]}, topics(6))
    assert any("the first menu would show 8 buttons; keep it to 7" in f for f in findings(root))


def test_a_group_of_more_than_seven_topics_is_an_error(tmp_path: Path) -> None:
    root = write(tmp_path, {"groups": [group("big", [f"t{n}" for n in range(8)])]}, topics(8))
    assert any('group "big": 8 topics; keep a group to 7 or fewer' in f for f in findings(root))


def test_a_menu_topic_left_out_of_every_group_is_an_error_on_its_own_file(tmp_path: Path) -> None:
    found = findings(write(tmp_path, {"groups": [group("a", ["t0", "t1"])]}))
    assert any(f.startswith("ERROR content/topics/t2.yml: has menu: true but is in no group") for f in found)


def test_a_hidden_topic_in_a_group_is_an_error_and_a_topic_in_two_groups_a_warning(tmp_path: Path) -> None:
    hidden = topic("exercise", intent=None, order=9, menu=False)
    root = write(tmp_path, {"groups": [group("a", ["t0", "t1", "exercise"]), group("b", ["t2", "t0"])]}, topics(3) + [hidden])
    found = findings(root)
    assert any('group "a": lists "exercise", which has menu: false' in f for f in found)
    assert any(f.startswith('WARNING content/menu.yml, group "b": lists "t0", which the group "a" lists too') for f in found)


def test_the_same_topic_twice_in_a_group_is_an_error(tmp_path: Path) -> None:
    found = findings(write(tmp_path, {"groups": [group("a", ["t0", "t1", "t2", "t0"])]}))
    assert 'ERROR content/menu.yml, group "a": lists the same topic twice' in found


def test_a_broken_reference_in_a_group_text_never_goes_live(tmp_path: Path) -> None:
    root = write(tmp_path, {"groups": [group("a", ["t0", "t1", "t2"])]})
    store = ContentStore(root)
    before = store.get()
    (root / "menu.yml").write_text(yaml.safe_dump({"groups": [group("a", ["t0", "t1", "t2"], text="Call {{nobody.phone}}.")]}))
    assert store.get() is before
    assert any('group "a": {{nobody.phone}}' in f for f in findings(root))


def test_a_group_text_is_checked_like_any_message(tmp_path: Path) -> None:
    root = write(tmp_path, {"groups": [group("a", ["t0", "t1", "t2"], text="Call 0808 800 5000 now. Try to stay calm. " + PLAIN)]})
    (root / "style").mkdir()
    shutil.copy(PROJECT_ROOT / "content" / "style" / "avoid.yml", root / "style" / "avoid.yml")
    found = findings(root)
    assert any('content/menu.yml, group "a": the number "0808 800 5000" is typed into the text' in f for f in found)
    assert any('content/menu.yml, group "a": avoid "try to stay calm"' in f for f in found)


@pytest.mark.parametrize(
    ("menu", "problem"),
    [
        ("groups: [unclosed", "this is not valid YAML"),
        ("just words", 'needs a "groups:" list'),
        ({"groups": []}, 'needs a "groups:" list'),
        ({"groups": ["a"]}, "each group needs an id"),
        ({"groups": [group("Bad Id", ["t0"])]}, "lowercase letters, digits and _ only"),
        ({"groups": [group("caf\u00e9", ["t0"])]}, "lowercase letters, digits and _ only"),
        ({"groups": [group("a", ["t0"], title="")]}, 'missing field "title"'),
        ({"groups": [group("a", ["t0"], title="Help\u202enow")]}, "invisible control characters"),
        ({"groups": [group("a", ["t0"], title="x" * 61)]}, "keep it under 60"),
        ({"groups": [group("a", ["t0"], title=["a", "list"])]}, '"title" should be text'),
        ({"groups": [group("a", "t0")]}, '"topics" should be a list'),
        ({"groups": [group("a", [])]}, '"topics" should be a list'),
        ({"groups": [group("a", [{"id": "t0"}])]}, "is not a topic id"),
        ({"groups": [group("a", ["t0"], colour="red")]}, 'unknown field "colour"'),
        ({"groups": [group("a", ["t0"]), group("a", ["t1"])]}, "used by more than one group"),
        ({"groups": [group(f"g{n}", ["t0"]) for n in range(21)]}, "too many"),
    ],
)
def test_a_broken_menu_file_is_a_located_error(tmp_path: Path, menu: object, problem: str) -> None:
    found = [f for f in findings(write(tmp_path, menu)) if f.startswith("ERROR content/menu.yml")]
    assert any(problem in f for f in found), found


def test_a_broken_menu_file_never_replaces_the_live_menu(tmp_path: Path) -> None:
    root = write(tmp_path, {"groups": [group("a", ["t0", "t1", "t2"])]})
    store = ContentStore(root)
    before = conversation.show_menu(store.get()).messages[0]
    (root / "menu.yml").write_text("groups: [unclosed")
    assert conversation.show_menu(store.get()).messages[0] == before
