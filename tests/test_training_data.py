"""The training data is the parents' own kind of language, enough of it, and never the evaluation set."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.content.store import ContentStore
from bot.safety.intents import SAFETY_INTENTS

EVAL_PATH = PROJECT_ROOT.parent / "shared" / "eval" / "behaviours.yml"


def normalised(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def training_examples() -> dict[str, list[str]]:
    examples: dict[str, list[str]] = {}
    for path in sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.load(path.read_text(), Loader=yaml.CSafeLoader)["nlu"]:  # libyaml: the same data, 20 times faster
            if "intent" in item:
                lines = [line.strip()[2:] for line in item["examples"].splitlines() if line.strip().startswith("- ")]
                examples.setdefault(item["intent"], []).extend(lines)
    return examples


EXAMPLES = training_examples()


def test_every_topic_and_safety_intent_has_at_least_25_examples() -> None:
    topic_intents = {t.intent for t in ContentStore(PROJECT_ROOT / "content").get().topics.values() if t.intent}
    counts = {intent: len(EXAMPLES.get(intent, [])) for intent in topic_intents | set(SAFETY_INTENTS)}
    assert {intent: n for intent, n in counts.items() if n < 25} == {}


def test_no_example_is_listed_twice() -> None:
    seen = Counter(normalised(line) for lines in EXAMPLES.values() for line in lines)
    assert [line for line, n in seen.items() if n > 1] == []


@pytest.mark.skipif(not EVAL_PATH.exists(), reason="../shared/eval/behaviours.yml is not beside the project")
def test_no_evaluation_message_is_copied_into_training() -> None:
    evaluation = {normalised(line) for lines in yaml.safe_load(EVAL_PATH.read_text()).values() for line in lines}
    copied = [line for lines in EXAMPLES.values() for line in lines if normalised(line) in evaluation]
    assert copied == []


def test_no_challenge_set_message_is_in_the_training_data() -> None:
    """The independent challenge sets measure; a line of theirs in training would make them flatter."""
    from bot.evaluation.challenge import CHALLENGE_SETS, TOPIC_SETS, challenge_messages, topic_questions

    challenge = {normalised(text) for path in CHALLENGE_SETS.values() for text, _ in challenge_messages(path)}
    challenge |= {normalised(text) for path in TOPIC_SETS.values() for text, _ in topic_questions(path)}
    copied = [line for lines in EXAMPLES.values() for line in lines if normalised(line) in challenge]
    assert copied == []
