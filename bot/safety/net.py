"""The safety net on one parse result: the lexicon's danger over whatever the classifier said, a check
question where the model suspects a danger the lexicon did not see, nothing where it is denied.

Plain Python on the parse result's dict, so that it is tested (and calibrated, scripts/) without loading
Rasa's NLU components; bot.safety.rasa_component runs it last in the pipeline.
"""

from __future__ import annotations

from typing import Any

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT

from bot.safety.detector import detect, negated_types
from bot.safety.intents import SAFETY_INTENTS, check_intent, confidence
from bot.safety.lexicon_store import LexiconStore

SAFETY_KEY = "safety_net"
DEFAULT_CHECK_THRESHOLD = 0.25


def apply_safety_net(
    data: dict[str, Any], store: LexiconStore, check_threshold: float = DEFAULT_CHECK_THRESHOLD
) -> dict[str, Any]:
    """Adjust one parse result (intent, intent_ranking) in place; returns it."""
    text = str(data.get(TEXT) or "")
    if not text or text.startswith("/"):
        return data  # button payloads name their intent exactly
    lexicon = store.get()
    detections = detect(text, lexicon)
    ranking = [r for r in data.get(INTENT_RANKING_KEY) or [] if isinstance(r, dict)]
    if detections:
        top = detections[0].intent
        data[INTENT] = {"name": top, "confidence": 1.0}
        data[INTENT_RANKING_KEY] = [data[INTENT]] + [r for r in ranking if r.get("name") != top]
        data[SAFETY_KEY] = {"types": [d.type for d in detections], "source": "lexicon"}
        return data
    predicted = (data.get(INTENT) or {}).get("name")
    if predicted not in SAFETY_INTENTS and not any(r.get("name") in SAFETY_INTENTS for r in ranking):
        return data  # the model saw no danger: nothing to drop or to check
    negated = negated_types(text, lexicon)
    if predicted in SAFETY_INTENTS and predicted in negated:
        others = [r for r in ranking if r.get("name") not in SAFETY_INTENTS]
        data[INTENT] = others[0] if others else {"name": "nlu_fallback", "confidence": 1.0}
        data[INTENT_RANKING_KEY] = others
        data[SAFETY_KEY] = {"types": [], "source": "negated", "dropped": predicted}
        return data
    suspected = [r for r in ranking if r.get("name") in SAFETY_INTENTS and r.get("name") not in negated]
    if suspected:
        likeliest = max(suspected, key=confidence)
        if predicted in SAFETY_INTENTS or confidence(likeliest) >= check_threshold:
            kind = str(likeliest["name"])
            data[INTENT] = {"name": check_intent(kind), "confidence": confidence(likeliest)}
            data[INTENT_RANKING_KEY] = [data[INTENT]] + ranking
            data[SAFETY_KEY] = {"types": [], "source": "model", "check": kind}
    return data
