"""Rasa's LogisticRegressionClassifier, blended with the nearest training examples by sentence embedding.

The regression weighs character n-grams and the MiniLM embedding together and generalises across
wordings; the nearest neighbours (cosine similarity of the embedding alone) recognise a message that
says much the same as a few training examples in other words. The intent probabilities are
`(1 - weight) * regression + weight * neighbours`, where the neighbours' share is a softmax of their
similarities by intent. In 5-fold cross-validation on the training data (docs/results.md) the blend
was right more often than the regression alone in every fold (78.3% to 80.0% on average).

The neighbours are the training examples' dense sentence features (bot.nlu.sentence_encoder), kept in the
model with the regression; a pipeline without dense features gets the regression alone. They are found by
one matrix product over the unit-length embeddings: scikit-learn's NearestNeighbors took 4 ms a message
(its checks and chunking) against 0.7 ms, out of a parse budget of 25 ms.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.preprocessing import normalize

from bot.nlu.row_space import fit_in_row_space

log = logging.getLogger(__name__)
NEIGHBOURS_FILE = "neighbours.npz"


def sentence_embedding(message: Message) -> np.ndarray | None:
    """The message's dense sentence feature, as one row, or None where the pipeline gives none."""
    dense = message.get_dense_features(attribute=TEXT)[1]
    return None if dense is None else np.asarray(dense.features, dtype=np.float32).reshape(-1)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def nearest(embeddings: np.ndarray, queries: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarities and row numbers of the `count` nearest unit-length `embeddings`, nearest first."""
    similarities = unit_rows(queries) @ embeddings.T
    rows = np.argpartition(-similarities, count - 1, axis=1)[:, :count]
    chosen = np.take_along_axis(similarities, rows, axis=1)
    order = np.argsort(-chosen, axis=1)
    return np.take_along_axis(chosen, order, axis=1), np.take_along_axis(rows, order, axis=1)


def neighbour_probabilities(
    similarities: np.ndarray, labels: np.ndarray, classes: np.ndarray, temperature: float
) -> np.ndarray:
    """Per message, a distribution over `classes` from its neighbours: softmax of similarity, summed by label."""
    weights = np.exp((similarities - similarities.max(axis=1, keepdims=True)) / temperature)
    index = {label: i for i, label in enumerate(classes)}
    result = np.zeros((len(similarities), len(classes)))
    for row, (row_weights, row_labels) in enumerate(zip(weights, labels, strict=True)):
        for weight, label in zip(row_weights, row_labels, strict=True):
            result[row, index[label]] += weight
    return result / result.sum(axis=1, keepdims=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class NeighbourBlendClassifier(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "neighbours": 5,
            "temperature": 0.05,
            "weight": 0.35,
            "C": 1.0,  # the regression's inverse penalty (Rasa's own component fixes it at scikit-learn's 1.0)
            "unit_length_parts": False,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        def number(key: str, low: float, high: float) -> None:
            value = config.get(key, cls.get_default_config()[key])
            if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
                raise InvalidConfigException(f"{key} must be a number from {low} to {high}, not {value!r}.")

        number("neighbours", 1, 50)
        number("temperature", 0.001, 10)
        number("weight", 0, 1)
        number("C", 0.0001, 1_000_000)
        if not isinstance(config.get("unit_length_parts", False), bool):
            raise InvalidConfigException("unit_length_parts must be true or false.")

    def __init__(self, config: dict[str, Any], name: str, model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.C = float(self.config["C"])
        self.embeddings: np.ndarray | None = None  # unit length, one row per training example
        self.labels: np.ndarray = np.array([])

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        embeddings = [sentence_embedding(e) for e in examples]
        if examples and all(e is not None for e in embeddings):
            self._keep_examples(np.stack(embeddings), np.array([str(e.get(INTENT)) for e in examples]))
        X, y = self._create_training_matrix(training_data)  # as Rasa's own train, with the same fit, sooner
        if X.shape[0] == 0:
            return self._resource
        fit_in_row_space(self.clf, X.tocsr(), y)
        self.persist()  # the regression and the neighbours
        return self._resource

    def _create_X(self, messages: list[Message]) -> csr_matrix:
        """With `unit_length_parts`, the n-gram counts and the sentence embedding are each scaled to unit length
        before they go side by side to the regression: a long message's counts no longer outweigh its embedding,
        and the fit converges in about a quarter of the iterations (docs/results.md)."""
        if not self.config["unit_length_parts"]:
            return super()._create_X(messages)
        rows = []
        for message in messages:
            sparse = message.get_sparse_features(attribute=TEXT)[1]
            dense = message.get_dense_features(attribute=TEXT)[1]
            parts = [normalize(csr_matrix(sparse.features))] if sparse is not None else []
            if dense is not None:
                parts.append(csr_matrix(normalize(np.asarray(dense.features, dtype=np.float64).reshape(1, -1))))
            rows.append(hstack(parts) if parts else csr_matrix((1, 0)))
        return vstack(rows).tocsr()

    def _keep_examples(self, embeddings: np.ndarray, labels: np.ndarray) -> None:
        self.embeddings, self.labels = unit_rows(embeddings.astype(np.float32)), labels

    def persist(self) -> None:
        super().persist()
        if self.embeddings is None:
            return
        with self._model_storage.write_to(self._resource) as model_dir:
            np.savez(model_dir / NEIGHBOURS_FILE, embeddings=self.embeddings, labels=self.labels)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> NeighbourBlendClassifier:
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / NEIGHBOURS_FILE
                if path.exists():
                    with np.load(path, allow_pickle=False) as saved:
                        component._keep_examples(saved["embeddings"], saved["labels"])
        except ValueError:  # the resource was never written: an untrained component, as the regression's own load
            pass
        return component

    def process(self, messages: list[Message]) -> list[Message]:
        if not messages or not hasattr(self.clf, "classes_"):
            return messages
        classes = self.clf.classes_
        probabilities = self.clf.predict_proba(self._create_X(messages))
        embeddings = [sentence_embedding(m) for m in messages]
        if self.embeddings is not None and all(e is not None for e in embeddings):
            count = min(int(self.config["neighbours"]), len(self.labels))
            similarities, rows = nearest(self.embeddings, np.stack(embeddings), count)
            near = neighbour_probabilities(similarities, self.labels[rows], classes, float(self.config["temperature"]))
            weight = float(self.config["weight"])
            probabilities = (1.0 - weight) * probabilities + weight * near
        for message, row in zip(messages, probabilities, strict=True):
            ranking = sorted(
                ({"name": str(name), "confidence": float(value)} for name, value in zip(classes, row, strict=True)),
                key=lambda entry: -entry["confidence"],
            )
            message.set("intent", ranking[0], add_to_output=True)
            limit = self.config[RANKING_LENGTH]
            message.set("intent_ranking", ranking[:limit] if limit > 0 else ranking, add_to_output=True)
        return messages
