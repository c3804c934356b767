"""The four kinds of danger, named once: the safety intents, and the check questions that stand for them.

A safety intent gives the full reply for that danger. Where only the model (not the lexicon) sees
danger, the safety net asks first instead: `check_<intent>`, a short reply whose first line already
carries the help for that danger and which asks whether that is what is happening.
"""

from __future__ import annotations

from collections.abc import Mapping

SAFETY_INTENTS: tuple[str, ...] = ("danger_now", "missing_now", "parent_crisis", "confront_perpetrator")
CHECK_PREFIX = "check_"
CHECK_INTENTS: tuple[str, ...] = tuple(CHECK_PREFIX + intent for intent in SAFETY_INTENTS)


def check_intent(safety_intent: str) -> str:
    return CHECK_PREFIX + safety_intent


def help_given_for(intent: str | None) -> str | None:
    """The danger whose help a reply to `intent` leads with: the safety intent itself, or the one a check asks about."""
    if intent in SAFETY_INTENTS:
        return intent
    if intent in CHECK_INTENTS:
        return intent[len(CHECK_PREFIX) :]
    return None


def confidence(entry: Mapping[str, object]) -> float:
    """The confidence of one entry of Rasa's intent ranking; 0 where it is missing or not a number."""
    value = entry.get("confidence")
    return float(value) if isinstance(value, (int, float)) else 0.0
