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
