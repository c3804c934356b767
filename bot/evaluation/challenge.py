"""How the assistant does on messages worded in ways nobody tuned it for.

Three independent sets, each written by someone who had seen neither the lexicon nor the training data
(nor the sets before it); they measure and are never used to tune:
- `tests/data/safety_challenge.yml`: 30 messages for each kind of danger and 80 that must not raise an
  alarm (many deliberately close: past events, questions about going missing, anger without risk);
- `tests/data/understanding_challenge.yml`: 36 of each kind of danger (a third told late in a long
  message), 140 close ordinary messages, and 178 ordinary questions by topic;
- `tests/data/night_challenge.yml`: long, messy messages as parents write them at night: 30 of each kind of
  danger (half told late), 120 close ordinary messages, and 8 questions for each of 27 topics and for
  talking to someone. Topics that no intent opens (reached by a button from another topic) count as
  understood when the message opens a topic with that button.
Figures are in docs/results.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.config import PROJECT_ROOT
from bot.content.models import Content
from bot.conversation import likely_topics, other_likely_topics
from bot.evaluation.data import SAFETY_INTENTS
from bot.safety.detector import Lexicon, detect
from bot.safety.intents import CHECK_INTENTS, help_given_for

CHALLENGE_PATH = PROJECT_ROOT / "tests" / "data" / "safety_challenge.yml"
UNDERSTANDING_PATH = PROJECT_ROOT / "tests" / "data" / "understanding_challenge.yml"
NIGHT_PATH = PROJECT_ROOT / "tests" / "data" / "night_challenge.yml"
CHALLENGE_SETS = {"first set": CHALLENGE_PATH, "second set": UNDERSTANDING_PATH, "third set": NIGHT_PATH}
TOPIC_SETS = {"second set": UNDERSTANDING_PATH, "third set": NIGHT_PATH}
NOT_DANGER = "not_danger"
TALK_TO_SOMEONE = "talk_to_someone"  # in the topic questions: asking for a person, not a topic


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def challenge_messages(path: Path = CHALLENGE_PATH) -> list[tuple[str, str]]:
    """(message, kind) for every danger and close ordinary message; kind is a safety intent or "not_danger"."""
    return [
        (message, kind) for kind, messages in _load(path).items() if isinstance(messages, list) for message in messages
    ]


def topic_questions(path: Path = UNDERSTANDING_PATH) -> list[tuple[str, str]]:
    """(message, topic id) for the ordinary topic questions; the id is a content topic or "talk_to_someone"."""
    topics = _load(path).get("topics") or {}
    return [(message, topic_id) for topic_id, messages in topics.items() for message in messages]


@dataclass
class ChallengeScore:
    caught: Counter[str] = field(default_factory=Counter)  # per kind: any safety reply
    right_type: Counter[str] = field(default_factory=Counter)  # per kind: the right safety reply first
    total: Counter[str] = field(default_factory=Counter)
    false_alarms: list[str] = field(default_factory=list)  # ordinary messages that got a full safety reply
    checked: list[str] = field(default_factory=list)  # ordinary messages that got a check question (one tap)
    missed: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, answer, message)

    def add(self, message: str, kind: str, answer: str | None) -> None:
        """A check question counts as help first for danger (its first line is that help), and as a
        false alarm for an ordinary message only where a full safety reply led instead."""
        self.total[kind] += 1
        help_for = help_given_for(answer)
        if kind == NOT_DANGER:
            if answer in SAFETY_INTENTS:
                self.false_alarms.append(message)
            elif help_for:
                self.checked.append(message)
            return
        self.caught[kind] += help_for is not None
        self.right_type[kind] += help_for == kind
        if help_for is None:
            self.missed.append((kind, str(answer), message))

    @property
    def danger_total(self) -> int:
        return sum(count for kind, count in self.total.items() if kind != NOT_DANGER)

    def summary(self, name: str) -> str:
        kinds = ", ".join(f"{kind} {self.caught[kind]}/{self.total[kind]}" for kind in SAFETY_INTENTS)
        return (
            f"{name}: danger caught {sum(self.caught.values())}/{self.danger_total} "
            f"(right help first {sum(self.right_type.values())}); "
            f"false alarms {len(self.false_alarms)}/{self.total[NOT_DANGER]} "
            f"(check questions {len(self.checked)}); {kinds}"
        )


def score_lexicon(lexicon: Lexicon, messages: list[tuple[str, str]]) -> ChallengeScore:
    score = ChallengeScore()
    for message, kind in messages:
        found = [d for d in detect(message, lexicon) if d.type in SAFETY_INTENTS]
        score.add(message, kind, found[0].type if found else None)
    return score


@dataclass
class TopicScore:
    total: int = 0
    right_first: int = 0
    in_choices: int = 0  # right first, or among the topics offered when unsure or after the topic shown
    missed: list[tuple[str, str, str]] = field(default_factory=list)  # (expected, understood as, message)

    def summary(self, name: str) -> str:
        return (
            f"{name}: right topic first {self.right_first}/{self.total} ({self.right_first / self.total:.1%}); "
            f"first or among the choices {self.in_choices}/{self.total} ({self.in_choices / self.total:.1%})"
        )


def intents_reaching(content: Content, topic_id: str) -> set[str]:
    """The intents that open a topic: its own, or, for a topic no intent opens, those of the topics whose
    buttons lead to it (one tap away)."""
    if topic_id == TALK_TO_SOMEONE:
        return {TALK_TO_SOMEONE}
    own = content.topics[topic_id].intent
    if own:
        return {own}
    return {
        topic.intent
        for topic in content.topics.values()
        if topic.intent and any(b.goto.split("/")[0] == topic_id for step in topic.steps for b in step.buttons)
    }


def score_topics(results: list[dict[str, Any]], questions: list[tuple[str, str]], content: Content) -> TopicScore:
    """What the conversation would do with each parse result (bot.conversation's own choice logic)."""
    score = TopicScore()
    for (message, topic_id), result in zip(questions, results, strict=True):
        expected = intents_reaching(content, topic_id)
        answer = str((result.get("intent") or {}).get("name") or "")
        score.total += 1
        if answer in expected:
            score.right_first += 1
            score.in_choices += 1
            continue
        ranking = result.get("intent_ranking") or []
        offers_choices = answer == "nlu_fallback" or answer in CHECK_INTENTS
        offered = {topic.intent for topic in likely_topics(content, ranking)} if offers_choices else set()
        shown = content.topic_for_intent(answer)
        if shown is not None:  # a topic opened from the message, with any close alternatives after it
            offered = {topic.intent for topic in other_likely_topics(content, shown, ranking)}
        if offered & expected or (offers_choices and topic_id == TALK_TO_SOMEONE):  # "Talk to someone" is always offered
            score.in_choices += 1
        else:
            score.missed.append((topic_id, answer, message))
    return score


def without_check_questions(result: dict[str, Any]) -> dict[str, Any]:
    """The parse result as the safety net gave it before check questions existed: the model's own top intent
    (a safety intent there was then a full safety reply). The check is put in front of the model's ranking."""
    if (result.get("safety_net") or {}).get("source") != "model":
        return result
    ranking = result.get("intent_ranking") or []
    return {**result, "intent": ranking[1] if len(ranking) > 1 else {"name": "nlu_fallback"}, "intent_ranking": ranking[1:]}


def score_answers(messages: list[tuple[str, str]], results: list[dict[str, Any]]) -> ChallengeScore:
    score = ChallengeScore()
    for (message, kind), result in zip(messages, results, strict=True):
        score.add(message, kind, (result.get("intent") or {}).get("name"))
    return score


@dataclass
class ChallengeReport:
    safety: dict[str, ChallengeScore]  # per set
    topics: dict[str, TopicScore]  # per set with topic questions
    safety_without_checks: dict[str, ChallengeScore]  # the same model, as the safety net was before check questions


def measure(model_path: str, content: Content) -> ChallengeReport:
    """Both sets through one loaded model: danger and close ordinary messages, then the topic questions."""
    from bot.evaluation.run import parse_all

    sets = {name: challenge_messages(path) for name, path in CHALLENGE_SETS.items()}
    question_sets = {name: topic_questions(path) for name, path in TOPIC_SETS.items()}
    texts = [message for messages in [*sets.values(), *question_sets.values()] for message, _ in messages]
    results, _ = parse_all(model_path, texts)
    safety, before, position = {}, {}, 0
    for name, messages in sets.items():
        these = results[position : position + len(messages)]
        safety[name] = score_answers(messages, these)
        before[name] = score_answers(messages, [without_check_questions(result) for result in these])
        position += len(messages)
    topics = {}
    for name, questions in question_sets.items():
        topics[name] = score_topics(results[position : position + len(questions)], questions, content)
        position += len(questions)
    return ChallengeReport(safety, topics, before)
