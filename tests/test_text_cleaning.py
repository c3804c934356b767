"""Invisible characters never hide a word from the safety net, the model or the relay (issue 11, item 4)."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.config import PROJECT_ROOT
from bot.safety.detector import detect, load_lexicon
from bot.text import clean_message
from bot.web.chat_input import parse_chat_input

LEXICON = load_lexicon(PROJECT_ROOT / "content" / "safety" / "lexicon.yml")
SENDER = "widget-abcdef123456"

# One of each kind of invisible character, put inside the word that carries the danger.
HIDERS = {
    "zero-width space": "\u200b",
    "soft hyphen": "\u00ad",
    "zero-width non-joiner": "\u200c",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte order mark": "\ufeff",
    "left-to-right mark": "\u200e",
    "right-to-left override": "\u202e",
    "combining grapheme joiner": "\u034f",
    "Mongolian vowel separator": "\u180e",
    "invisible times": "\u2062",
}
DANGER = [
    ("he is in danger right now", "danger", "danger_now"),
    ("i want to kill myself", "kill", "parent_crisis"),
]


def hide(text: str, word: str, hider: str) -> str:
    return text.replace(word, hider.join(word))


@pytest.mark.parametrize("hider", HIDERS.values(), ids=HIDERS.keys())
@pytest.mark.parametrize(("message", "word", "intent"), DANGER, ids=["danger", "kill"])
def test_invisible_characters_inside_a_danger_word_still_reach_the_safety_net(
    message: str, word: str, intent: str, hider: str
) -> None:
    disguised = hide(message, word, hider)
    assert disguised != message
    found = detect(disguised, LEXICON)
    assert found and found[0].intent == intent


@pytest.mark.parametrize("hider", HIDERS.values(), ids=HIDERS.keys())
def test_the_relay_passes_on_the_word_without_its_invisible_characters(hider: str) -> None:
    parsed = parse_chat_input({"sender": SENDER, "message": hide("he is in danger", "danger", hider)}, 1000)
    assert parsed.message == "he is in danger"


@pytest.mark.model  # a Rasa NLU component: Rasa's component registry imports TensorFlow
def test_the_first_nlu_component_cleans_messages_and_training_examples() -> None:
    from bot.nlu.text_cleaner import TextCleaner

    message = Message({TEXT: "my son is in dan\u200bger"})
    TextCleaner().process([message])
    assert message.get(TEXT) == "my son is in danger"
    example = Message({TEXT: "she is miss\u00ading", "intent": "missing_now"})
    TextCleaner().process_training_data(TrainingData([example]))
    assert example.get(TEXT) == "she is missing" and example.get("intent") == "missing_now"


@pytest.mark.parametrize(
    "emoji",
    [
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family: joined by zero-width joiners
        "\U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag: variation selector, then a joiner
        "\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f",  # Wales: tag characters
        "\U0001f44b\U0001f3fd",  # a wave with a skin tone
    ],
    ids=["family", "rainbow flag", "flag of Wales", "skin tone"],
)
def test_emoji_keep_what_they_need(emoji: str) -> None:
    assert clean_message(f"thank you {emoji}") == f"thank you {emoji}"


def test_a_message_of_only_invisible_characters_is_empty() -> None:
    assert clean_message("\u200b\u200d\u2060\ufeff\u00ad") == ""


def test_stray_tag_characters_and_joiners_between_letters_are_removed() -> None:
    assert clean_message("ki\U000e0067ll") == "kill"
    assert clean_message("d\u200da\u200dnger") == "danger"
