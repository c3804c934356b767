"""Referrals as CSV (one row each, for a spreadsheet or the charity's case system) or JSON (everything).

CSV cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return) get a leading apostrophe: parent-typed text must never become a formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.content.models import Content
from bot.handoff.parent_notes import parent_notes_lines
from bot.handoff.render import choice_words, national_phone, safety_words
from bot.handoff.summary import Summary
from bot.storage.staff_repository import CaseFile

FORMATS = {"csv": "text/csv", "json": "application/json"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = (
    "reference",
    "priority",
    "priority_reasons",
    "status",
    "assigned_to",
    "received_utc",
    "name_to_use",
    "contact_method",
    "phone",
    "email",
    "safe_to_leave_message",
    "safe_to_say_who_is_calling",
    "best_times",
    "relationship",
    "nation",
    "area",
    "child_age",
    "child_missing_now",
    "concerns",
    "agencies",
    "crime_reference",
    "help_wanted",
    "safety_responses",
    "topics_viewed",
    "channel",
    "transcript_shared",
    "staff_notes",
    "parent_notes",
)


def safe_cell(value: Any) -> str:
    """Text for one CSV cell, with formula-like text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_row(case: CaseFile, summary: Summary, content: Content) -> dict[str, Any]:
    """One referral (its case file and its summary, read) as a row: choices and safety responses in the
    words of content/, "; " between several."""
    referral, answers = case.referral, summary.answers

    def choices(field_name: str) -> str | None:
        value = answers.value(field_name)
        return None if value is None else choice_words(content, field_name, value, "; ")

    return {
        "reference": referral.reference,
        "priority": referral.priority,
        "priority_reasons": "; ".join(summary.reasons),
        "status": referral.status,
        "assigned_to": referral.assigned_to,
        "received_utc": referral.created_at.isoformat(timespec="seconds"),
        "name_to_use": answers.preferred_name,
        "contact_method": choices("contact_method"),
        "phone": national_phone(answers.contact_phone) if answers.contact_phone else None,
        "email": answers.contact_email,
        "safe_to_leave_message": answers.safe_to_leave_message,
        "safe_to_say_who_is_calling": answers.safe_to_say_who_is_calling,
        "best_times": choices("best_times") or "",
        "relationship": choices("relationship"),
        "nation": choices("nation"),
        "area": answers.area,
        "child_age": answers.child_age,
        "child_missing_now": answers.child_missing_now,
        "concerns": choices("concerns") or "",
        "agencies": choices("agencies") or "",
        "crime_reference": answers.crime_reference,
        "help_wanted": answers.help_wanted,
        "safety_responses": "; ".join(
            f"{safety_words(content, r.type)} at {r.at.isoformat()}" for r in summary.safety_responses
        ),
        "topics_viewed": "; ".join(content.topic_title(t) for t in summary.topics_viewed),
        "channel": summary.channel,
        "transcript_shared": summary.transcript is not None,
        "staff_notes": " | ".join(
            f"{n.created_at.isoformat(timespec='minutes')} {n.author}: {n.body}" for n in case.notes
        ),
        "parent_notes": "\n".join(line.strip() for line in parent_notes_lines(summary.parent_notes, content.staff["case_text"])[2:]),
    }


def to_csv(cases: Sequence[tuple[CaseFile, Summary]], content: Content) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads names with accents correctly."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for case, summary in cases:
        writer.writerow({key: safe_cell(value) for key, value in csv_row(case, summary, content).items()})
    return out.getvalue().encode("utf-8-sig")


def to_json(cases: Sequence[CaseFile], *, exported_by: str, exported_at: datetime) -> bytes:
    """The full summaries (schema v1) with the staff fields and notes."""
    document = {
        "exported_at": exported_at.isoformat(timespec="seconds"),
        "exported_by": exported_by,
        "referrals": [
            {
                "reference": case.referral.reference,
                "priority": case.referral.priority,
                "status": case.referral.status,
                "assigned_to": case.referral.assigned_to,
                "received_at": case.referral.created_at.isoformat(timespec="seconds"),
                "updated_at": case.referral.updated_at.isoformat(timespec="seconds"),
                "summary": case.referral.summary,
                "staff_notes": [
                    {"author": n.author, "at": n.created_at.isoformat(timespec="seconds"), "text": n.body}
                    for n in case.notes
                ],
            }
            for case in cases
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
