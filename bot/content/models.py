"""Plain data objects for the guidance content."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

# Buttons that editors may name in messages.yml without a target of their own.
# Buttons an editor names by key; the four last answer "yes" to a check question (bot/safety/intents.py).
STANDARD_BUTTONS = (
    "topics",
    "menu",
    "talk_to_someone",
    "help_now",
    "danger_now",
    "missing_now",
    "parent_crisis",
    "confront_perpetrator",
)


@dataclass(frozen=True)
class Finding:
    """One problem found in the content, with where it is."""

    level: str  # "error" or "warning"
    file: str
    where: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.level == "error"

    def __str__(self) -> str:
        place = f"{self.file}, {self.where}" if self.where else self.file
        return f"{self.level.upper()} {place}: {self.message}"


@dataclass(frozen=True)
class Button:
    title: str
    goto: str  # a topic id, "topic_id/step_id", or one of STANDARD_BUTTONS


@dataclass(frozen=True)
class Step:
    id: str
    text: str
    more: str | None = None
    buttons: tuple[Button, ...] = ()
    next_label: str | None = None
    needs_confirming: str | None = None  # a fact in this step nobody has checked yet (the check warns)


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    intent: str | None
    menu: bool
    order: int
    steps: tuple[Step, ...]
    file: str

    def step_index(self, step_id: str) -> int | None:
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        return None


# A service's contact details and description, as services.yml may give them (Service.details).
SERVICE_DETAIL_FIELDS = ("phone", "text", "email", "website", "hours", "about")


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    details: dict[str, str]  # SERVICE_DETAIL_FIELDS, those the file gives
    tags: tuple[str, ...]
    sources: tuple[str, ...]
    verified: date | None
    needs_confirming: str | None
    file: str = "content/services.yml"  # where an editor changes it (the organisation has its own file)


@dataclass(frozen=True)
class Message:
    id: str
    text: str
    buttons: tuple[Button, ...] = ()
    domain_response: bool = False  # also a Rasa domain response utter_<id> (domain/generated/), to work without actions


@dataclass(frozen=True)
class Question:
    """One question of the self-referral, with quick replies that send their own words."""

    field: str
    text: str
    answers: tuple[str, ...] = ()


# Short labels by section, then by key: {"review": {"preferred_name": "What to call you", ...}, ...}.
Labels = dict[str, dict[str, str]]


@dataclass(frozen=True)
class ReferralWording:
    """What the assistant says during the self-referral (content/referral.yml)."""

    consent: str = ""
    questions: dict[str, Question] = field(default_factory=dict)
    re_ask: dict[str, str] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    labels: Labels = field(default_factory=dict)  # the review's labels, answer words, button titles
    choices: Labels = field(default_factory=dict)  # by question, the plain words for each stored choice


@dataclass(frozen=True)
class AvoidPhrase:
    """A phrase editors should not use (content/style/avoid.yml), kept in its matching form."""

    phrase: str
    suggestion: str


@dataclass(frozen=True)
class MenuGroup:
    """A button on the first topics menu that opens a short list of topics (content/menu.yml)."""

    id: str
    title: str
    topics: tuple[str, ...]  # topic ids, in the order the group lists them
    text: str | None = None  # said above the group's topics; the "menu" message's text where none is set


@dataclass(frozen=True)
class NoteField:
    """One box of the parent's notes (content/notes.yml): its key is set in code, its words here."""

    key: str
    label: str
    hint: str | None = None


@dataclass(frozen=True)
class NoteSection:
    title: str
    intro: str
    fields: tuple[NoteField, ...]


@dataclass(frozen=True)
class NotesWording:
    """What the widget's notes panel and the parent's documents say (content/notes.yml)."""

    title: str
    privacy: str
    log: NoteSection
    sheet: NoteSection
    steps_title: str
    steps: tuple[str, ...]  # "topic/step" addresses whose text the missing sheet repeats, in order
    messages: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Content:
    """Everything loaded from the content folder."""

    services: dict[str, Service] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    referral: ReferralWording = field(default_factory=ReferralWording)
    root: Path = Path(".")
    avoid: tuple[AvoidPhrase, ...] = ()  # phrases the content check warns about
    menu_groups: tuple[MenuGroup, ...] = ()  # empty: the first menu lists the menu topics themselves
    notes: NotesWording | None = None  # content/notes.yml; None where the folder has none
    staff: Labels = field(default_factory=dict)  # the words staff read: a referral, the staff pages (content/staff.yml)
    buttons: dict[str, str] = field(default_factory=dict)  # the standard buttons' words (messages.yml `buttons:`)
    web: Labels = field(default_factory=dict)  # the web service's and the widget's words (content/web.yml)

    def menu_topics(self) -> list[Topic]:
        return sorted((t for t in self.topics.values() if t.menu), key=lambda t: (t.order, t.id))

    def menu_group(self, group_id: str) -> MenuGroup | None:
        return next((group for group in self.menu_groups if group.id == group_id), None)

    def group_topics(self, group: MenuGroup) -> list[Topic]:
        """The group's topics that exist, in the group's order."""
        return [self.topics[topic_id] for topic_id in group.topics if topic_id in self.topics]

    def ungrouped_menu_topics(self) -> list[Topic]:
        """Menu topics no group lists: the first menu still offers them, and the content check says so."""
        grouped = {topic_id for group in self.menu_groups for topic_id in group.topics}
        return [topic for topic in self.menu_topics() if topic.id not in grouped]

    def topic_title(self, topic_id: str) -> str:
        """The topic's title; its id where no topic has it (any more)."""
        topic = self.topics.get(topic_id)
        return topic.title if topic is not None else topic_id

    def topic_for_intent(self, intent: str) -> Topic | None:
        for topic in self.topics.values():
            if topic.intent == intent:
                return topic
        return None


# For each label key, the {placeholders} its words must use (most use none).
LabelKeys = Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class ReferralNeeds:
    """What the self-referral and the staff's view of a referral need worded (content/referral.yml,
    content/staff.yml), told to the content check by the hand-off (bot.handoff.form.REFERRAL_NEEDS), so
    the content layer never imports the hand-off."""

    questions: tuple[str, ...] = ()
    re_ask_codes: frozenset[str] = frozenset()
    labels: Mapping[str, LabelKeys] = field(default_factory=dict)  # referral.yml `labels:`, by section
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # referral.yml `choices:`, by question
    staff: Mapping[str, LabelKeys] = field(default_factory=dict)  # staff.yml, by section


def fill(words: str, **values: object) -> str:
    """A label's words with its {placeholders} filled (the content check makes sure they are the right ones)."""
    return words.format_map(values)
