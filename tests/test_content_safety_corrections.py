"""Safety corrections in the shipped guidance (issue 13): each test renders the real content the way a
parent receives it and fails if the old, risky wording comes back or the key facts go missing."""

from __future__ import annotations

import pytest

from bot import conversation
from bot.handoff import form
from tests.helpers import flat, shipped_content, shipped_domain, step_texts

CONTENT = shipped_content()
DOMAIN = shipped_domain()


def whole_topic(topic_id: str) -> str:
    return " ".join(step_texts(topic_id).values())


def danger_now_replies() -> list[str]:
    """The danger reply from the action (content) and as Rasa sends it with the action server down (domain)."""
    from_content = conversation.message(CONTENT, "safety_danger_now").text
    from_domain = DOMAIN["responses"]["utter_safety_danger_now"][0]["text"]
    return [from_content, from_domain]


@pytest.mark.parametrize("reply", danger_now_replies(), ids=["content", "domain"])
def test_danger_now_gives_the_silent_solution_to_a_parent_who_cannot_speak(reply: str) -> None:
    assert reply.startswith("Call 999 now.")
    said = flat(reply)
    for fact in ("silent solution", "stay on the line", "cough or tap", "press 55", "does not tell them where you are"):
        assert fact in said, fact
    # emergencySMS only works for people registered in advance: it is not the route for a parent who can't talk now.
    assert "emergencysms" not in said and "once you have registered" not in said


def test_safety_plan_teaches_the_silent_solution_and_describes_emergency_sms_as_what_it_is() -> None:
    plan = whole_topic("safety_plan")
    for fact in ("silent solution", "stay on the line", "press 55", "does not tell them where you are"):
        assert fact in plan, fact
    assert "emergencysms" in plan
    sms = step_texts("safety_plan")["call_999"]
    assert "deaf" in sms and "speech-impaired" in sms and "register first" in sms


def test_emergency_sms_entry_says_who_it_is_for_and_points_elsewhere_for_a_silent_call() -> None:
    about = flat(CONTENT.services["emergency_sms"].details["about"])
    assert "deaf" in about and "registered in advance" in about and "silent solution" in about
    assert "if you cannot make a voice call" not in about
    assert "phone" not in CONTENT.services["emergency_sms"].details  # not a line you ring
    silent = flat(CONTENT.services["silent_solution"].details["about"])
    assert "press 55" in silent and "does not tell the police where you are" in silent


def test_safety_plan_code_word_never_sends_a_parent_in_alone() -> None:
    plan = whole_topic("safety_plan")
    assert "come and get them" not in plan
    code_word = step_texts("safety_plan")["code_word"]
    assert "call 999" in code_word and "let the police go in" in code_word
    assert "never go into a house, flat or car alone" in code_word


def test_consent_says_honestly_when_the_team_must_share_what_a_parent_says() -> None:
    consent = flat(form.consent(CONTENT).text)
    assert "only the support team can read them" not in consent
    assert "serious risk of harm" in consent and "must tell the police or children's services" in consent
    assert "even if you would rather they didn't" in consent
    # What the consent always had to say still stands.
    for words in ("stored", "12 months", "stop", "not an emergency service", "999"):
        assert words in consent, words


def test_report_remove_does_not_put_a_child_off_when_the_image_was_in_a_chat() -> None:
    online = whole_topic("online")
    assert "it cannot reach private chats" not in online
    assert "digital fingerprint" in online and "hash" in online
    assert "shared with internet companies" in online and "uploaded" in online
    assert "even if the image was only sent in a chat" in online


def test_rights_with_agencies_are_not_overstated_and_say_what_a_parent_can_ask_for() -> None:
    rights = step_texts("agencies")["rights"]
    assert "you have the right to be told what is happening" not in whole_topic("agencies")
    assert "you may not be told everything" in rights
    assert "investigating" in rights and "older child" in rights
    for ask in ("see reports before a meeting", "give your view", "what you can't be told, and why"):
        assert ask in rights, ask


def test_no_further_action_says_only_what_is_true() -> None:
    nfa = step_texts("court")["nfa"]
    assert "does not mean your child was not believed" not in whole_topic("court")
    assert "no one will be charged" in nfa and "not a court's decision about what happened" in nfa


def test_england_only_facts_say_so_and_wales_names_are_given() -> None:
    every_step = {(tid, sid): text for tid in CONTENT.topics for sid, text in step_texts(tid).items()}
    for (tid, sid), text in every_step.items():
        if "72 hours" in text:
            assert "in england" in text, (tid, sid)
        if "return home interview" in text:
            assert "in wales, it may be called a debrief" in text, (tid, sid)
        if "15 working days" in text:
            assert "in england, it usually takes place within 15 working days" in text, (tid, sid)
    assert "wales safeguarding procedures" in step_texts("agencies")["start"]
    conference = step_texts("agencies")["conference"]
    assert "care and support protection plan" in conference and "child protection register" in conference


# ---- Tone (issue 13): no pressure, no hidden blame, terms explained ---------------------------------

EVERY_TOPIC = " ".join(whole_topic(topic_id) for topic_id in CONTENT.topics)


@pytest.mark.parametrize(
    "old",
    [
        "try to stay calm",
        "stay as calm",
        "stay calm",
        "your child is watching how you react",
        "forced on a child",
        "more likely to run",
        "trust you enough to let it out",
    ],
)
def test_pressure_and_hidden_blame_are_gone_from_every_topic(old: str) -> None:
    assert old not in EVERY_TOPIC


def test_a_disclosure_tells_the_parent_their_feelings_are_normal() -> None:
    listen = step_texts("disclosure")["listen"]
    assert "normal reaction" in listen and "take a breath" in listen


def test_anger_towards_a_parent_comes_with_a_safety_line_and_help() -> None:
    anger = step_texts("trauma")["anger"]
    assert "violence towards you is not acceptable" in anger and "there is help for you too" in anger
    assert "call 999" in anger
    victim_support = CONTENT.services["victim_support"]
    assert flat(victim_support.name) in anger and victim_support.details["phone"] in anger


@pytest.mark.parametrize(
    ("term", "explained"),
    [
        ("officer in the case", "the officer in charge of your child's case"),
        ("collar number", "the number on their uniform"),
        ("open web", "websites and pages that anyone can find"),
        ("safe and well check", "also called a prevention interview"),
    ],
)
def test_terms_of_art_are_explained_where_they_first_appear_in_each_topic(term: str, explained: str) -> None:
    uses = 0
    for topic_id in CONTENT.topics:
        first = next((text for text in step_texts(topic_id).values() if term in text), None)
        if first is not None:
            uses += 1
            assert explained in first, (topic_id, term)
    assert uses, term
