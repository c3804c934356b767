"""The blended intent classifier: the regression, pulled towards training examples that mean the same.

Run on Rasa's own messages, features and local model storage (no server, no encoder): the sparse
features stand for character n-grams, the dense ones for the sentence embedding. Rasa's NLU classes load
TensorFlow (seconds): they are imported when the tests run, so test-fast can collect and leave out this module
cheaply (marked `model`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
import pytest

if TYPE_CHECKING:
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.neighbour_classifier import NeighbourBlendClassifier

pytestmark = pytest.mark.model


@functools.cache
def rasa() -> SimpleNamespace:
    """Rasa's NLU parts and the component, imported when a test first needs them (they load TensorFlow)."""
    import scipy.sparse
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.exceptions import InvalidConfigException
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu import neighbour_classifier

    return SimpleNamespace(
        sparse=scipy.sparse, ExecutionContext=ExecutionContext, GraphSchema=GraphSchema, Storage=LocalModelStorage,
        Resource=Resource, InvalidConfigException=InvalidConfigException, SENTENCE=FEATURE_TYPE_SENTENCE,
        INTENT=INTENT, TEXT=TEXT, Features=Features, Message=Message, TrainingData=TrainingData,
        blend=neighbour_classifier, Classifier=neighbour_classifier.NeighbourBlendClassifier,
    )


SPARSE = {"court": [1, 0, 0], "police": [0, 1, 0], "shared": [0, 0, 1]}
DENSE = {"court": [0.01, 0.0], "police": [0.0, 0.01]}  # tiny to the regression, clear to cosine similarity


def message(text: str, sparse: list[int], dense: list[float] | None, intent: str | None = None) -> Message:
    r = rasa()
    data = {r.TEXT: text, **({r.INTENT: intent} if intent else {})}
    features = [r.Features(r.sparse.coo_matrix([sparse]), r.SENTENCE, r.TEXT, "CountVectorsFeaturizer")]
    if dense is not None:
        features.append(r.Features(np.array([dense], dtype=np.float32), r.SENTENCE, r.TEXT, "SentenceEncoder"))
    return r.Message(data=data, features=features)


def training_data(with_dense: bool = True) -> TrainingData:
    """Court and police examples, told apart by both kinds of feature, and ambiguous "shared" n-grams
    that mostly go with court."""
    examples = []
    for intent in ("court", "police"):
        for i in range(6):
            examples.append(message(f"{intent} {i}", SPARSE[intent], DENSE[intent] if with_dense else None, intent))
    for i in range(5):
        examples.append(message(f"shared court {i}", SPARSE["shared"], DENSE["court"] if with_dense else None, "court"))
    examples.append(message("shared police", SPARSE["shared"], DENSE["police"] if with_dense else None, "police"))
    return rasa().TrainingData(examples)


def new_storage(folder: Path) -> LocalModelStorage:
    folder.mkdir(parents=True)
    return rasa().Storage.create(folder)


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    return new_storage(tmp_path / "storage")


def trained(storage: LocalModelStorage, data: TrainingData, **config) -> NeighbourBlendClassifier:
    r = rasa()
    context = r.ExecutionContext(r.GraphSchema({}), "test-model")
    config = {**r.Classifier.get_default_config(), **config}
    component = r.Classifier.create(config, storage, r.Resource("classifier"), context)
    component.train(data)
    return component


def loaded(storage: LocalModelStorage, **config) -> NeighbourBlendClassifier:
    r = rasa()
    context = r.ExecutionContext(r.GraphSchema({}), "test-model")
    config = {**r.Classifier.get_default_config(), **config}
    return r.Classifier.load(config, storage, r.Resource("classifier"), context)


def ranking_of(component: NeighbourBlendClassifier, sparse: list[int], dense: list[float] | None) -> list[dict]:
    probe = message("a new message", sparse, dense)
    component.process([probe])
    return probe.get("intent_ranking")


def test_a_message_worded_like_court_but_meaning_police_is_pulled_to_police(storage: LocalModelStorage) -> None:
    """The n-grams say court (5 of 6 "shared" examples); the embedding is police's: the neighbours decide."""
    alone = trained(storage, training_data(), weight=0.0)
    assert ranking_of(alone, SPARSE["shared"], DENSE["police"])[0]["name"] == "court"
    blended = trained(storage, training_data(), weight=0.6)
    ranking = ranking_of(blended, SPARSE["shared"], DENSE["police"])
    assert ranking[0]["name"] == "police"
    assert sum(entry["confidence"] for entry in ranking) == pytest.approx(1.0)


def test_a_loaded_model_answers_exactly_as_the_trained_one(storage: LocalModelStorage) -> None:
    before = ranking_of(trained(storage, training_data(), weight=0.6), SPARSE["shared"], DENSE["police"])
    after = ranking_of(loaded(storage, weight=0.6), SPARSE["shared"], DENSE["police"])
    assert after == before and after[0]["name"] == "police"


def test_without_dense_features_it_is_the_regression_alone(storage: LocalModelStorage, tmp_path: Path) -> None:
    blended = trained(storage, training_data(with_dense=False), weight=0.6)
    plain = trained(new_storage(tmp_path / "plain"), training_data(with_dense=False), weight=0.0)
    assert ranking_of(blended, SPARSE["shared"], None) == ranking_of(plain, SPARSE["shared"], None)


def test_an_untrained_model_loads_and_leaves_messages_alone(storage: LocalModelStorage) -> None:
    component = loaded(storage)
    probe = message("hello", SPARSE["court"], DENSE["court"])
    component.process([probe])
    assert probe.get("intent") is None


@pytest.mark.parametrize(
    "bad", [{"neighbours": 0}, {"neighbours": "5"}, {"weight": 1.5}, {"weight": True}, {"temperature": 0}, {"temperature": None}]
)
def test_a_bad_setting_is_refused_with_its_name(bad: dict) -> None:
    classifier = rasa().Classifier
    with pytest.raises(rasa().InvalidConfigException, match=next(iter(bad))):
        classifier.validate_config({**classifier.get_default_config(), **bad})


def test_neighbours_share_out_by_similarity_and_label() -> None:
    similarities = np.array([[0.9, 0.9, 0.5]])
    labels = np.array([["a", "b", "a"]])
    shares = rasa().blend.neighbour_probabilities(similarities, labels, np.array(["a", "b", "c"]), temperature=0.1)
    assert shares.sum() == pytest.approx(1.0) and shares[0, 2] == 0.0
    assert shares[0, 0] > shares[0, 1] > 0  # the two equal neighbours tie; the far "a" adds a little


def test_the_nearest_are_found_by_cosine_similarity_nearest_first() -> None:
    embeddings = rasa().blend.unit_rows(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]]))
    similarities, rows = rasa().blend.nearest(embeddings, np.array([[10.0, 1.0]]), 3)  # the query's length does not matter
    assert rows.tolist() == [[0, 2, 1]]
    assert similarities[0, 0] == pytest.approx(10 / np.sqrt(101)) and similarities[0, 0] > similarities[0, 1] > similarities[0, 2]


def test_with_unit_length_parts_a_message_repeating_its_words_is_understood_as_the_short_one(storage: LocalModelStorage) -> None:
    """Counts ten times over (a long message saying the same) change the regression's confidence on raw counts,
    and nothing once each part is scaled to unit length."""
    raw = trained(storage, training_data(), weight=0.0)
    assert ranking_of(raw, [10, 0, 10], DENSE["court"]) != ranking_of(raw, [1, 0, 1], DENSE["court"])
    unit = trained(storage, training_data(), weight=0.0, unit_length_parts=True, C=10.0)
    long, short = ranking_of(unit, [10, 0, 10], DENSE["court"]), ranking_of(unit, [1, 0, 1], DENSE["court"])
    assert [e["name"] for e in long] == [e["name"] for e in short]
    assert [e["confidence"] for e in long] == pytest.approx([e["confidence"] for e in short])
    assert long[0]["name"] == "court"


def test_with_unit_length_parts_a_loaded_model_answers_as_the_trained_one(storage: LocalModelStorage) -> None:
    settings = {"weight": 0.35, "unit_length_parts": True, "C": 10.0}
    before = ranking_of(trained(storage, training_data(), **settings), SPARSE["shared"], DENSE["police"])
    component = loaded(storage, **settings)
    assert component.clf.C == 10.0
    assert ranking_of(component, SPARSE["shared"], DENSE["police"]) == before


def test_the_penalty_setting_reaches_the_regression(storage: LocalModelStorage) -> None:
    """A weaker penalty (larger C) lets the regression be surer of a clear message."""
    strong = ranking_of(trained(storage, training_data(), weight=0.0, C=0.01), SPARSE["police"], DENSE["police"])
    weak = ranking_of(trained(storage, training_data(), weight=0.0, C=100.0), SPARSE["police"], DENSE["police"])
    assert strong[0]["name"] == weak[0]["name"] == "police"
    assert weak[0]["confidence"] > strong[0]["confidence"] + 0.2


@pytest.mark.parametrize("bad", [{"C": 0}, {"C": "10"}, {"unit_length_parts": "yes"}, {"unit_length_parts": 1}])
def test_a_bad_regression_setting_is_refused_with_its_name(bad: dict) -> None:
    classifier = rasa().Classifier
    with pytest.raises(rasa().InvalidConfigException, match=next(iter(bad))):
        classifier.validate_config({**classifier.get_default_config(), **bad})
