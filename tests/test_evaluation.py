"""The understanding evaluation: its maths, and a quick real run so the command cannot rot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import cli
from bot.evaluation.data import BEHAVIOURS_PATH, held_out_split, training_examples
from bot.evaluation.run import behaviour_scores, scores


def test_held_out_split_keeps_every_intent_on_both_sides_and_is_repeatable() -> None:
    examples = training_examples()
    train, test = held_out_split(examples)
    assert {i for _, i in test} <= {i for _, i in train}
    assert set(train).isdisjoint(test) and len(train) + len(test) == len(examples)
    assert held_out_split(examples) == (train, test)


def test_scores_per_intent_and_overall() -> None:
    result = scores(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert result.accuracy == 0.75
    assert result.per_intent["a"]["recall"] == 0.5 and result.per_intent["b"]["precision"] == pytest.approx(2 / 3)


def test_safety_recall_and_false_alarms_are_counted_on_the_right_messages() -> None:
    rows = [
        ("help he has a knife", "danger_now", "danger_now"),
        ("she is not home", "missing_now", "missing_now"),
        ("what is grooming", "grooming_info", "grooming_info"),
        ("hello", "greet", "greet"),
    ]
    result = behaviour_scores(rows, ["danger_now", "greet", "danger_now", "greet"])
    assert result.safety_recall == 0.5
    assert result.false_alarm_rate == 0.5
    assert result.accuracy == 0.5
    assert result.false_alarms == [("grooming_info", "what is grooming", "danger_now")]


@pytest.mark.model  # trains and loads a Rasa model (TensorFlow)
@pytest.mark.skipif(not BEHAVIOURS_PATH.exists(), reason="../shared/eval/behaviours.yml is not beside the project")
def test_the_evaluate_command_trains_measures_and_saves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "eval.json"
    assert cli.main(["evaluate", "--smoke", "--pipelines", "logreg", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "held-out acc" in printed and "logreg" in printed
    (result,) = json.loads(out.read_text())
    assert result["train_seconds"] > 0 and result["behaviours"]["safety_recall"] == 1.0


def test_confidence_takes_the_classifiers_top_intent_under_a_fallback_and_leaves_lexicon_answers_out() -> None:
    from bot.evaluation.run import confidence, p95

    results = [
        {"intent": {"name": "court", "confidence": 0.9}, "intent_ranking": [{"name": "court", "confidence": 0.9}]},
        {
            "intent": {"name": "nlu_fallback", "confidence": 0.3},
            "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "agencies", "confidence": 0.25}],
        },
        {
            "intent": {"name": "danger_now", "confidence": 1.0},
            "intent_ranking": [{"name": "danger_now", "confidence": 1.0}],
            "safety_net": {"source": "lexicon", "types": ["danger_now"]},
        },
        {
            "intent": {"name": "nlu_fallback", "confidence": 0.3},
            "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "menu", "confidence": 0.28}],
        },
    ]
    found = confidence(["court", "court", "danger_now", "menu"], results)
    assert (found.right, found.wrong, found.fallback, found.lexicon) == ([0.9, 0.28], [0.25], 2, 1)
    assert found.fallback_on_right == 1
    assert found.share_at_least(0.5) == (0.5, 0.0)
    assert p95([float(i) for i in range(1, 101)]) == pytest.approx(95.95)
