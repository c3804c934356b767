"""Referrals as CSV (one row each, for a spreadsheet or the charity's case system) or JSON (everything).

CSV cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return) get a leading apostrophe: parent-typed text must never become a formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.handoff.parent_notes import parent_notes_lines
from bot.handoff.summary import CHOICE_WORDS, SAFETY_WORDS
from bot.storage.staff_repository import CaseFile
from bot.web.staff.present import national_phone

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


def _choices(field: str, values: Sequence[str] | None) -> str:
    table = CHOICE_WORDS.get(field, {})
    return "; ".join(table.get(v, v) for v in values or ())


def csv_row(case: CaseFile, topic_titles: Mapping[str, str]) -> dict[str, Any]:
    referral, summary = case.referral, case.referral.summary
    contact = summary.get("contact") or {}
    parent = summary.get("parent") or {}
    child = summary.get("child") or {}
    agencies = summary.get("agencies") or {}
    conversation = summary.get("conversation") or {}
    method = contact.get("method")
    return {
        "reference": referral.reference,
        "priority": referral.priority,
        "priority_reasons": "; ".join((summary.get("priority") or {}).get("reasons") or ()),
        "status": referral.status,
        "assigned_to": referral.assigned_to,
        "received_utc": referral.created_at.isoformat(timespec="seconds"),
        "name_to_use": contact.get("preferred_name"),
        "contact_method": CHOICE_WORDS["contact_method"].get(method, method) if method else None,
        "phone": national_phone(contact["phone"]) if contact.get("phone") else None,
        "email": contact.get("email"),
        "safe_to_leave_message": contact.get("safe_to_leave_message"),
        "safe_to_say_who_is_calling": contact.get("safe_to_say_who_is_calling"),
        "best_times": _choices("best_times", contact.get("best_times")),
        "relationship": CHOICE_WORDS["relationship"].get(parent.get("relationship"), parent.get("relationship")),
        "nation": CHOICE_WORDS["nation"].get(parent.get("nation"), parent.get("nation")),
        "area": parent.get("area"),
        "child_age": child.get("age"),
        "child_missing_now": child.get("missing_now"),
        "concerns": _choices("concerns", summary.get("concerns")),
        "agencies": _choices("agencies", agencies.get("involved")),
        "crime_reference": agencies.get("crime_reference"),
        "help_wanted": summary.get("help_wanted"),
        "safety_responses": "; ".join(
            f"{SAFETY_WORDS.get(r.get('type'), r.get('type'))} at {r.get('at')}"
            for r in conversation.get("safety_responses") or ()
        ),
        "topics_viewed": "; ".join(topic_titles.get(t, t) for t in conversation.get("topics_viewed") or ()),
        "channel": conversation.get("channel"),
        "transcript_shared": summary.get("transcript") is not None,
        "staff_notes": " | ".join(
            f"{n.created_at.isoformat(timespec='minutes')} {n.author}: {n.body}" for n in case.notes
        ),
        "parent_notes": "\n".join(line.strip() for line in parent_notes_lines(summary)[2:]),
    }


def to_csv(cases: Sequence[CaseFile], topic_titles: Mapping[str, str]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads names with accents correctly."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for case in cases:
        writer.writerow({key: safe_cell(value) for key, value in csv_row(case, topic_titles).items()})
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
