"""How the safety net does on danger worded in ways nobody tuned it for.

`tests/data/safety_challenge.yml` was written by someone who had seen neither the lexicon nor the
training data: 30 messages for each kind of danger and 80 that must not raise an alarm (many of them
deliberately close: past events, questions about going missing, anger without risk). It measures how
the safety net generalises; it is never used to tune it. Figures are in docs/results.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT
from bot.evaluation.data import SAFETY_INTENTS
from bot.safety.detector import Lexicon, detect

CHALLENGE_PATH = PROJECT_ROOT / "tests" / "data" / "safety_challenge.yml"
NOT_DANGER = "not_danger"


def challenge_messages(path: Path = CHALLENGE_PATH) -> list[tuple[str, str]]:
    """(message, kind) for every message; kind is a safety intent or "not_danger"."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(message, kind) for kind, messages in data.items() for message in messages]


@dataclass
class ChallengeScore:
    caught: Counter[str] = field(default_factory=Counter)  # per kind: any safety reply
    right_type: Counter[str] = field(default_factory=Counter)  # per kind: the right safety reply first
    total: Counter[str] = field(default_factory=Counter)
    false_alarms: list[str] = field(default_factory=list)
    missed: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, answer, message)

    def add(self, message: str, kind: str, answer: str | None) -> None:
        self.total[kind] += 1
        raised = answer in SAFETY_INTENTS
        if kind == NOT_DANGER:
            if raised:
                self.false_alarms.append(message)
            return
        self.caught[kind] += raised
        self.right_type[kind] += answer == kind
        if not raised:
            self.missed.append((kind, str(answer), message))

    @property
    def danger_total(self) -> int:
        return sum(count for kind, count in self.total.items() if kind != NOT_DANGER)

    def summary(self, name: str) -> str:
        kinds = ", ".join(f"{kind} {self.caught[kind]}/{self.total[kind]}" for kind in SAFETY_INTENTS)
        return (
            f"{name}: danger caught {sum(self.caught.values())}/{self.danger_total} "
            f"(right help first {sum(self.right_type.values())}); "
            f"false alarms {len(self.false_alarms)}/{self.total[NOT_DANGER]}; {kinds}"
        )


def score_lexicon(lexicon: Lexicon, messages: list[tuple[str, str]]) -> ChallengeScore:
    score = ChallengeScore()
    for message, kind in messages:
        found = [d for d in detect(message, lexicon) if d.type in SAFETY_INTENTS]
        score.add(message, kind, found[0].type if found else None)
    return score


def score_model(model_path: str, messages: list[tuple[str, str]]) -> ChallengeScore:
    """The trained assistant's understanding (model, then the safety net inside the pipeline)."""
    from bot.evaluation.run import parse  # loads Rasa and TensorFlow: only when a model is scored

    intents, _ = parse(model_path, [message for message, _ in messages])
    score = ChallengeScore()
    for (message, kind), intent in zip(messages, intents, strict=True):
        score.add(message, kind, intent)
    return score
