"""The safety net on danger worded by someone who never saw it (tests/data/safety_challenge.yml).

The floors are the figures measured when the set arrived plus the lexicon work of 2026-11-23 (see
docs/results.md): an edit that loses any of that recall, or adds false alarms, fails here. The set is
for measuring only; never tune a pattern to one of its lines.
"""

from __future__ import annotations

import pytest

from bot import cli
from bot.config import PROJECT_ROOT
from bot.evaluation.challenge import NOT_DANGER, challenge_messages, score_lexicon
from bot.evaluation.data import SAFETY_INTENTS
from bot.safety.detector import load_lexicon

LEXICON = load_lexicon(PROJECT_ROOT / "content" / "safety" / "lexicon.yml")
LEXICON_CAUGHT_AT_LEAST = 63  # of 120
LEXICON_FALSE_ALARMS_AT_MOST = 5  # of 80


def test_the_challenge_set_has_every_kind_of_danger_and_hard_ordinary_messages() -> None:
    kinds = [kind for _, kind in challenge_messages()]
    assert {kind: kinds.count(kind) for kind in (*SAFETY_INTENTS, NOT_DANGER)} == {
        **{kind: 30 for kind in SAFETY_INTENTS},
        NOT_DANGER: 80,
    }


def test_the_lexicon_keeps_its_recall_on_unseen_wordings_without_more_false_alarms() -> None:
    score = score_lexicon(LEXICON, challenge_messages())
    assert sum(score.caught.values()) >= LEXICON_CAUGHT_AT_LEAST, score.summary("lexicon alone")
    assert len(score.false_alarms) <= LEXICON_FALSE_ALARMS_AT_MOST, score.false_alarms


def test_the_command_reports_recall_and_false_alarms(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["safety-challenge", "--lexicon-only"]) == 0
    printed = capsys.readouterr().out
    assert "lexicon alone: danger caught" in printed and "false alarms" in printed


def test_topic_scoring_counts_what_the_conversation_would_offer(tmp_path) -> None:
    """Right first; among the fallback's choices; among the alternatives after a wrong topic; or missed."""
    from bot.content.loader import load_content
    from bot.evaluation.challenge import score_topics
    from tests.helpers import topic, write_content

    content, _ = load_content(write_content(tmp_path, topics=[
        topic("grooming", "grooming_info", order=1), topic("court", "court_info", order=2), topic("police", "police_info", order=3)]))
    court_second = [{"name": "grooming_info", "confidence": 0.6}, {"name": "court_info", "confidence": 0.3}]
    results = [
        {"intent": {"name": "court_info"}, "intent_ranking": [{"name": "court_info", "confidence": 0.9}]},
        {"intent": {"name": "nlu_fallback"}, "intent_ranking": court_second},
        {"intent": {"name": "grooming_info"}, "intent_ranking": court_second},
        {"intent": {"name": "grooming_info"}, "intent_ranking": [{"name": "grooming_info", "confidence": 0.97},
                                                                {"name": "court_info", "confidence": 0.01}]},
        {"intent": {"name": "greet"}, "intent_ranking": court_second},  # small talk: no choices shown
    ]
    score = score_topics(results, [(f"question {i}", "court") for i in range(5)], content)
    assert (score.total, score.right_first, score.in_choices) == (5, 1, 3)
    assert [message for _, _, message in score.missed] == ["question 3", "question 4"]
