"""What the simulated parents say: realistic mixes for our assistant, and moodbot mixes of the same length.

Each turn may name words the reply must contain (`expect`); the driver counts a reply without them as an
error. Only the self-referral uses this, because it only means anything if the whole form is filled in.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass


@dataclass(frozen=True)
class Turn:
    message: str
    expect: str = ""  # words the reply must contain ("" = any non-empty reply)


@dataclass(frozen=True)
class Script:
    name: str
    turns: tuple[Turn, ...]


def _script(name: str, *messages: str | tuple[str, str]) -> Script:
    return Script(name, tuple(Turn(*m) if isinstance(m, tuple) else Turn(m) for m in messages))


TOPIC_WALK = _script(
    "topic walk",
    "hi",
    "my daughter has an older boyfriend who buys her things and picks her up from school, is she being groomed",
    "/topic_next",
    "/topic_more",
    "/topic_next",
    "/topic_next",
    "what are the signs my son is being exploited, he has a new phone and cash",
    "/topic_next",
    "thank you",
)

GROUNDING = _script(
    "grounding",
    "i can't stop shaking, i need to calm down",
    '/open_topic{"topic":"grounding_breathing"}',
    "/topic_next",
    "/topic_next",
    "/topic_next",
    "/topic_next",
    "thanks, that helped",
)

# A whole self-referral, answer by answer, each with words the next question must contain. The
# stack and browser tests drive the same referral (they import this).
REFERRAL_ANSWERS: tuple[tuple[str, str], ...] = (
    ("/affirm", "call you"),
    ("Sam", "get in touch"),
    ("Phone call", "number"),
    ("07700 900123", "leave a message"),
    ("Yes", "say who they are"),
    ("No", "best time"),
    ("Evenings", "England or Wales"),
    ("England", "council area"),
    ("Leeds", "relationship"),
    ("Mum", "How old"),
    ("14", "worried"),
    ("Criminal exploitation", "missing right now"),
    ("No", "involved"),
    ("Police", "crime reference"),
    ("prefer not to say", "help with"),
    ("Some advice on what to do next, please", "copy of this chat"),
    ("No", "Here is what I will send"),
)

SELF_REFERRAL = _script(
    "self-referral",
    ("could someone from your team phone me please", "not an emergency service"),
    *REFERRAL_ANSWERS,
    ("/affirm", "reference"),
)

HELP_AND_SMALL_TALK = _script(
    "help now and small talk",
    "hello",
    "are you a real person",
    "/help_now",
    "/menu",
    "ok thanks, bye",
)

# One conversation in five is a self-referral, two are topic walks: parents mostly read guidance.
OUR_MIX = (TOPIC_WALK, GROUNDING, TOPIC_WALK, SELF_REFERRAL, HELP_AND_SMALL_TALK)
SMOKE_MIX = (HELP_AND_SMALL_TALK, _script("short topic", "is my son being groomed", "/topic_next", "/topic_more"))

# Moodbot (`rasa init`) understands greetings, moods, yes/no, goodbyes and "are you a bot". These are its own
# training examples, in an order that always gets a reply ("no" late in a conversation can get none).
MOODBOT_TURNS = (
    "hello",
    "I am sad",
    "yes",
    "are you a bot?",
    "hi",
    "I am great",
    "good morning",
    "very sad",
    "yes",
    "am I talking to a human?",
    "bye",
)


def stock_equivalent(script: Script) -> Script:
    """A moodbot conversation with as many turns as `script`, so both assistants get the same work shape."""
    cycle = itertools.islice(itertools.cycle(MOODBOT_TURNS), len(script.turns))
    return Script(f"moodbot ({script.name})", tuple(Turn(message) for message in cycle))


def mix_for(count: int, mix: tuple[Script, ...]) -> list[Script]:
    """`count` conversations taken in turn from `mix`."""
    return [mix[index % len(mix)] for index in range(count)]
