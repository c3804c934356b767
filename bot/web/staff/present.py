"""A referral summary laid out for the person about to ring the parent, and dates in UK time.

Rendered from the typed summary (bot.handoff.summary.Summary), with the words from content/
(staff.yml `case_page`, referral.yml `answers` and `choices`). Everything here returns plain strings:
the templates escape them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from bot.content.models import Content, fill
from bot.content.words import DAYS, MONTHS
from bot.handoff.render import answer_words, national_phone, safety_words, speaker
from bot.handoff.summary import Answers, Summary

UK = ZoneInfo("Europe/London")


# The short names of the days (Monday first, as datetime.weekday) and months in content/staff.yml `labels:`.
SHORT_DAYS = tuple(day[:3] for day in (*DAYS[1:], DAYS[0]))
SHORT_MONTHS = tuple(month[:3] for month in MONTHS)


def when(moment: datetime | None, words: Mapping[str, str]) -> str:
    """ "Sun 22 Nov 2026, 23:10" in UK time, in the words of content/staff.yml `labels:` (when, day_sun,
    month_nov, never)."""
    if moment is None:
        return words["never"]
    local = moment.astimezone(UK)
    return fill(
        words["when"],
        weekday=words[f"day_{SHORT_DAYS[local.weekday()]}"],
        day=local.day,
        month=words[f"month_{SHORT_MONTHS[local.month - 1]}"],
        year=local.year,
        time=f"{local:%H:%M}",
    )


def on_day(day: date, words: Mapping[str, str], form: str) -> str:
    """A day in `form` ("{day} {month} {year}", from content/staff.yml), with the short month of `labels:`."""
    return fill(form, day=day.day, month=words[f"month_{SHORT_MONTHS[day.month - 1]}"], year=day.year)


def fill_markup(words: str, **values: object) -> Markup:
    """Words from content/ with their {placeholders} filled, for a sentence with a link or a command in it: the
    words and plain values are escaped as everything in the templates is; a value the template made as markup
    (a link, <code>) is kept as it is."""
    return Markup.escape(words).format(**values)


def ago(moment: datetime, now: datetime, words: Mapping[str, str]) -> str:
    """ "2 hours ago", in the words of content/staff.yml `labels:` (just_now, minute_ago, minutes_ago ...)."""
    seconds = max(0, int((now - moment).total_seconds()))
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return fill(words[f"{unit}_ago" if count == 1 else f"{unit}s_ago"], count=count)
    return words["just_now"]


@dataclass(frozen=True)
class Permission:
    """A yes/no the caller must respect. Unanswered counts as no: the safe reading."""

    answer: bool | None
    words: str  # "Yes", "No", or that it was not answered and counts as no

    @property
    def allowed(self) -> bool:
        return self.answer is True


def _permission(content: Content, answer: bool | None) -> Permission:
    if answer is None:
        return Permission(None, content.staff["case_page"]["not_answered"])
    return Permission(answer, answer_words(content, "", answer, capital=True))


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


def parent_notes_view(
    section: Any, words: Mapping[str, str]
) -> tuple[str, list[tuple[str, list[tuple[str, str]]]], list[tuple[str, str]] | None] | None:
    if not isinstance(section, Mapping):
        return None
    entries = [(str(e.get("heading") or ""), _rows(e.get("rows"))) for e in section.get("entries") or ()]
    sheet = section.get("missing_sheet")
    try:
        added = when(datetime.fromisoformat(str(section.get("added_at"))), words)
    except ValueError:
        added = str(section.get("added_at") or "")
    return added, entries, (_rows(sheet) if sheet else None)


def caller_card(content: Content, answers: Answers) -> CallerCard:
    method, phone, email = answers.contact_method, answers.contact_phone, answers.contact_email
    route, href = content.staff["case_page"]["no_contact"], None
    if method in ("phone", "text") and phone:
        route, href = national_phone(phone), f"tel:{phone}"
    elif method == "email" and email:
        route, href = email, f"mailto:{email}"
    elif phone:
        route, href = national_phone(phone), f"tel:{phone}"
    elif email:
        route, href = email, f"mailto:{email}"
    return CallerCard(
        name=answer_words(content, "preferred_name", answers.preferred_name, capital=True),
        method=answer_words(content, "contact_method", method, capital=True),
        route=route,
        route_href=href,
        leave_message=_permission(content, answers.safe_to_leave_message),
        say_who_is_calling=_permission(content, answers.safe_to_say_who_is_calling),
        best_times=answer_words(content, "best_times", answers.best_times, capital=True),
    )


def case_view(summary: Summary, content: Content) -> CaseView:
    labels = content.staff["labels"]
    words = content.staff["case_page"]
    answers = summary.answers

    def shown(field_name: str) -> str:
        return answer_words(content, field_name, answers.value(field_name), capital=True)

    age = answers.child_age
    details = [
        (words["relationship"], shown("relationship")),
        (words["nation"], shown("nation")),
        (words["area"], shown("area")),
        (words["child_age"], shown("child_age") if age is None else str(age)),
        (words["missing_now"], shown("child_missing_now")),
        (words["concerns"], shown("concerns")),
        (words["agencies"], shown("agencies")),
    ]
    if answers.applies("crime_reference"):
        details.append((words["crime_reference"], shown("crime_reference")))
    return CaseView(
        card=caller_card(content, answers),
        reasons=list(summary.reasons),
        details=details,
        help_wanted=shown("help_wanted"),
        safety=[f"{safety_words(content, r.type)}, {when(r.at, labels)}" for r in summary.safety_responses],
        topics=[content.topic_title(topic) for topic in summary.topics_viewed],
        transcript=None
        if summary.transcript is None
        else [(when(line.at, labels), speaker(content, line.speaker), line.text) for line in summary.transcript],
        channel=summary.channel,
        started=when(summary.started_at, labels),
        submitted=when(summary.submitted_at, labels),
        parent_notes=parent_notes_view(summary.parent_notes, labels),
    )
