"""The safety lexicon catches danger in words the model never saw, and leaves ordinary worries alone.

Examples here are our own wordings (not the evaluation set). When an editor adds a pattern to
content/safety/lexicon.yml, an example belongs here too.
"""

from __future__ import annotations

import pytest

from bot.config import PROJECT_ROOT
from bot.safety.detector import detect, load_lexicon, negated_types, tidy
from bot.safety.lexicon_store import LexiconStore
from bot.safety.net import apply_safety_net

LEXICON = load_lexicon(PROJECT_ROOT / "content" / "safety" / "lexicon.yml")


def top(message: str) -> str | None:
    found = detect(message, LEXICON)
    return found[0].type if found else None


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("they wont let him leave the house, hes texting me from the bathroom", "danger_now"),
        ("some men are beating my son up outside the chippy", "danger_now"),
        ("my girl rang crying, a man pulled a knife on her friend and she's with them", "danger_now"),
        ("she got into a black audi with two men and they drove off with her", "danger_now"),
        ("my lad's being held in a trap house in Birmingham and they've hurt him", "danger_now"),
        ("help, my daughter is in danger at this very moment, she's in danger now", "danger_now"),
        ("my son says he wants to die and he's locked himself in the bathroom", "danger_now"),
        ("she has swallowed pills, a whole load of pills", "danger_now"),
        ("i honestly want to end my life tonight", "parent_crisis"),
        ("i feel suicidal, i can't cope", "parent_crisis"),
        ("everyone would be better off without me", "parent_crisis"),
        ("i have taken all my tablets", "parent_crisis"),
        ("i keep cutting myself again since she went", "parent_crisis"),
        ("whats the point in living when i cant protect my own kid", "parent_crisis"),
        ("i dont want to wake up tomorrow", "parent_crisis"),
        ("my daughter didnt come home from school and it's 9pm", "missing_now"),
        ("he ran off after tea and nobody knows where he is", "missing_now"),
        ("my 14 year old has gone missing", "missing_now"),
        ("the police told me to wait 24 hours before i report him, is that right", "missing_now"),
        ("still not home and it's 2am", "missing_now"),
        ("i can't get hold of my son and he's been gone since friday", "missing_now"),
        ("our lad, 14, missing for five hours and his phone is off", "missing_now"),
        ("my girl missing for a day and a half", "missing_now"),
        ("im gonna go round there and smash his face in, i know where he lives", "confront_perpetrator"),
        ("my husband has gone round to sort them out", "confront_perpetrator"),
        ("i want to kill the bastards who did this to her", "confront_perpetrator"),
        ("i'm going to track him down myself", "confront_perpetrator"),
        ("should we go over to his flat and have a word", "confront_perpetrator"),
        ("i need help now", "help_now"),
        # Patterns added after measuring recall on the training examples (2026-11-23).
        ("my girl has just been grabbed by two lads outside the shop", "danger_now"),
        ("hes bleeding from his head and the men are still there", "danger_now"),
        ("she rang and whispered come and get me please", "danger_now"),
        ("they are holding my boy somewhere in leeds", "danger_now"),
        ("hes being chased by a gang with knives right this minute", "danger_now"),
        ("someone is threatening my son with a machete", "danger_now"),
        ("theyve battered him and left him in the street", "danger_now"),
        ("i have a packet of tablets in front of me and i keep looking at it", "parent_crisis"),
        ("i just want to go to sleep and never wake up", "parent_crisis"),
        ("i dont think ill make it through tonight", "parent_crisis"),
        ("i'm sat on the edge of the multi storey", "parent_crisis"),
        ("i keep punching myself when it gets too much", "parent_crisis"),
        ("nobody has seen my daughter since friday night", "missing_now"),
        ("he was meant to be home by ten and its gone midnight, not back", "missing_now"),
        ("i havent heard from her since yesterday dinnertime", "missing_now"),
        ("her bed hasnt been slept in", "missing_now"),
        ("i'm going to turn up at his house and have it out", "confront_perpetrator"),
        ("me and my cousin are going to sort them out", "confront_perpetrator"),
        ("i'll put him in hospital for what he did", "confront_perpetrator"),
        ("her uncle grabbed a hammer and has gone looking for the dealer", "confront_perpetrator"),
        # Apostrophes left out, as on a phone.
        ("shes been stabbed", "danger_now"),
        ("theyve taken my son", "danger_now"),
    ],
)
def test_danger_in_new_words_is_caught(message: str, expected: str) -> None:
    assert top(message) == expected


@pytest.mark.parametrize(
    "message",
    [
        "he's not in danger now, he's asleep upstairs",
        "she is no longer missing, the police found her",
        "i don't want to die, i just want my daughter back",
        "my favourite film is called \"i want to die\"",
        "how do i know if my child is being groomed",
        "she wont talk to me about anything",
        "he has started carrying a knife to school",
        "what happens at a child protection conference",
        "why does she keep going back to him",
        "i feel so guilty and ashamed",
        "can you help me calm down, i'm shaking",
        "the social worker wants a strategy meeting on monday",
        "he came home with new trainers and loads of cash",
        "she's home now, what should i say to her",
        "how do i deal with him when he kicks off",
        "what should i write down about the cars",
        "i should get her a new phone",
        "my son was angry and punched a wall last week",
        "how do i face them at the meeting",
        "my son is home now after being gone two days",
        "he says he has to keep selling or they'll hurt our family",
        "the police took my daughter's statement today",
        "social services took my son into care last year",
        "they've taken her phone off her as a punishment",
        "i cant get away from these thoughts about what happened to her",
        "im scared they will hurt him one day",
        "she isnt missing, shes at her nans",
        # "missing for" someone (an age, a child) asks what the word means, not how long a child has been gone
        "is the police idea of missing for a 13-year-old different from an adult",
        "what does missing for a child in care mean at a review meeting",
    ],
)
def test_ordinary_worries_do_not_raise_a_safety_reply(message: str) -> None:
    assert detect(message, LEXICON) == []


def test_danger_outranks_other_types_in_the_same_message() -> None:
    found = detect("they're hurting her right now and i want to die", LEXICON)
    assert [d.type for d in found] == ["danger_now", "parent_crisis"]


def test_a_parent_quoting_their_child_is_about_the_child() -> None:
    assert top('she keeps saying "i want to die"') == "danger_now"


def test_negated_mentions_are_reported_separately() -> None:
    assert negated_types("he's not missing now, he came back", LEXICON) == {"missing_now"}


def test_tidy_handles_curly_quotes_case_and_spaces() -> None:
    assert tidy("She\u2019s   NOT\n home") == "she's not home"


def test_safety_net_overrides_the_classifier_and_keeps_the_ranking() -> None:
    store = LexiconStore(PROJECT_ROOT / "content" / "safety" / "lexicon.yml")
    parsed = {
        "text": "they have a knife to his throat",
        "intent": {"name": "criminal_exploitation", "confidence": 0.8},
        "intent_ranking": [{"name": "criminal_exploitation", "confidence": 0.8}, {"name": "court", "confidence": 0.1}],
    }
    apply_safety_net(parsed, store)
    assert parsed["intent"] == {"name": "danger_now", "confidence": 1.0}
    assert [r["name"] for r in parsed["intent_ranking"]] == ["danger_now", "criminal_exploitation", "court"]
    assert parsed["safety_net"]["types"] == ["danger_now"]


def test_safety_net_drops_a_guess_the_message_negates() -> None:
    store = LexiconStore(PROJECT_ROOT / "content" / "safety" / "lexicon.yml")
    parsed = {
        "text": "she isn't missing now, she came back last night",
        "intent": {"name": "missing_now", "confidence": 0.7},
        "intent_ranking": [{"name": "missing_now", "confidence": 0.7}, {"name": "child_returned", "confidence": 0.2}],
    }
    apply_safety_net(parsed, store)
    assert parsed["intent"]["name"] == "child_returned"


def test_button_payloads_are_left_alone() -> None:
    store = LexiconStore(PROJECT_ROOT / "content" / "safety" / "lexicon.yml")
    parsed = {"text": "/topic_next", "intent": {"name": "topic_next", "confidence": 1.0}}
    assert apply_safety_net(parsed, store)["intent"]["name"] == "topic_next"


def test_a_broken_lexicon_edit_keeps_the_last_good_version(tmp_path) -> None:
    path = tmp_path / "lexicon.yml"
    path.write_text((PROJECT_ROOT / "content" / "safety" / "lexicon.yml").read_text())
    store = LexiconStore(path)
    assert detect("i want to die", store.get())
    path.write_text("types:\n  danger_now:\n    patterns: ['(unclosed']\n")
    assert detect("i want to die", store.get())


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("my son has just told me the men at the flat abused him", "child_disclosure"),
        ("someone is threatening to send her naked photos to the whole school", "online_abuse"),
        ("he says he'll post the video unless my lad pays him £200", "online_abuse"),
    ],
)
def test_disclosures_and_image_threats_open_their_guidance(message: str, intent: str) -> None:
    assert detect(message, LEXICON)[0].intent == intent


@pytest.mark.parametrize(
    "message",
    [
        "what should i do if my son hasn't come home yet",
        "my son goes missing every weekend and he hasn't come back yet",
        "she always comes home by 10 but hasn't come home tonight",
        "he hasn't been home for days, he keeps doing this",
        "she's missing again, it happens every time she sees him",
        "he went missing three times last month and he's missing again now",
    ],
)
def test_a_child_missing_now_is_caught_even_beside_talk_of_habits(message: str) -> None:
    assert top(message) == "missing_now"


@pytest.mark.parametrize(
    "message",
    [
        "he went missing three times last month, what else can i do",
        "if she goes missing again who do i ring",
        "he goes missing for days at a time, is there a plan i can make",
        "what details help the police find a missing teenager",
        "should i punish him for running off",
        "my lad has started staying out all night and wont say where",
        "how do i get nude images of my child taken off the internet",
        "can a child be trafficked inside the uk for drugs",
    ],
)
def test_habits_and_general_questions_are_left_to_the_topics(message: str) -> None:
    assert top(message) not in ("missing_now", "danger_now")


@pytest.mark.parametrize(
    "message",
    [
        "police have taken my 15 year old in for questioning",
        "the police have taken my son to the station and they wont tell me anything",
        "officers took my daughter in for an interview under caution",
    ],
)
def test_the_police_taking_a_child_in_is_left_to_the_arrested_topic(message: str) -> None:
    assert top(message) is None


def test_a_child_taken_by_someone_else_is_still_danger_now_beside_the_police() -> None:
    assert top("they have taken my son and the police are looking") == "danger_now"


@pytest.mark.parametrize(
    "message",
    [
        "she went missing for two nights in the summer but shes home now and asleep, how do i get ready in case it happens again",
        "the police brought him back this morning after he'd been missing since friday, what do i say to him now",
        "last year my lad went missing loads, hes been home for months now, should we talk about it",
        "my son is sat next to me so this isnt an emergency, but how long do you have to wait before reporting a child missing",
        "honestly i could kill that man for what he did, but i won't, i just need to know what to do with all this anger",
        "my mum has taken my daughter on for a few months while we sort things out and im ashamed",
        "there's money missing from my purse and he has new trainers, is that a sign",
        "ever since she went missing in march the school has treated her differently, who do i talk to",
        "the police took my son away in handcuffs last night and i need to know what happens at the station",
        "i think this is a panic attack, my chest is tight, what do i do right now",
        "im sat in the car now outside work shaking after the meeting, i need to calm down",
        "can the police warn him off before it gets worse",
    ],
)
def test_danger_told_as_over_is_left_to_the_topics(message: str) -> None:
    assert top(message) is None


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("she came back on sunday after three days but tonight she's gone again and her phone is off", "missing_now"),
        ("he turned up last week, but he still hasn't come home from school today", "missing_now"),
        ("he went missing last year and we found him, now its 2am and he hasnt come back yet", "missing_now"),
        ("i said i wouldn't but i'm on my way round to his flat tonight to batter him", "confront_perpetrator"),
        ("my daughter was home safe till a man grabbed my daughter outside the shop just now", "danger_now"),
    ],
)
def test_danger_happening_again_is_caught_beside_talk_of_it_being_over(message: str, expected: str) -> None:
    assert top(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # the parent's own harm, said with "right now", is a parent at risk (Samaritans first), not a child in danger
        ("honestly i could hurt myself so badly right now, i cant take any more of this", "parent_crisis"),
        # the parent's own intent against the abuser is about to confront
        ("i want to batter him right now for what he's done to her", "confront_perpetrator"),
        # a child being hurt now is still a child in danger
        ("they're hitting him right now i can hear it on the phone", "danger_now"),
        ("my boy has just been taken by two men in a silver car", "danger_now"),
    ],
)
def test_whose_harm_it_is_decides_which_help_comes_first(message: str, expected: str) -> None:
    assert top(message) == expected


@pytest.mark.parametrize(
    "message",
    [
        "he's taken the dog out so i've finally got five minutes to ask about the meetings",
        "she's taken her phone and charger to her nan's for the weekend, is that ok to allow",
        "my daughter has been taken into care and i want to know my rights",
    ],
)
def test_taken_in_the_active_sense_is_not_a_child_in_danger(message: str) -> None:
    assert top(message) is None


@pytest.mark.parametrize(
    "message",
    [
        # "cut off from" is how abusers isolate a child, not a wound (batch G, issue 12)
        "shes 14 and her so called boyfriend is 23, he has cut her off from her mates and from us, is that how it starts",
        "theyve cut my grandson off from everyone he used to know, how do i get him back",
        # "taken under his wing" is a figure of speech for the attention that draws a child in
        "a lad from the estate has taken my son under his wing and buys him food every day",
        # a niece, nephew or stepchild told as home now is as settled as a son or daughter
        "my nephew is home now eating his tea, he was gone for two days, what do i ask him",
        "my stepdaughter is home now, she was away for three nights, what do i ask her first",
    ],
)
def test_isolation_words_and_a_relative_home_now_are_left_to_the_topics(message: str) -> None:
    assert top(message) is None


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("someone has cut him, theres blood everywhere and hes at their flat", "danger_now"),
        ("two men have taken my son under the bridge and wont let him go", "danger_now"),
        ("my niece is home now but tonight shes gone again and her phone is off", "missing_now"),
    ],
)
def test_a_real_wound_a_taking_or_a_relative_gone_again_still_raise_help(message: str, expected: str) -> None:
    assert top(message) == expected
