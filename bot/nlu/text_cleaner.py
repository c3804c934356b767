"""A Rasa NLU component, first in the pipeline: the message text cleaned (bot.text) before anything reads it.

Text reaches the Rasa server by the web relay, which cleans it already, but the model and the safety
net must not depend on that: any channel, and the training examples, get the same cleaning.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.text import clean_message


def clean_in_place(message: Message) -> None:
    text = message.get(TEXT)
    if isinstance(text, str):
        cleaned = clean_message(text)
        if cleaned != text:
            message.set(TEXT, cleaned)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class TextCleaner(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextCleaner:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            clean_in_place(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            clean_in_place(message)
        return messages
