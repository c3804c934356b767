"""The safety check question and choices instead of dead ends (issue 12, items 2 and 3)."""

from __future__ import annotations

import pytest

from bot import conversation
from bot.config import PROJECT_ROOT
from bot.content.store import ContentStore
from bot.evaluation.challenge import ChallengeScore, without_check_questions
from bot.payloads import is_offered_payload
from bot.safety.intents import CHECK_INTENTS, SAFETY_INTENTS, help_given_for
from bot.safety.lexicon_store import LexiconStore
from bot.safety.net import apply_safety_net
from tests.helpers import shipped_domain

STORE = LexiconStore(PROJECT_ROOT / "content" / "safety" / "lexicon.yml")
CONTENT = ContentStore(PROJECT_ROOT / "content").get()
QUIET = "i have been thinking about everything that happened with the lads on the estate"  # no lexicon match


def parsed(text: str, *ranking: tuple[str, float]) -> dict:
    entries = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return {"text": text, "intent": entries[0], "intent_ranking": entries}


def test_the_quiet_message_really_is_silent_for_the_lexicon() -> None:
    assert apply_safety_net(parsed(QUIET, ("court", 0.9)), STORE)["intent"]["name"] == "court"


@pytest.mark.parametrize("kind", SAFETY_INTENTS)
def test_a_safety_guess_the_lexicon_does_not_back_becomes_a_check(kind: str) -> None:
    result = apply_safety_net(parsed(QUIET, (kind, 0.55), ("court", 0.3)), STORE)
    assert result["intent"] == {"name": f"check_{kind}", "confidence": 0.55}
    assert [r["name"] for r in result["intent_ranking"]] == [f"check_{kind}", kind, "court"]
    assert result["safety_net"] == {"types": [], "source": "model", "check": kind}


def test_a_safety_intent_near_the_top_with_real_weight_is_checked_too() -> None:
    result = apply_safety_net(parsed(QUIET, ("court", 0.6), ("parent_crisis", 0.3), ("agencies", 0.1)), STORE)
    assert result["intent"]["name"] == "check_parent_crisis"


def test_a_safety_intent_with_little_weight_is_left_alone() -> None:
    result = apply_safety_net(parsed(QUIET, ("court", 0.85), ("parent_crisis", 0.1)), STORE)
    assert result["intent"]["name"] == "court"


def test_the_threshold_is_a_setting() -> None:
    ranking = (("court", 0.6), ("parent_crisis", 0.3))
    assert apply_safety_net(parsed(QUIET, *ranking), STORE, check_threshold=0.5)["intent"]["name"] == "court"


def test_the_lexicon_still_gives_the_full_reply_not_a_check() -> None:
    result = apply_safety_net(parsed("they have a knife to his throat", ("court", 0.9)), STORE)
    assert result["intent"]["name"] == "danger_now"


def test_danger_mentioned_only_in_the_negative_is_not_checked() -> None:
    result = apply_safety_net(parsed("he isn't missing now, he came home", ("missing_now", 0.6), ("child_returned", 0.3)), STORE)
    assert result["intent"]["name"] == "child_returned"


def first_sentence(text: str) -> str:
    return text.split(".")[0]


@pytest.mark.parametrize("kind", SAFETY_INTENTS)
def test_each_check_leads_with_the_help_and_has_a_yes_button_the_relay_lets_through(kind: str) -> None:
    check = conversation.message(CONTENT, f"check_{kind}")
    first = check.text.split("\n\n")[0]
    needs = {
        "danger_now": ["999"],
        "missing_now": ["police", "999", "101", "24 hours"],
        "parent_crisis": ["116 123", "85258", "999"],
        "confront_perpetrator": ["police", "101", "999", "confront"],
    }[kind]
    assert all(word in first for word in needs), first
    if kind == "danger_now":
        assert "999" in first_sentence(check.text)
    assert check.text.rstrip().endswith("?")  # it asks
    yes = check.buttons[0]["payload"]
    assert yes == f"/{kind}" and is_offered_payload(yes)


def test_the_check_replies_are_built_into_the_model_so_they_work_without_the_action_server() -> None:
    domain = shipped_domain()
    for intent in CHECK_INTENTS:
        assert f"utter_{intent}" in domain["responses"] and intent in domain["intents"]


def test_a_check_is_never_taken_as_an_answer_in_the_self_referral() -> None:
    domain = shipped_domain()
    form_slots = domain["forms"]["referral_form"]["required_slots"]
    for name in form_slots:
        typed = [m for m in domain["slots"][name]["mappings"] if m["type"] == "from_text"]
        assert typed, name
        for mapping in typed:
            assert set(CHECK_INTENTS) <= set(mapping.get("not_intent", [])), name


def test_unsure_gives_the_likeliest_topics_something_else_talk_to_someone_and_the_crisis_line() -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "parent_wellbeing", "confidence": 0.28},
        {"name": "grounding", "confidence": 0.2},
        {"name": "greet", "confidence": 0.1},
        {"name": "court", "confidence": 0.01},  # too little weight to offer
    ]
    turn = conversation.fallback(CONTENT, conversation.Place(), ranking)
    reply = turn.messages[0]
    titles = [b["title"] for b in reply.buttons]
    assert titles == [CONTENT.topics["self_care"].title, CONTENT.topics["grounding"].title, "Something else", "Talk to someone"]
    assert "116 123" in reply.text and "didn't understand" not in reply.text
    assert len(reply.buttons) <= 5  # a few choices, not a wall of buttons


def test_with_nothing_likely_the_plain_fallback_stays() -> None:
    reply = conversation.fallback(CONTENT, conversation.Place(), []).messages[0]
    assert "didn't understand" in reply.text and "999" in reply.text


def test_after_a_check_the_way_on_is_the_likeliest_topics() -> None:
    ranking = [{"name": "check_danger_now", "confidence": 0.4}, {"name": "danger_now", "confidence": 0.4},
               {"name": "criminal_exploitation", "confidence": 0.35}]
    reply = conversation.safety_check_choices(CONTENT, conversation.Place(), ranking).messages[0]
    assert [b["title"] for b in reply.buttons][0] == CONTENT.topics["criminal"].title
    assert reply.buttons[-1]["payload"] == conversation.TALK


def test_a_check_counts_as_help_for_danger_and_not_as_a_false_alarm() -> None:
    score = ChallengeScore()
    score.add("danger message", "danger_now", "check_danger_now")
    score.add("wrong check", "missing_now", "check_danger_now")
    score.add("ordinary, checked", "not_danger", "check_parent_crisis")
    score.add("ordinary, full reply", "not_danger", "parent_crisis")
    assert score.caught["danger_now"] == 1 and score.right_type["danger_now"] == 1
    assert score.caught["missing_now"] == 1 and score.right_type["missing_now"] == 0
    assert score.false_alarms == ["ordinary, full reply"] and score.checked == ["ordinary, checked"]
    assert help_given_for("check_missing_now") == "missing_now" and help_given_for("court") is None


def test_without_check_questions_gives_back_what_the_model_said() -> None:
    result = apply_safety_net(parsed(QUIET, ("court", 0.6), ("parent_crisis", 0.3)), STORE)
    assert without_check_questions(result)["intent"]["name"] == "court"
    lexicon = apply_safety_net(parsed("they have a knife to his throat", ("court", 0.9)), STORE)
    assert without_check_questions(lexicon)["intent"]["name"] == "danger_now"
