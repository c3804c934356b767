"""The shipped content and domain agree, and the key messages say what parents need to hear."""

from __future__ import annotations

import yaml

from bot import conversation
from bot.config import PROJECT_ROOT
from bot.content.store import ContentStore
from tests.helpers import shipped_domain

CONTENT = ContentStore(PROJECT_ROOT / "content").get()
DOMAIN = shipped_domain()
TOPIC_INTENTS = {
    "grooming_info",
    "criminal_exploitation",
    "online_abuse",
    "exploitation_signs",
    "trauma_behaviour",
    "missing_info",
    "child_returned",
    "evidence_logging",
    "safety_planning",
    "agencies",
    "court",
    "parent_wellbeing",
    "grounding",
    "other_support",
    # added for issue 13
    "child_arrested",
    "police_disruption",
    "family_threatened",
    "fear_of_reporting",
    "complain_professionals",
    "school_concerns",
    "child_mental_health",
    "child_in_care",
    "separated_parents",
}


def test_every_topic_intent_opens_a_topic_and_is_in_the_domain() -> None:
    assert set(DOMAIN["intents"]) >= TOPIC_INTENTS
    for intent in TOPIC_INTENTS:
        topic = CONTENT.topic_for_intent(intent)
        assert topic is not None and topic.menu, intent


def test_grounding_offers_at_least_four_exercises_one_step_at_a_time() -> None:
    first = conversation.start_topic(CONTENT, "grounding").messages[0]
    exercises = [b for b in first.buttons if b["payload"].startswith("/open_topic")]
    assert len(exercises) >= 4
    for button in exercises:
        goto = button["payload"].split('"topic":"')[1].rstrip('"}')
        assert len(CONTENT.topics[goto.split("/")[0]].steps) >= 3


def test_welcome_says_what_the_assistant_is_and_is_not() -> None:
    welcome = conversation.reply(CONTENT, "greet", conversation.Place()).messages[0]
    assert "automated assistant" in welcome.text and "not a person" in welcome.text
    assert "not an emergency service" in welcome.text and "999" in welcome.text
    titles = [b["title"] for b in welcome.buttons]
    assert titles == [group.title for group in CONTENT.menu_groups] + ["Talk to someone", "I need help now"]
    assert len(titles) <= 7


def test_bot_challenge_is_plain_that_it_is_not_a_person() -> None:
    text = conversation.reply(CONTENT, "bot_challenge", conversation.Place()).messages[0].text
    assert "not a person" in text and "automated assistant" in text


def test_fallback_admits_it_and_is_never_a_dead_end() -> None:
    fallback = conversation.fallback(CONTENT, conversation.Place()).messages[0]
    assert "didn't understand" in fallback.text
    payloads = [b["payload"] for b in fallback.buttons]
    assert "/talk_to_someone" in payloads and "/help_now" in payloads
    assert [conversation.open_group_payload(group.id) for group in CONTENT.menu_groups] == payloads[: len(CONTENT.menu_groups)]


def test_missing_topic_starts_with_reporting_to_the_police_now() -> None:
    first = conversation.start_topic(CONTENT, "missing").messages[0].text
    assert "999" in first and "101" in first and "24" in first


def test_help_now_response_in_domain_has_the_emergency_numbers() -> None:
    text = DOMAIN["responses"]["utter_help_now"][0]["text"]
    for number in ("999", "101", "116 123", "85258"):
        assert number in text


def test_safety_buttons_come_out_of_rasa_templating_as_the_content_says() -> None:
    """Rasa fills {slot} placeholders in responses: a topic button's JSON payload must survive it."""
    from rasa.core.nlg.interpolator import interpolate
    from structlog.testing import capture_logs

    for message in CONTENT.messages.values():
        if not message.domain_response:
            continue
        expected = [b["payload"] for b in conversation.expand_buttons(message.buttons, CONTENT)]
        response = DOMAIN["responses"][f"utter_{message.id}"][0]
        with capture_logs() as logged:  # a payload taken for a placeholder is logged, with slot values
            filled = interpolate(response, {"current_topic": None, "preferred_name": "Sam"})
        assert logged == [], message.id
        assert [b["payload"] for b in filled.get("buttons", [])] == expected
        assert "{" not in filled["text"] or "{" in message.text


def test_every_topic_intent_has_a_rule_that_opens_its_topic() -> None:
    rules = yaml.safe_load((PROJECT_ROOT / "data" / "rules.yml").read_text())["rules"]
    opening = {
        rule["steps"][0]["intent"]
        for rule in rules
        if len(rule["steps"]) >= 2 and "intent" in rule["steps"][0] and rule["steps"][1].get("action") == "action_start_topic"
    }
    topic_intents = {topic.intent for topic in CONTENT.topics.values() if topic.intent}
    assert topic_intents - opening == set()


def test_every_topic_intent_has_a_test_story_in_a_parents_own_words() -> None:
    stories = yaml.safe_load((PROJECT_ROOT / "tests" / "stories" / "test_stories.yml").read_text())["stories"]
    typed = {step["intent"] for story in stories for step in story["steps"] if "user" in step and not step["user"].startswith("/")}
    assert {topic.intent for topic in CONTENT.topics.values() if topic.intent} - typed == set()
