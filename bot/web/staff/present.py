"""A referral summary laid out for the person about to ring the parent, and dates in UK time.

Everything here returns plain strings: the templates escape them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from bot.handoff.summary import CHOICE_WORDS, PREFER_NOT, SAFETY_WORDS

UK = ZoneInfo("Europe/London")

STATUS_WORDS = {"new": "New", "in_progress": "In progress", "contacted": "Contacted", "closed": "Closed"}
PRIORITY_WORDS = {"urgent": "Urgent", "standard": "Standard"}


def when(moment: datetime | None) -> str:
    """ "Sun 22 Nov 2026, 23:10" in UK time."""
    if moment is None:
        return "never"
    local = moment.astimezone(UK)
    return local.strftime("%a %-d %b %Y, %H:%M")


def ago(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


NOT_SAID = _cap(PREFER_NOT)


def _words(field: str, value: Any) -> str:
    if value is None:
        return NOT_SAID
    table = CHOICE_WORDS.get(field, {})
    if isinstance(value, list):
        return ", ".join(table.get(str(item), str(item)) for item in value)
    return table.get(str(value), str(value))


def national_phone(e164: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, "GB"), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return e164


@dataclass(frozen=True)
class Permission:
    """A yes/no the caller must respect. Unanswered counts as no: the safe reading."""

    answer: bool | None

    @property
    def allowed(self) -> bool:
        return self.answer is True

    @property
    def words(self) -> str:
        if self.answer is None:
            return "Not answered: treat as no"
        return "Yes" if self.answer else "No"


@dataclass(frozen=True)
class CallerCard:
    name: str
    method: str
    route: str  # the number or address to use, or why there is none
    route_href: str | None  # tel: or mailto: link
    leave_message: Permission
    say_who_is_calling: Permission
    best_times: str


@dataclass(frozen=True)
class CaseView:
    card: CallerCard
    reasons: list[str]
    details: list[tuple[str, str]]
    help_wanted: str
    safety: list[str]
    topics: list[str]
    transcript: list[tuple[str, str, str]] | None  # (time, speaker, text)
    channel: str
    started: str
    submitted: str
    # The parent's own notes, added after the referral: (added, [(heading, [(label, value)])], sheet rows or None).
    parent_notes: tuple[str, list[tuple[str, list[tuple[str, str]]]], list[tuple[str, str]] | None] | None = None


def _rows(rows: Any) -> list[tuple[str, str]]:
    return [(str(row.get("label") or ""), str(row.get("value") or "")) for row in rows or ()]


def parent_notes_view(section: Any) -> tuple[str, list[tuple[str, list[tuple[str, str]]]], list[tuple[str, str]] | None] | None:
    if not isinstance(section, Mapping):
        return None
    entries = [(str(e.get("heading") or ""), _rows(e.get("rows"))) for e in section.get("entries") or ()]
    sheet = section.get("missing_sheet")
    return _when_iso(section.get("added_at")), entries, (_rows(sheet) if sheet else None)


def _when_iso(value: Any) -> str:
    if not value:
        return "not recorded"
    try:
        return when(datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def caller_card(contact: Mapping[str, Any]) -> CallerCard:
    method = contact.get("method")
    phone, email = contact.get("phone"), contact.get("email")
    route, href = "No contact details given", None
    if method in ("phone", "text") and phone:
        route, href = national_phone(phone), f"tel:{phone}"
    elif method == "email" and email:
        route, href = email, f"mailto:{email}"
    elif phone:
        route, href = national_phone(phone), f"tel:{phone}"
    elif email:
        route, href = email, f"mailto:{email}"
    return CallerCard(
        name=contact.get("preferred_name") or NOT_SAID,
        method=_cap(_words("contact_method", method)),
        route=route,
        route_href=href,
        leave_message=Permission(contact.get("safe_to_leave_message")),
        say_who_is_calling=Permission(contact.get("safe_to_say_who_is_calling")),
        best_times=_cap(_words("best_times", contact.get("best_times"))),
    )


def case_view(summary: Mapping[str, Any], topic_titles: Mapping[str, str]) -> CaseView:
    parent = summary.get("parent") or {}
    child = summary.get("child") or {}
    agencies = summary.get("agencies") or {}
    conversation = summary.get("conversation") or {}
    age = child.get("age")
    missing = child.get("missing_now")
    details = [
        ("Relationship to the child", _cap(_words("relationship", parent.get("relationship")))),
        ("Nation", _words("nation", parent.get("nation"))),
        ("Area", parent.get("area") or NOT_SAID),
        ("Child's age", NOT_SAID if age is None else str(age)),
        ("Child missing right now", NOT_SAID if missing is None else ("Yes" if missing else "No")),
        ("Concerns", _cap(_words("concerns", summary.get("concerns")))),
        ("Agencies involved", _cap(_words("agencies", agencies.get("involved")))),
    ]
    if agencies.get("crime_reference") or "police" in (agencies.get("involved") or ()):
        details.append(("Police crime reference", agencies.get("crime_reference") or NOT_SAID))
    transcript = summary.get("transcript")
    return CaseView(
        card=caller_card(summary.get("contact") or {}),
        reasons=list((summary.get("priority") or {}).get("reasons") or []),
        details=details,
        help_wanted=summary.get("help_wanted") or NOT_SAID,
        safety=[
            f"{SAFETY_WORDS.get(str(r.get('type')), str(r.get('type')))}, {_when_iso(r.get('at'))}"
            for r in conversation.get("safety_responses") or []
        ],
        topics=[topic_titles.get(t, t) for t in conversation.get("topics_viewed") or []],
        transcript=None
        if transcript is None
        else [
            (
                _when_iso(line.get("at")),
                "Parent" if line.get("from") == "parent" else "Assistant",
                str(line.get("text") or ""),
            )
            for line in transcript
        ],
        channel=str(conversation.get("channel") or "not recorded"),
        started=_when_iso(conversation.get("started_at")),
        submitted=_when_iso(conversation.get("submitted_at")),
        parent_notes=parent_notes_view(summary.get("parent_notes")),
    )
