"""The topics menu in groups (content/menu.yml): a few buttons on the first menu, each opening a short list.

Grouping lives in content so an editor can regroup or rename without code. Problems come back as located
findings; whether a group names a topic that exists is checked with the rest of the content (check.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.content.models import Finding, MenuGroup
from bot.content.reading import Collector, read_yaml, text_field

MENU_FILE = "menu.yml"  # inside the content folder; optional (without it the menu lists the topics themselves)
GROUP_ID = re.compile(r"^[a-z0-9_]{1,60}$")  # it travels in a button payload (bot/payloads.py)
MAX_GROUPS = 20
MAX_TITLE_CHARS = 60
MAX_TEXT_CHARS = 2000  # the content check holds a bubble to 600; this only refuses an absurd file
MAX_TOPICS_PER_GROUP = 50
FIELDS = {"id", "title", "text", "topics"}


def _topic_ids(collector: Collector, raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        collector.error(where, '"topics" should be a list of at least one topic id')
        return ()
    if len(raw) > MAX_TOPICS_PER_GROUP:
        collector.error(where, f"{len(raw)} topics is too many for one group")
        return ()
    ids = []
    for item in raw:
        if not isinstance(item, str) or not GROUP_ID.match(item.strip()):
            collector.error(where, f'"{item}" is not a topic id (lowercase letters, digits and _ only)')
            continue
        ids.append(item.strip())
    return tuple(ids)


def _group(collector: Collector, raw: Any, index: int) -> MenuGroup | None:
    where = f"group {index}"
    if not isinstance(raw, dict):
        collector.error(where, "each group needs an id, a title and a list of topics")
        return None
    group_id = raw.get("id")
    if not isinstance(group_id, str) or not GROUP_ID.match(group_id.strip()):
        collector.error(where, 'the "id" should be lowercase letters, digits and _ only (at most 60)')
        return None
    where = f'group "{group_id.strip()}"'
    for key in raw:
        if key not in FIELDS:
            collector.error(where, f'unknown field "{key}"')
    title = text_field(collector, raw, "title", where, MAX_TITLE_CHARS, required=True)
    text = text_field(collector, raw, "text", where, MAX_TEXT_CHARS, required=False)
    topics = _topic_ids(collector, raw.get("topics"), where)
    if not title or not topics:
        return None
    return MenuGroup(id=group_id.strip(), title=title, topics=topics, text=text)


def load_menu(path: Path, file: str) -> tuple[tuple[MenuGroup, ...], list[Finding]]:
    """The menu's groups, in file order; problems come back as located findings, never exceptions."""
    collector = Collector(file)
    data = read_yaml(path, collector)
    if collector.findings:
        return (), collector.findings
    entries = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        return (), [Finding("error", file, "", 'the file needs a "groups:" list with at least one group')]
    if len(entries) > MAX_GROUPS:
        return (), [Finding("error", file, "", f"{len(entries)} groups is too many; keep the first menu short")]
    groups: list[MenuGroup] = []
    for index, raw in enumerate(entries, start=1):
        group = _group(collector, raw, index)
        if group is None:
            continue
        if any(group.id == seen.id for seen in groups):
            collector.error(f'group "{group.id}"', f'the id "{group.id}" is used by more than one group')
            continue
        groups.append(group)
    return tuple(groups), collector.findings
