"""A Rasa dense featurizer that gives each message the MiniLM sentence embedding (bot/nlu/encoder.py).

It sets a sentence-level feature only: DIET and Rasa's LogisticRegressionClassifier combine it with
the sparse word and character n-gram features (kept for misspellings), and DIET unifies the sizes of
sequence- and sentence-level features itself. It is not trained, so nothing of it is stored in the
Rasa model: the weights are read from `model_path` (verified by SHA-256) whenever a model loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.config import PROJECT_ROOT
from bot.nlu.encoder import DEFAULT_MAX_TOKENS, CompiledEncoder, shared_encoder
from bot.nlu.encoder_files import ENCODER_DIR


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "model_path": str(ENCODER_DIR.relative_to(PROJECT_ROOT)),  # relative paths: from the project
            "max_tokens": DEFAULT_MAX_TOKENS,
            "normalize": True,
            # Multiplies the embedding: a linear classifier with one penalty for all features otherwise
            # weighs 384 values of about 0.05 against character n-gram counts.
            "scale": 1.0,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        max_tokens = config.get("max_tokens")
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or not 8 <= max_tokens <= 512:
            raise InvalidConfigException(f"max_tokens must be a whole number from 8 to 512, not {max_tokens!r}.")
        scale = config.get("scale")
        if not isinstance(scale, int | float) or isinstance(scale, bool) or not 0 < scale <= 1000:
            raise InvalidConfigException(f"scale must be a number above 0 and at most 1000, not {scale!r}.")

    def __init__(self, config: dict[str, Any], name: str) -> None:
        config = {**self.get_default_config(), **config}
        super().__init__(name, config)
        folder = Path(config["model_path"])
        self.encoder: CompiledEncoder = shared_encoder(
            folder if folder.is_absolute() else PROJECT_ROOT / folder, config["max_tokens"], bool(config["normalize"])
        )
        self.scale = float(config["scale"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        return cls(config, execution_context.node_name)

    @staticmethod
    def required_packages() -> list[str]:
        return ["tensorflow", "transformers", "tokenizers"]

    def _add(self, messages: list[Message]) -> None:
        texts = [str(m.get(TEXT)) for m in messages]
        embeddings = self.encoder.encode(texts) * np.float32(self.scale)
        for message, embedding in zip(messages, embeddings, strict=True):
            self.add_features_to_message(sequence=None, sentence=embedding[None, :], attribute=TEXT, message=message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._add([m for m in training_data.training_examples if m.get(TEXT)])
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        # Empty text too (it encodes as [CLS] [SEP]): the count featurizers give it features, and a
        # classifier given some of a message's features but not others fails (Rasa's LanguageModelFeaturizer
        # skips empty text, and Rasa's LogisticRegressionClassifier then raises on "").
        self._add([m for m in messages if m.get(TEXT) is not None])
        return messages
