"""The parent's own notes added to their referral, with their consent (summary v1's optional section).

The notes come from the widget after the referral was sent in the same conversation, and are kept in
the referral's encrypted summary as `parent_notes`: the entries as the parent's document shows them
(time order, plates and numbers written the standard way) and the missing sheet's filled-in boxes.
Adding them again replaces the earlier copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.content.models import fill
from bot.handoff.summary import _utc_seconds, validate_summary

SECTION = "parent_notes"
MAX_ENTRIES = 200


def parent_notes_section(entries: list[dict[str, Any]], sheet: list[dict[str, str]], added_at: datetime) -> dict[str, Any]:
    """`entries`: [{"heading", "rows": [{"label", "value"}]}]; `sheet`: the filled-in [{"label", "value"}]."""
    return {
        "added_at": _utc_seconds(added_at, "added_at"),
        "entries": entries[:MAX_ENTRIES],
        "missing_sheet": sheet or None,
    }


def with_parent_notes(summary: Mapping[str, Any], section: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `summary` holding `section`, checked against the schema (ValueError if it does not match)."""
    updated = {**summary, SECTION: dict(section)}
    validate_summary(updated)
    return updated


def parent_notes_lines(section: Mapping[str, Any] | None, words: Mapping[str, str]) -> list[str]:
    """The section as plain-text lines for the staff summary, headed in the words of content/staff.yml
    `case_text:` (parent_notes, missing_sheet); none when the parent added no notes."""
    if not section:
        return []
    added = str(section.get("added_at", "")).replace("T", " ")
    lines = ["", fill(words["parent_notes"], added=added)]
    for entry in section.get("entries") or []:
        lines.append(f"  {entry.get('heading')}")
        for row in entry.get("rows") or []:
            value = str(row.get("value") or "").replace("\n", "\n      ")
            lines.append(f"    {row.get('label')}: {value}")
    sheet = section.get("missing_sheet")
    if sheet:
        lines.append(f"  {words['missing_sheet']}")
        lines += [f"    {row.get('label')}: {str(row.get('value') or '')}" for row in sheet]
    return lines
