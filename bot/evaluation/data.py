"""The data an evaluation runs on: the training examples (split for a held-out test) and the
development set of parent messages by behaviour (../shared/eval/behaviours.yml)."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT
from bot.safety.intents import SAFETY_INTENTS

__all__ = ["SAFETY_INTENTS"]  # evaluation code reads the safety intents from here too

NLU_DIR = PROJECT_ROOT / "data" / "nlu"
BEHAVIOURS_PATH = PROJECT_ROOT.parent / "shared" / "eval" / "behaviours.yml"

# The intent that gives each behaviour (the rules then give the reply; see data/rules.yml).
BEHAVIOUR_INTENTS = {
    "parent_guilt": "parent_wellbeing",
    "self_referral": "talk_to_someone",
}

Example = tuple[str, str]  # (text, intent)


def training_examples(nlu_dir: Path = NLU_DIR) -> list[Example]:
    examples = []
    for path in sorted(nlu_dir.glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" not in item:
                continue
            for line in item["examples"].splitlines():
                if line.strip().startswith("- "):
                    examples.append((line.strip()[2:], item["intent"]))
    return examples


def held_out_split(examples: list[Example], share: float = 0.2, seed: int = 7) -> tuple[list[Example], list[Example]]:
    """(train, test), stratified: about `share` of each intent's examples held out (at least one)."""
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_intent[example[1]].append(example)
    rng = random.Random(seed)
    train, test = [], []
    for intent in sorted(by_intent):
        items = sorted(by_intent[intent])
        rng.shuffle(items)
        cut = max(1, round(len(items) * share)) if len(items) > 2 else 0
        test += items[:cut]
        train += items[cut:]
    return train, test


def first_per_intent(examples: list[Example], count: int) -> list[Example]:
    """At most `count` examples of each intent, in order (for a quick smoke run)."""
    kept: dict[str, int] = defaultdict(int)
    chosen = []
    for text, intent in examples:
        if kept[intent] < count:
            kept[intent] += 1
            chosen.append((text, intent))
    return chosen


def behaviour_examples(path: Path = BEHAVIOURS_PATH) -> list[tuple[str, str, str]]:
    """(text, behaviour, expected intent) for every line of the development set."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(text, name, BEHAVIOUR_INTENTS.get(name, name)) for name, lines in data.items() for text in lines]


def write_nlu(examples: list[Example], path: Path) -> Path:
    """Training data in Rasa's YAML format."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in examples:
        by_intent[intent].append(text)
    document = {
        "version": "3.1",
        "nlu": [{"intent": intent, "examples": "".join(f"- {t}\n" for t in texts)} for intent, texts in by_intent.items()],
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
