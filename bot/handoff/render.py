"""A referral's readable forms: the text the support team reads or pastes into the case system, and the
"check your answers" rows the parent sees before sending. Both are rendered from the typed answers and
summary (bot.handoff.summary), with every word from content/ (referral.yml, staff.yml); the staff
referral page and CSV export (bot.web.staff) use the same helpers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import phonenumbers

from bot.content.models import Content, LabelKeys, fill
from bot.handoff.parent_notes import parent_notes_lines
from bot.handoff.summary import FIELD_ORDER, Answers, Summary, safety_types
from bot.storage.models import PRIORITIES, STATUSES

NONE: frozenset[str] = frozenset()

# The labels each form needs (told to the content check, so a missing one is an error there).
REVIEW_LABELS: LabelKeys = dict.fromkeys((*FIELD_ORDER, "include_transcript"), NONE)
ANSWER_WORDS: LabelKeys = {
    "skipped": NONE,
    "answered_yes": NONE,
    "answered_no": NONE,
    "age_under_one": NONE,
    "age_one": frozenset({"age"}),
    "age": frozenset({"age"}),
}
CASE_TEXT_WORDS: LabelKeys = {
    **dict.fromkeys(
        (
            "why_urgent", "how_to_contact", "name", "contact_by", "phone", "email", "leave_message",
            "say_who_is_calling", "best_times", "about_parent", "relationship", "nation", "area", "about_child",
            "age", "missing_now", "concerns", "agencies", "involved", "crime_reference", "help_wanted",
            "safety_responses", "none", "topics", "conversation", "channel", "started", "submitted", "transcript",
            "transcript_shared", "transcript_not_shared", "missing_sheet",
        ),
        NONE,
    ),
    "parent_notes": frozenset({"added"}),
    "title_urgent": frozenset({"reference"}),
    "title_standard": frozenset({"reference"}),
}
CASE_PAGE_WORDS: LabelKeys = dict.fromkeys(
    (
        "relationship", "nation", "area", "child_age", "missing_now", "concerns", "agencies", "crime_reference",
        "no_contact", "not_answered",
    ),
    NONE,
)
# content/staff.yml, by section: the staff text here, the referral page and CSV export (bot.web.staff).
STAFF_WORDS: dict[str, LabelKeys] = {
    "safety_responses": dict.fromkeys(safety_types(), NONE),
    "speakers": {"parent": NONE, "assistant": NONE},
    "case_text": CASE_TEXT_WORDS,
    "case_page": CASE_PAGE_WORDS,
    "statuses": dict.fromkeys(STATUSES, NONE),
    "priorities": dict.fromkeys(PRIORITIES, NONE),
}


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def national_phone(e164: str) -> str:
    """+447700900123 as 07700 900123 (as given if it cannot be read)."""
    try:
        number = phonenumbers.parse(e164, "GB")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def choice_words(content: Content, field_name: str, value: str | Iterable[str], separator: str = ", ") -> str:
    """The plain words for a stored choice, or several (content/referral.yml `choices:`)."""
    table = content.referral.choices.get(field_name, {})
    if isinstance(value, str):
        return table.get(value, value)
    return separator.join(table.get(str(item), str(item)) for item in value)


def safety_words(content: Content, safety_type: str) -> str:
    return content.staff["safety_responses"].get(safety_type, safety_type)


def speaker(content: Content, who: str) -> str:
    return content.staff["speakers"]["parent" if who == "parent" else "assistant"]


def answer_words(content: Content, field_name: str, value: Any, *, capital: bool = False) -> str:
    """An answer in the words shown back (content/referral.yml `answers:` and `choices:`).

    Those words are written in small letters; `capital` starts them with a capital. What the parent
    typed (a name, an address) is shown exactly as typed either way.
    """
    words = content.referral.labels["answers"]
    if value is None:
        shown = words["skipped"]
    elif isinstance(value, bool):
        shown = words["answered_yes"] if value else words["answered_no"]
    elif field_name == "child_age" and isinstance(value, int):
        shown = words["age_under_one"] if value == 0 else fill(words["age_one" if value == 1 else "age"], age=value)
    elif field_name == "contact_phone":
        return national_phone(str(value))
    elif field_name in content.referral.choices:
        shown = choice_words(content, field_name, value)
    else:
        return str(value)
    return capitalise(shown) if capital else shown


# --- the parent's "check your answers" step --------------------------------------------------------


def review_rows(content: Content, answers: Answers) -> list[tuple[str, str, str]]:
    """(field name, label, shown value) for each question, in question order.

    Follow-up questions that did not apply (a phone number when the parent chose email, a crime
    reference when the police are not involved) are left out.
    """
    labels = content.referral.labels["review"]
    return [
        (name, labels[name], answer_words(content, name, answers.value(name), capital=True))
        for name in FIELD_ORDER
        if answers.applies(name)
    ]


# --- the staff text --------------------------------------------------------------------------------


def _readable_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def render_text(summary: Summary, content: Content) -> str:
    """Plain text for the support team: how to contact the parent comes first, after the priority."""
    words = content.staff["case_text"]
    answers = summary.answers

    def line(label: str, field_name: str) -> str:
        return f"  {words[label]}: {answer_words(content, field_name, answers.value(field_name))}"

    title = words["title_urgent"] if summary.urgent else words["title_standard"]
    lines = [fill(title, reference=summary.reference)]
    if summary.reasons:
        lines.append(words["why_urgent"])
        lines += [f"  - {reason}" for reason in summary.reasons]

    lines += ["", words["how_to_contact"], line("name", "preferred_name"), line("contact_by", "contact_method")]
    if answers.applies("contact_phone"):
        phone = answers.contact_phone
        shown = answer_words(content, "contact_phone", None) if phone is None else f"{national_phone(phone)} ({phone})"
        lines.append(f"  {words['phone']}: {shown}")
    if answers.applies("contact_email"):
        lines.append(line("email", "contact_email"))
    lines.append(line("leave_message", "safe_to_leave_message"))
    lines.append(line("say_who_is_calling", "safe_to_say_who_is_calling"))
    lines.append(line("best_times", "best_times"))

    lines += ["", words["about_parent"], line("relationship", "relationship"), line("nation", "nation"), line("area", "area")]
    age = answers.child_age
    lines += ["", words["about_child"]]
    lines.append(f"  {words['age']}: {answer_words(content, 'child_age', None) if age is None else age}")
    lines.append(line("missing_now", "child_missing_now"))

    lines += ["", f"{words['concerns']}: {answer_words(content, 'concerns', answers.concerns)}"]

    lines += ["", words["agencies"], line("involved", "agencies")]
    if answers.applies("crime_reference"):
        lines.append(line("crime_reference", "crime_reference"))

    help_wanted = answer_words(content, "help_wanted", answers.help_wanted)
    lines += ["", words["help_wanted"]]
    lines += [f"  {text}" for text in help_wanted.splitlines() or [""]]

    lines += ["", words["safety_responses"]]
    lines += [
        f"  - {safety_words(content, r.type)} ({r.type}), {_readable_time(r.at)}" for r in summary.safety_responses
    ] or [f"  {words['none']}"]

    lines += ["", words["topics"]]
    lines += [f"  - {content.topic_title(topic)}" for topic in summary.topics_viewed] or [f"  {words['none']}"]

    shared = summary.transcript is not None
    lines += ["", words["conversation"]]
    lines.append(f"  {words['channel']}: {summary.channel}")
    lines.append(f"  {words['started']}: {_readable_time(summary.started_at)}")
    lines.append(f"  {words['submitted']}: {_readable_time(summary.submitted_at)}")
    lines.append(f"  {words['transcript']}: {words['transcript_shared' if shared else 'transcript_not_shared']}")

    if summary.transcript is not None:
        lines += ["", words["transcript"]]
        for said in summary.transcript:
            text = said.text.replace("\n", "\n      ")  # keep a multi-line message indented
            lines.append(f"  [{_readable_time(said.at)}] {speaker(content, said.speaker)}: {text}")
    lines += parent_notes_lines(summary.parent_notes, words)
    return "\n".join(lines) + "\n"
