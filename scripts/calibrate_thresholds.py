"""Where to set the fallback and check-question thresholds, measured on the held-out split only.

Trains config.yml's pipeline on 80% of the training examples (bot.evaluation's split), parses the other
20% with the fallback and the check question switched off (thresholds that never fire), and prints, for
candidate thresholds, what parents would meet: the right topic first, the right topic among the offered
choices, how often a safety message the lexicon missed would still get a check question, and how often an
ordinary message would be asked one. Never run on the challenge sets: those measure, they do not tune.

    .venv/bin/python scripts/calibrate_thresholds.py
"""

from __future__ import annotations

import copy
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import PROJECT_ROOT  # noqa: E402
from bot.content.store import ContentStore  # noqa: E402
from bot.conversation import likely_topics, other_likely_topics  # noqa: E402
from bot.evaluation.data import held_out_split, training_examples  # noqa: E402
from bot.evaluation.run import parse_all, train  # noqa: E402
from bot.safety.intents import SAFETY_INTENTS, help_given_for  # noqa: E402
from bot.safety.lexicon_store import LexiconStore  # noqa: E402
from bot.safety.net import apply_safety_net  # noqa: E402


def main() -> None:
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text())
    shipped_fallback = 0.0
    for component in config["pipeline"]:
        if component["name"] == "FallbackClassifier":
            shipped_fallback = float(component["threshold"])
            component.update(threshold=0.0, ambiguity_threshold=0.0)
        if component["name"].endswith("SafetyNet"):
            component["check_threshold"] = 2.0  # never: the model's own ranking is what is measured
    train_set, test_set = held_out_split(training_examples())
    with tempfile.TemporaryDirectory() as tmp:
        model, seconds = train(config, train_set, Path(tmp))
        results, _ = parse_all(model, [text for text, _ in test_set])
    print(f"held-out: {len(test_set)} messages, trained in {seconds:.0f} s")
    rows, parsed = [], []
    for (_, expected), result in zip(test_set, results, strict=True):
        if (result.get("safety_net") or {}).get("source") == "lexicon":
            continue
        ranking = [(r["name"], float(r["confidence"])) for r in result.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
        rows.append((expected, ranking))
        parsed.append((expected, result))
    content = ContentStore(PROJECT_ROOT / "content").get()

    def offers(expected: str, ranking: list[tuple[str, float]]) -> bool:
        """Whether the choices the conversation would show (bot.conversation.likely_topics, and "Talk to
        someone" always) include what the parent meant."""
        entries = [{"name": name, "confidence": value} for name, value in ranking]
        return expected == "talk_to_someone" or any(t.intent == expected for t in likely_topics(content, entries))

    print("\nfallback threshold (ambiguity 0.1): right first / right first or among the choices offered")
    ordinary = [(e, r) for e, r in rows if e not in SAFETY_INTENTS]
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
        first = offered = 0
        for expected, ranking in ordinary:
            top, second = ranking[0], ranking[1] if len(ranking) > 1 else ("", 0.0)
            unsure = top[1] < threshold or top[1] - second[1] < 0.1
            if not unsure and top[0] == expected:
                first += 1
            if (not unsure and top[0] == expected) or (unsure and offers(expected, ranking)):
                offered += 1
        print(f"  {threshold:.1f}: {first / len(ordinary):.1%} / {offered / len(ordinary):.1%} of {len(ordinary)}")
    print(f"\nafter a confident topic (fallback {shipped_fallback} as config.yml), the other topics offered "
          "(bot.conversation.other_likely_topics):")
    confident_wrong = covered = confident_right = shown = 0
    for expected, ranking in ordinary:
        top, second = ranking[0], ranking[1] if len(ranking) > 1 else ("", 0.0)
        topic = content.topic_for_intent(top[0])
        if top[1] < shipped_fallback or top[1] - second[1] < 0.1 or topic is None:
            continue
        entries = [{"name": name, "confidence": value} for name, value in ranking]
        others = {t.intent for t in other_likely_topics(content, topic, entries)}
        if top[0] == expected:
            confident_right += 1
            shown += bool(others)
        else:
            confident_wrong += 1
            covered += expected in others
    print(f"  confident mistakes with what was meant among them: {covered}/{confident_wrong}; "
          f"right answers followed by alternatives: {shown}/{confident_right}")
    store = LexiconStore(PROJECT_ROOT / "content" / "safety" / "lexicon.yml")
    danger = [(e, r) for e, r in parsed if e in SAFETY_INTENTS]
    calm = [(e, r) for e, r in parsed if e not in SAFETY_INTENTS]

    def checked(result: dict, threshold: float) -> str | None:
        """The danger the safety net's own rule would ask about at this threshold, or None."""
        again = apply_safety_net(copy.deepcopy(result), store, threshold)
        return help_given_for((again.get("intent") or {}).get("name"))

    print("\ncheck threshold: safety messages the lexicon missed that get help first / ordinary messages asked a check")
    for threshold in (0.1, 0.15, 0.2, 0.25, 0.3, 0.4):
        helped = sum(checked(r, threshold) == e for e, r in danger)
        asked = sum(checked(r, threshold) is not None for _, r in calm)
        print(f"  {threshold:.2f}: {helped}/{len(danger)} / {asked}/{len(calm)}")


if __name__ == "__main__":
    main()
