"""The NLU pipelines compared: the project's, Rasa's default (what `rasa init` writes), and alternatives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import rasa.cli.initial_project
import yaml

from bot.config import PROJECT_ROOT

SAFETY_NET = {"name": "bot.safety.rasa_component.SafetyNet", "lexicon": "content/safety/lexicon.yml"}


def project_config() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))


def default_config() -> dict[str, Any]:
    """The config.yml that `rasa init` writes: an empty pipeline, so Rasa fills in its defaults."""
    path = Path(rasa.cli.initial_project.__path__[0]) / "config.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _with_pipeline(pipeline: list[dict[str, Any]]) -> dict[str, Any]:
    config = project_config()
    config["pipeline"] = pipeline
    return config


def _project_pipeline(**diet: Any) -> list[dict[str, Any]]:
    """The DIET pipeline config.yml had before the sentence encoder (issue 12), with DIET's settings changed."""
    return [*_features(), {**PROJECT_DIET, **diet}, PROJECT_FALLBACK, SAFETY_NET]


def _features(char_max: int = 5) -> list[dict[str, Any]]:
    return [
        {"name": "WhitespaceTokenizer"},
        {"name": "RegexFeaturizer"},
        {"name": "LexicalSyntacticFeaturizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 2, "max_ngram": char_max},
    ]


def default_plus_safety() -> dict[str, Any]:
    """Rasa's default components written out (as the comments `rasa init` writes list them), then the safety net."""
    pipeline = [
        *_features()[:4],
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {"name": "DIETClassifier", "epochs": 100},
        {"name": "EntitySynonymMapper"},
        {"name": "ResponseSelector", "epochs": 100},
        {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
        SAFETY_NET,
    ]
    return {**default_config(), "pipeline": pipeline}


FALLBACK = {"name": "FallbackClassifier", "threshold": 0.45, "ambiguity_threshold": 0.1}
PROJECT_FALLBACK = {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1}  # as config.yml
ENCODER = "bot.nlu.sentence_encoder.SentenceEncoderFeaturizer"
CHAR_NGRAMS = {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5}
PROJECT_DIET = {
    "name": "DIETClassifier",
    "epochs": 60,
    "number_of_transformer_layers": 1,
    "transformer_size": 128,
    "entity_recognition": False,
    "constrain_similarities": True,
    "random_seed": 42,
}


def _encoder(features: list[dict[str, Any]], classifier: dict[str, Any], **encoder: Any) -> dict[str, Any]:
    """Our compiled MiniLM featurizer beside `features`, then `classifier`, the fallback and the safety net."""
    return _with_pipeline(
        [{"name": "WhitespaceTokenizer"}, {"name": ENCODER, **encoder}, *features, classifier, PROJECT_FALLBACK, SAFETY_NET]
    )


def _diet(**changes: Any) -> dict[str, Any]:
    return {**PROJECT_DIET, **changes}


def _logreg(**changes: Any) -> dict[str, Any]:
    return {"name": "LogisticRegressionClassifier", "max_iter": 1000, **changes}


def language_model_featurizer() -> dict[str, Any]:
    """Rasa's own LanguageModelFeaturizer on the same local MiniLM files (run eagerly, [CLS] as the sentence)."""
    from bot.nlu.encoder_files import ENCODER_DIR

    lmf = {"name": "LanguageModelFeaturizer", "model_name": "bert", "model_weights": str(ENCODER_DIR)}
    return _with_pipeline([{"name": "WhitespaceTokenizer"}, lmf, CHAR_NGRAMS, PROJECT_DIET, PROJECT_FALLBACK, SAFETY_NET])

def _shipped_with_logreg() -> dict[str, Any]:
    """config.yml with Rasa's plain regression and the thresholds it was calibrated with (before the blend)."""
    config = project_config()
    for step in config["pipeline"]:
        if step["name"].endswith("NeighbourBlendClassifier"):
            step.clear()
            step.update(_logreg())
        elif step["name"] == "FallbackClassifier":
            step["threshold"] = 0.5
        elif step["name"].endswith("SafetyNet"):
            step["check_threshold"] = 0.25
    return config


def _shipped_with_unit_length_parts() -> dict[str, Any]:
    """config.yml with the n-gram counts and the embedding each at unit length, C 10, fallback 0.3: tried
    2026-12-01 (trains in about half the time; lost three long danger messages' right help, so not shipped)."""
    config = project_config()
    for step in config["pipeline"]:
        if step["name"].endswith("NeighbourBlendClassifier"):
            step.update(unit_length_parts=True, C=10)
        elif step["name"] == "FallbackClassifier":
            step["threshold"] = 0.3
    return config


# name -> (what it is, config). "project" is config.yml as shipped.
PIPELINES: dict[str, tuple[str, Any]] = {
    "project": (
        "config.yml as shipped: MiniLM (times 16) + char 2-5 grams + the regression blended with the 5 nearest "
        "examples, fallback 0.4, check 0.2, safety net",
        project_config,
    ),
    "project_logreg": (
        "config.yml before the blend: the same features + Rasa's LogisticRegressionClassifier, fallback 0.5, check 0.25",
        lambda: _shipped_with_logreg(),
    ),
    "project_unit": (
        "config.yml with each part of the features at unit length, C 10, fallback 0.3 (tried, not shipped)",
        lambda: _shipped_with_unit_length_parts(),
    ),
    "project_diet": (
        "config.yml before issue 12: DIET with one transformer layer of 128, 60 epochs, word and char 2-5 grams, safety net",
        lambda: _with_pipeline(_project_pipeline()),
    ),
    "default": ("Rasa's default pipeline (rasa init), no safety net", default_config),
    "default_safety": ("Rasa's default pipeline plus the safety net", lambda: default_plus_safety()),
    "diet_large": (
        "project with DIET's default size (two transformer layers of 256), 40 epochs: the config before tuning",
        lambda: _with_pipeline(_project_pipeline(epochs=40, number_of_transformer_layers=2, transformer_size=256)),
    ),
    "diet_large_20": (
        "project with DIET's default size, 20 epochs",
        lambda: _with_pipeline(_project_pipeline(epochs=20, number_of_transformer_layers=2, transformer_size=256)),
    ),
    "diet_40": ("project with 40 epochs", lambda: _with_pipeline(_project_pipeline(epochs=40))),
    "diet_20": ("project with 20 epochs", lambda: _with_pipeline(_project_pipeline(epochs=20))),
    "diet_1x256": (
        "project with one transformer layer of 256",
        lambda: _with_pipeline(_project_pipeline(epochs=40, transformer_size=256)),
    ),
    "diet_2x128": (
        "project with two transformer layers of 128",
        lambda: _with_pipeline(_project_pipeline(epochs=40, number_of_transformer_layers=2)),
    ),
    "logreg": (
        "LogisticRegressionClassifier on the same features, safety net",
        lambda: _with_pipeline([*_features(), {"name": "LogisticRegressionClassifier"}, FALLBACK, SAFETY_NET]),
    ),
    # The sentence encoder (issue 12): all-MiniLM-L6-v2 from models/encoder/, with the safety net last.
    "lmf_diet": (
        "Rasa's LanguageModelFeaturizer (MiniLM, eager, [CLS]) + char 2-5 grams + project DIET",
        language_model_featurizer,
    ),
    "enc_diet": (
        "our compiled MiniLM featurizer (mean-pooled) + the project's features + project DIET",
        lambda: _encoder(_features()[1:], _diet()),
    ),
    "enc_char_diet": ("MiniLM + char 2-5 grams + project DIET", lambda: _encoder([CHAR_NGRAMS], _diet())),
    "enc_char_diet0": (
        "MiniLM + char 2-5 grams + DIET without transformer layers, 100 epochs",
        lambda: _encoder([CHAR_NGRAMS], _diet(number_of_transformer_layers=0, epochs=100)),
    ),
    "enc_char_diet_2x256": (
        "MiniLM + char 2-5 grams + DIET of DIET's default size (two layers of 256), 40 epochs",
        lambda: _encoder([CHAR_NGRAMS], _diet(number_of_transformer_layers=2, transformer_size=256, epochs=40)),
    ),
    "enc_logreg": ("MiniLM + char 2-5 grams + Rasa's LogisticRegressionClassifier", lambda: _encoder([CHAR_NGRAMS], _logreg())),
    "enc_logreg_x4": (
        "MiniLM (embedding times 4) + char 2-5 grams + LogisticRegressionClassifier",
        lambda: _encoder([CHAR_NGRAMS], _logreg(), scale=4.0),
    ),
    **{
        f"enc_logreg_x{scale}": (
            f"MiniLM (embedding times {scale}) + char 2-5 grams + LogisticRegressionClassifier",
            lambda scale=scale: _encoder([CHAR_NGRAMS], _logreg(), scale=float(scale)),
        )
        for scale in (8, 16, 24, 32)
    },
    "enc_logreg_x16_words": (
        "MiniLM (times 16) + the project's features (regex, lexical, words, char 2-5) + LogisticRegressionClassifier",
        lambda: _encoder(_features()[1:], _logreg(), scale=16.0),
    ),
    "enc_logreg_x16_char14": (
        "MiniLM (times 16) + char 1-4 grams (Rasa's default range) + LogisticRegressionClassifier",
        lambda: _encoder([{**CHAR_NGRAMS, "min_ngram": 1, "max_ngram": 4}], _logreg(), scale=16.0),
    ),
    "enc_logreg_x16_fb02": (
        "as config.yml, FallbackClassifier at 0.2 / 0.05 instead of 0.3 / 0.1",
        lambda: _with_pipeline(
            [
                *[step for step in project_config()["pipeline"] if step["name"] != "FallbackClassifier"][:-1],
                {"name": "FallbackClassifier", "threshold": 0.2, "ambiguity_threshold": 0.05},
                SAFETY_NET,
            ]
        ),
    ),
    "enc_logreg_x16_nofb": (
        "as config.yml without the FallbackClassifier (the classifier's top-1 alone)",
        lambda: _with_pipeline([step for step in project_config()["pipeline"] if step["name"] != "FallbackClassifier"]),
    ),
    "enc_only_logreg": ("MiniLM alone + LogisticRegressionClassifier", lambda: _encoder([], _logreg())),
}


def config_for(name: str) -> dict[str, Any]:
    return PIPELINES[name][1]()
