"""A Rasa NLU component that puts the safety lexicon over whatever the classifier said.

It runs last in the pipeline (config.yml), after the FallbackClassifier, so a message that suggests
danger is never left to a fallback or a topic:

- the lexicon matches: the safety intent, with full confidence (the full safety reply);
- the lexicon is silent but the model puts a safety intent first, or gives one at least
  `check_threshold`: the check question for that danger (`check_<intent>`, bot/safety/intents.py),
  whose first line already carries the help, and which asks whether that is what is happening, so a
  missed danger still sees the right help and an ordinary message costs one tap;
- the message mentions that danger only in the negative ("he's not missing now"): no alarm, no check.

The rules are in bot.safety.net (plain Python, tested without Rasa's components); this is the glue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.safety.lexicon_store import LexiconStore
from bot.safety.net import DEFAULT_CHECK_THRESHOLD, SAFETY_KEY, apply_safety_net


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafetyNet(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"lexicon": "content/safety/lexicon.yml", "check_threshold": DEFAULT_CHECK_THRESHOLD}

    def __init__(self, config: dict[str, Any]) -> None:
        self.store = LexiconStore(Path(config["lexicon"]))
        self.check_threshold = float(config.get("check_threshold", DEFAULT_CHECK_THRESHOLD))
        self.store.get()  # fail at start-up, not on a parent's message, if the lexicon is broken

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyNet:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            data = {TEXT: message.get(TEXT), INTENT: message.get(INTENT), INTENT_RANKING_KEY: message.get(INTENT_RANKING_KEY)}
            before = (data[INTENT], data[INTENT_RANKING_KEY])
            apply_safety_net(data, self.store, self.check_threshold)
            if (data[INTENT], data[INTENT_RANKING_KEY]) != before:
                message.set(INTENT, data[INTENT], add_to_output=True)
                message.set(INTENT_RANKING_KEY, data[INTENT_RANKING_KEY], add_to_output=True)
            if SAFETY_KEY in data:
                message.set(SAFETY_KEY, data[SAFETY_KEY], add_to_output=True)
        return messages
