"""The content check: located errors and warnings an editor can act on."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from bot.content.models import STANDARD_BUTTONS, Button, Content, Finding, LabelKeys, Labels, ReferralNeeds, Service
from bot.content.notes import NOTES_PATH, notes_findings, notes_text_blocks
from bot.content.organisation import ORGANISATION_ID, TEAM_ID
from bot.content.organisation import SECTIONS as ORGANISATION_SECTIONS
from bot.content.render import BrokenReference, references_in, render, resolve, without_references
from bot.content.style import avoided_in
from bot.content.words import BUTTON_WORDS, STAFF_PAGE_WORDS, WEB_WORDS

MAX_BUBBLE_CHARS = 600
MIN_READING_EASE = 60.0
MIN_WORDS_FOR_READABILITY = 12
VERIFICATION_MAX_AGE = timedelta(days=365)
# A source naming the project's fact sheet: details copied from it, not checked on the service's own page.
FACT_SHEET = "signposting-facts.md"

# Messages the assistant's actions rely on (see bot/conversation.py).
REQUIRED_MESSAGES = (
    "welcome",
    "menu",
    "fallback",
    "bot_challenge",
    "goodbye",
    "thanks",
    "out_of_scope",
    "affirm",
    "deny",
    "topic_end",
    "help_now",
    "content_unavailable",
    "resume",
    "fallback_choices",
    "safety_check_choices",
    "other_topics",
    "safety_danger_now",
    "safety_missing_now",
    "safety_parent_crisis",
    "safety_confront",
)

REFERRAL_FILE = "content/referral.yml"
STAFF_FILE = "content/staff.yml"
MESSAGES_FILE = "content/messages.yml"
WEB_PATH = "content/web.yml"
MENU_PATH = "content/menu.yml"
# The first menu: one button per group, then these two (bot/conversation.py); short enough for a phone.
FIRST_MENU_EXTRAS = ("Talk to someone", "I need help now")
MAX_FIRST_MENU_BUTTONS = 7
MAX_GROUP_TOPICS = 7
SERVICES_FILE = "content/services.yml"
# References that name the organisation or its team, and the one that says how to reach the team.
NAME_REFERENCES = {ORGANISATION_ID, f"{ORGANISATION_ID}.name", TEAM_ID, f"{TEAM_ID}.name"}
CONTACT_REFERENCE = f"{TEAM_ID}.contact"
# Messages the self-referral relies on (see actions/referral.py).
REQUIRED_REFERRAL_MESSAGES = (
    "declined",
    "cancelled",
    "review",
    "change",
    "submitted",
    "submitted_urgent",
    "submit_delayed",
    "submit_failed",
    "resume_form",
)

# A run of digits, possibly split by single spaces, not part of a word or a hyphenated run like 5-4-3.
_NUMBER_RUN = re.compile(r"(?<![\w-])(\d(?:[\d ]*\d)?)(?![\w-])")
_SHORT_EMERGENCY_NUMBERS = {"999", "101", "111", "112"}
_WEB_ADDRESS = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)


@dataclass(frozen=True)
class TextBlock:
    """One piece of text a parent will read as a bubble, with where it lives."""

    file: str
    where: str
    raw: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class ReadabilityScore:
    file: str
    where: str
    score: float | None  # None where the text is too short to score fairly
    characters: int


def text_blocks(content: Content) -> Iterator[TextBlock]:
    for topic in content.topics.values():
        for step in topic.steps:
            where = f'step "{step.id}"'
            yield TextBlock(topic.file, where, step.text, step.buttons)
            if step.more:
                yield TextBlock(topic.file, f"{where} (tell me more)", step.more)
    for message in content.messages.values():
        yield TextBlock("content/messages.yml", f'message "{message.id}"', message.text, message.buttons)
    for group in content.menu_groups:
        if group.text:
            yield TextBlock(MENU_PATH, f'group "{group.id}"', group.text)
    referral = content.referral
    if referral.consent:
        yield TextBlock(REFERRAL_FILE, "consent", referral.consent)
    for question in referral.questions.values():
        yield TextBlock(REFERRAL_FILE, f'question "{question.field}"', question.text)
    for code, text in referral.re_ask.items():
        yield TextBlock(REFERRAL_FILE, f're_ask "{code}"', text)
    for message in referral.messages.values():
        yield TextBlock(REFERRAL_FILE, f'message "{message.id}"', message.text, message.buttons)
    if content.notes is not None:
        for where, text in notes_text_blocks(content.notes):
            yield TextBlock(NOTES_PATH, where, text)


def inline_numbers(text: str) -> list[str]:
    """Phone numbers or short emergency numbers typed straight into text."""
    found = []
    for match in _NUMBER_RUN.finditer(without_references(text)):
        digits = re.sub(r"\D", "", match.group(1))
        if len(digits) >= 5 or digits in _SHORT_EMERGENCY_NUMBERS:
            found.append(match.group(1))
    return found


def _button_target_exists(goto: str, content: Content) -> bool:
    if goto in STANDARD_BUTTONS:
        return True
    topic_id, _, step_id = goto.partition("/")
    topic = content.topics.get(topic_id)
    if topic is None:
        return False
    return not step_id or topic.step_index(step_id) is not None


def structural_findings(content: Content, needs: ReferralNeeds | None = None) -> list[Finding]:
    """Problems that would make a message wrong or a button dead: these block a live reload.

    `needs`: the questions and re-asks the self-referral must find worded (from the hand-off).
    """
    findings: list[Finding] = []
    for block in text_blocks(content):
        for reference in references_in(block.raw):
            try:
                resolve(reference, content.services)
            except BrokenReference as exc:
                findings.append(Finding("error", block.file, block.where, f"{{{{{reference}}}}}: {exc}"))
        for button in block.buttons:
            if not _button_target_exists(button.goto, content):
                findings.append(
                    Finding(
                        "error",
                        block.file,
                        block.where,
                        f'the button "{button.title or button.goto}" points to "{button.goto}", which does not exist',
                    )
                )
    for group in content.menu_groups:
        for topic_id in group.topics:
            if topic_id not in content.topics:
                findings.append(
                    Finding("error", MENU_PATH, f'group "{group.id}"', f'lists the topic "{topic_id}", which does not exist')
                )
    for message_id in REQUIRED_MESSAGES:
        if message_id not in content.messages:
            findings.append(Finding("error", "content/messages.yml", "", f'missing message "{message_id}"'))
    findings += _referral_findings(content, needs)
    findings += _words_findings(content)
    findings += notes_findings(content)
    intents: dict[str, str] = {}
    for topic in content.topics.values():
        if topic.intent and topic.intent in intents:
            findings.append(
                Finding(
                    "error",
                    topic.file,
                    "",
                    f'the intent "{topic.intent}" already opens the topic "{intents[topic.intent]}"',
                )
            )
        elif topic.intent:
            intents[topic.intent] = topic.id
    return findings


def _referral_findings(content: Content, needs: ReferralNeeds | None) -> list[Finding]:
    """Every question the form asks, every re-ask it may need and every step have wording."""
    referral = content.referral
    missing = []
    if needs is not None:
        missing += [f'question "{name}"' for name in needs.questions if name not in referral.questions]
        missing += [f're_ask "{code}"' for code in sorted(needs.re_ask_codes) if code not in referral.re_ask]
    missing += [f'message "{name}"' for name in REQUIRED_REFERRAL_MESSAGES if name not in referral.messages]
    if not referral.consent:
        missing.append("consent")
    findings = [Finding("error", REFERRAL_FILE, where, "missing: the self-referral needs this wording") for where in missing]
    if needs is not None:
        findings += label_findings(REFERRAL_FILE, "labels", referral.labels, needs.labels)
        choices = {name: dict.fromkeys(values, frozenset()) for name, values in needs.choices.items()}
        findings += label_findings(REFERRAL_FILE, "choices", referral.choices, choices)
        findings += label_findings(STAFF_FILE, "", content.staff, needs.staff)
    return findings


def _words_findings(content: Content) -> list[Finding]:
    """The standard buttons', the web service's, the widget's and the staff pages' words (bot.content.words)."""
    return (
        label_findings(MESSAGES_FILE, "", {"buttons": content.buttons}, {"buttons": BUTTON_WORDS})
        + label_findings(WEB_PATH, "", content.web, WEB_WORDS)
        + label_findings(STAFF_FILE, "", content.staff, STAFF_PAGE_WORDS)
    )


def _placeholders(words: str) -> set[str] | None:
    """The {names} the words use; None where the braces do not make sense ("{", "{0}", "{a.b}")."""
    try:
        names = {name for _, name, _spec, _conversion in string.Formatter().parse(words) if name is not None}
    except ValueError:
        return None
    if any(not name.isidentifier() for name in names):
        return None
    return names


def label_findings(file: str, kind: str, have: Labels, need: Mapping[str, LabelKeys]) -> list[Finding]:
    """Every label the code needs is there with the right {placeholders}; a label nothing uses is a warning."""
    findings: list[Finding] = []
    for section, keys in need.items():
        where = f'{kind} "{section}"' if kind else f'"{section}"'
        present = have.get(section, {})
        for key, placeholders in keys.items():
            if key not in present:
                findings.append(Finding("error", file, where, f'missing "{key}": the code needs this label'))
                continue
            used = _placeholders(present[key])
            if used is None:
                findings.append(
                    Finding("error", file, f'{where}, "{key}"', "use curly brackets only around a name, like {reference}")
                )
            elif used != placeholders:
                wanted = ", ".join(f"{{{name}}}" for name in sorted(placeholders)) or "no {...} at all"
                findings.append(Finding("error", file, f'{where}, "{key}"', f"these words must use {wanted}"))
        findings += [
            Finding("warning", file, f'{where}, "{key}"', "nothing uses this label; is the name misspelt?")
            for key in present
            if key not in keys
        ]
    return findings


@lru_cache(maxsize=4096)
def readability(text: str) -> float | None:
    """Flesch reading ease; kept per text, since a check (or an editor's save, which checks twice) scores
    every step and textstat's syllable counting was most of its time."""
    if len(text.split()) < MIN_WORDS_FOR_READABILITY:
        return None
    return round(float(_textstat().flesch_reading_ease(text)), 1)


@lru_cache(maxsize=1)
def _textstat():  # type: ignore[no-untyped-def]
    """textstat, set to English, imported on first use: with its dictionaries it took about half a second,
    in every process that loads content (the web service and Rasa's actions never score readability)."""
    import textstat

    textstat.set_lang("en")
    return textstat


def readability_scores(content: Content) -> list[ReadabilityScore]:
    scores = []
    for block in text_blocks(content):
        try:
            rendered = render(block.raw, content.services)
        except BrokenReference:
            continue
        scores.append(ReadabilityScore(block.file, block.where, readability(rendered), len(rendered)))
    return scores


def editorial_findings(content: Content, today: date) -> list[Finding]:
    """Problems of writing and upkeep: inline numbers, long bubbles, hard text, stale services."""
    findings: list[Finding] = []
    for block in text_blocks(content):
        for number in inline_numbers(block.raw):
            findings.append(
                Finding(
                    "error",
                    block.file,
                    block.where,
                    f'the number "{number}" is typed into the text; refer to services.yml instead, for example {{{{samaritans.phone}}}}',
                )
            )
        for address in _WEB_ADDRESS.finditer(without_references(block.raw)):
            findings.append(
                Finding(
                    "error",
                    block.file,
                    block.where,
                    f'the web address "{address.group(0)}" is typed into the text; refer to services.yml instead',
                )
            )
    for score in readability_scores(content):
        if score.characters > MAX_BUBBLE_CHARS:
            findings.append(
                Finding(
                    "error",
                    score.file,
                    score.where,
                    f"this message is {score.characters} characters long; keep it under {MAX_BUBBLE_CHARS} (split it into two steps)",
                )
            )
        if score.score is not None and score.score < MIN_READING_EASE:
            findings.append(
                Finding(
                    "error",
                    score.file,
                    score.where,
                    f"reading ease is {score.score}, below {MIN_READING_EASE:.0f}; use shorter sentences and shorter words",
                )
            )
    findings += upkeep_findings(content, today)
    findings += unconfirmed_step_findings(content)
    findings += menu_findings(content)
    findings += organisation_findings(content)
    findings += style_findings(content)
    return findings


def style_findings(content: Content) -> list[Finding]:
    """A warning, with the suggestion, for each phrase from content/style/avoid.yml that a text uses."""
    findings = []
    for block in text_blocks(content):
        for avoided in avoided_in(without_references(block.raw), content.avoid):
            findings.append(
                Finding("warning", block.file, block.where, f'avoid "{avoided.phrase}": {avoided.suggestion}')
            )
    return findings


def menu_findings(content: Content) -> list[Finding]:
    """The grouped menu stays short enough to scan on a phone, and every menu topic is in a group."""
    if not content.menu_groups:
        return []
    findings: list[Finding] = []
    first_menu = len(content.menu_groups) + len(content.ungrouped_menu_topics()) + len(FIRST_MENU_EXTRAS)
    if first_menu > MAX_FIRST_MENU_BUTTONS:
        findings.append(
            Finding(
                "error",
                MENU_PATH,
                "",
                f"the first menu would show {first_menu} buttons; keep it to {MAX_FIRST_MENU_BUTTONS} "
                f"(with {' and '.join(FIRST_MENU_EXTRAS)}) by using fewer groups",
            )
        )
    seen: dict[str, str] = {}
    for group in content.menu_groups:
        where = f'group "{group.id}"'
        if len(group.topics) > MAX_GROUP_TOPICS:
            findings.append(
                Finding("error", MENU_PATH, where, f"{len(group.topics)} topics; keep a group to {MAX_GROUP_TOPICS} or fewer")
            )
        if len(set(group.topics)) < len(group.topics):
            findings.append(Finding("error", MENU_PATH, where, "lists the same topic twice"))
        for topic_id in dict.fromkeys(group.topics):
            topic = content.topics.get(topic_id)
            if topic is not None and not topic.menu:
                findings.append(Finding("error", MENU_PATH, where, f'lists "{topic_id}", which has menu: false in {topic.file}'))
            if topic_id in seen:
                findings.append(
                    Finding("warning", MENU_PATH, where, f'lists "{topic_id}", which the group "{seen[topic_id]}" lists too')
                )
            seen.setdefault(topic_id, group.id)
    for topic in content.ungrouped_menu_topics():
        findings.append(
            Finding(
                "error",
                topic.file,
                "",
                f"has menu: true but is in no group of {MENU_PATH}; add it to a group (until then the first menu "
                "shows it on its own)",
            )
        )
    return findings


def unconfirmed_step_findings(content: Content) -> list[Finding]:
    """A warning for each step that says a fact in it still needs checking against a source."""
    return [
        Finding("warning", topic.file, f'step "{step.id}"', f"needs confirming: {step.needs_confirming}")
        for topic in content.topics.values()
        for step in topic.steps
        if step.needs_confirming
    ]


def _service_where(service: Service) -> str:
    if service.file != SERVICES_FILE and service.id in ORGANISATION_SECTIONS:
        return ORGANISATION_SECTIONS[service.id]
    return f'service "{service.id}"'


def verification_problems(service: Service, today: date) -> list[tuple[str, str]]:
    """(level, message) for what a service's `verified` date and sources claim.

    A verified date means someone checked the details on the service's own page. Details copied from the
    project's fact sheet have not been checked there, so such an entry must say in `needs_confirming` what is
    still to check, and must not carry a verified date.
    """
    problems: list[tuple[str, str]] = []
    verified, from_fact_sheet = service.verified, any(FACT_SHEET in source.casefold() for source in service.sources)
    if verified and today - verified > VERIFICATION_MAX_AGE:
        problems.append(("warning", f"last verified on {verified.isoformat()}, over 12 months ago; check the details with the service"))
    if verified and verified > today:
        problems.append(("warning", "the verified date is in the future"))
    if verified and from_fact_sheet:
        problems.append(
            (
                "error",
                "has a verified date, but its source is the fact sheet: a verified date means someone checked the "
                "service's own page. Put that page in source instead of the fact sheet, or remove the date and say "
                "in needs_confirming what is still to check",
            )
        )
    elif verified and not any(source.startswith(("http://", "https://")) for source in service.sources):
        problems.append(("error", "has a verified date but no web page in source: give the service's own page that was checked"))
    if service.needs_confirming:
        origin = " (taken from the fact sheet, not checked on the service's own page)" if from_fact_sheet else ""
        problems.append(("warning", f"needs confirming{origin}: {service.needs_confirming}"))
    elif from_fact_sheet and not verified:  # a verified date here is already an error above
        problems.append(
            ("error", "taken from the fact sheet and not checked on the service's own page: add needs_confirming, saying what to check")
        )
    elif verified is None:
        problems.append(("warning", "no verified date: nobody has checked these details with the service yet"))
    return problems


def upkeep_findings(content: Content, today: date) -> list[Finding]:
    """Services someone must re-check, and details a list would show incompletely."""
    findings: list[Finding] = []
    for service in content.services.values():
        where, details = _service_where(service), service.details
        problems = verification_problems(service, today)
        if ("phone" in details or "text" in details) and "hours" not in details:
            problems.append(("warning", 'no "hours": lists show the hours next to the number, so nobody rings a closed line'))
        if "out_of_hours_phone" in details and "out_of_hours_hours" not in details:
            problems.append(("warning", 'no "out_of_hours_hours" for the out-of-hours number'))
        if not any(key in details for key in ("phone", "text", "email", "website", "no_route")):
            problems.append(("warning", "no phone, text, email or website: a list would show its name with no way to reach it"))
        findings += [Finding(level, service.file, where, message) for level, message in problems]
    return findings


def organisation_findings(content: Content) -> list[Finding]:
    """The team's contact route, and text that names the organisation without saying how to reach it."""
    findings: list[Finding] = []
    team = content.services.get(TEAM_ID)
    if team is not None and team.file != SERVICES_FILE and not ({"phone", "email"} & team.details.keys()):
        if "no_route" in team.details:
            findings.append(
                Finding(
                    "warning",
                    team.file,
                    "team",
                    "the contact route is not configured (no phone or email): parents are shown the no_route sentence "
                    f"instead: {team.details['no_route']}",
                )
            )
        else:
            findings.append(
                Finding(
                    "error",
                    team.file,
                    "team",
                    'no phone, email or "no_route" sentence: parents would see the team\'s name with no way to reach it',
                )
            )
    for block in text_blocks(content):
        references = {reference.replace(" ", "") for reference in references_in(block.raw)}
        if not references & NAME_REFERENCES or block.file == REFERRAL_FILE:
            continue  # the self-referral is itself the way to reach the team
        if CONTACT_REFERENCE in references or any(b.goto == "talk_to_someone" for b in block.buttons):
            continue
        findings.append(
            Finding(
                "warning",
                block.file,
                block.where,
                f"names the organisation or its team without a way to reach them; add {{{{{CONTACT_REFERENCE}}}}}",
            )
        )
    return findings


def check_content(
    content: Content, load_findings: list[Finding], today: date, needs: ReferralNeeds | None = None
) -> list[Finding]:
    return load_findings + structural_findings(content, needs) + editorial_findings(content, today)
