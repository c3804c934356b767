"""Train each pipeline, then measure it on held-out training examples and on the development set.

`python -m bot evaluate` runs this. Training uses Rasa's own NLU training; parsing uses a loaded
Rasa agent, so what is measured is what the running assistant would do with each message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.config import PROJECT_ROOT
from bot.evaluation.data import (
    SAFETY_INTENTS,
    Example,
    behaviour_examples,
    first_per_intent,
    held_out_split,
    training_examples,
    write_nlu,
)
from bot.evaluation.pipelines import PIPELINES, config_for
from bot.safety.intents import help_given_for


@dataclass
class Scores:
    accuracy: float
    macro_f1: float
    per_intent: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class BehaviourScores:
    accuracy: float
    safety_recall: float
    false_alarm_rate: float
    per_behaviour: dict[str, float]
    misses: list[tuple[str, str, str]]  # (behaviour, message, predicted intent)
    false_alarms: list[tuple[str, str, str]]


@dataclass
class Confidence:
    """The classifier's top-1 confidence on held-out messages, right and wrong (what thresholds are set from).

    Top-1 is the first intent of the ranking other than the fallback; messages the safety lexicon
    answered (confidence 1.0 by rule) are left out and counted in `lexicon`.
    """

    right: list[float]
    wrong: list[float]
    fallback: int  # messages the FallbackClassifier answered
    lexicon: int
    fallback_on_right: int = 0  # of those, messages whose top-1 intent was the right one

    def quantiles(self, values: list[float]) -> dict[str, float]:
        if not values:
            return {}
        ordered = sorted(values)
        return {f"p{q}": round(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))], 3) for q in (10, 25, 50, 75, 90)}

    def share_at_least(self, threshold: float) -> tuple[float, float]:
        """(share of right, share of wrong) whose top-1 confidence is at least `threshold`."""
        right = sum(c >= threshold for c in self.right) / len(self.right) if self.right else 0.0
        wrong = sum(c >= threshold for c in self.wrong) / len(self.wrong) if self.wrong else 0.0
        return right, wrong


@dataclass
class PipelineResult:
    name: str
    description: str
    train_seconds: float
    parse_ms: float
    held_out: Scores
    behaviours: BehaviourScores | None
    parse_p95_ms: float = 0.0
    confidence: Confidence | None = None


def scores(expected: list[str], predicted: list[str]) -> Scores:
    from sklearn.metrics import precision_recall_fscore_support  # here: importing it took most of a second

    labels = sorted(set(expected))
    precision, recall, f1, support = precision_recall_fscore_support(
        expected, predicted, labels=labels, zero_division=0
    )
    per_intent = {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    }
    accuracy = sum(e == p for e, p in zip(expected, predicted, strict=True)) / len(expected)
    return Scores(accuracy, float(statistics.mean(f1)), per_intent)


def behaviour_scores(rows: list[tuple[str, str, str]], predicted: list[str]) -> BehaviourScores:
    by_behaviour: dict[str, list[bool]] = defaultdict(list)
    misses, alarms = [], []
    safety_hits, safety_total, others = 0, 0, 0
    for (text, behaviour, intent), guess in zip(rows, predicted, strict=True):
        # A check question for the right danger leads with that danger's help: it counts as right.
        right = guess == intent or (intent in SAFETY_INTENTS and help_given_for(guess) == intent)
        by_behaviour[behaviour].append(right)
        if not right:
            misses.append((behaviour, text, guess))
        if intent in SAFETY_INTENTS:
            safety_total += 1
            safety_hits += right
        else:
            others += 1
            if guess in SAFETY_INTENTS:
                alarms.append((behaviour, text, guess))
    return BehaviourScores(
        accuracy=sum(len(v) - v.count(False) for v in by_behaviour.values()) / len(rows),
        safety_recall=safety_hits / safety_total if safety_total else 1.0,
        false_alarm_rate=len(alarms) / others if others else 0.0,
        per_behaviour={name: sum(v) / len(v) for name, v in by_behaviour.items()},
        misses=misses,
        false_alarms=alarms,
    )


@contextmanager
def _training_cache_off() -> Iterator[None]:
    """Rasa's cache size setting at 0 (Rasa reads it each time a training starts), put back afterwards."""
    from rasa.engine.caching import CACHE_SIZE_ENV

    saved = os.environ.get(CACHE_SIZE_ENV)
    os.environ[CACHE_SIZE_ENV] = "0"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(CACHE_SIZE_ENV, None)
        else:
            os.environ[CACHE_SIZE_ENV] = saved


def train(config: dict[str, Any], examples: list[Example], workdir: Path) -> tuple[str, float]:
    """Train an NLU model on `examples` with `config`; returns (model path, seconds).

    Rasa's training cache is off for the call: with it, a pipeline trained before (in an earlier run)
    comes back in seconds and its training time means nothing.
    """
    from rasa.model_training import train_nlu

    config_path = workdir / "config.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    nlu_path = write_nlu(examples, workdir / "nlu.yml")
    started = time.monotonic()
    with _training_cache_off():
        model = train_nlu(str(config_path), str(nlu_path), str(workdir / "models"), fixed_model_name="nlu")
    if model is None:
        raise RuntimeError(f"training failed for {config_path}")
    return model, time.monotonic() - started


def parse_all(model_path: str, texts: list[str]) -> tuple[list[dict[str, Any]], list[float]]:
    """(Rasa's parse result, milliseconds) for each message, from a loaded Rasa agent."""
    import structlog
    from rasa.core.agent import Agent

    # Rasa's debug events print each parsed message; a measurement run needs none of them.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))

    agent = Agent.load(model_path)

    async def run() -> tuple[list[dict[str, Any]], list[float]]:
        results, times = [], []
        for text in texts:
            started = time.perf_counter()
            results.append(await agent.parse_message(text))
            times.append((time.perf_counter() - started) * 1000)
        return results, times

    return asyncio.run(run())


def intent_of(result: dict[str, Any]) -> str:
    return (result.get("intent") or {}).get("name") or ""


def parse(model_path: str, texts: list[str]) -> tuple[list[str], float]:
    """(predicted intents, mean milliseconds per message) from a loaded Rasa agent."""
    results, times = parse_all(model_path, texts)
    return [intent_of(r) for r in results], statistics.mean(times)


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] if len(times) > 1 else (times[0] if times else 0.0)


def confidence(expected: list[str], results: list[dict[str, Any]]) -> Confidence:
    found = Confidence([], [], 0, 0)
    for intent, result in zip(expected, results, strict=True):
        if (result.get("safety_net") or {}).get("source") == "lexicon":
            found.lexicon += 1
            continue
        ranking = [r for r in result.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
        right = bool(ranking) and ranking[0].get("name") == intent
        if intent_of(result) == "nlu_fallback":
            found.fallback += 1
            found.fallback_on_right += right
        if ranking:
            (found.right if right else found.wrong).append(float(ranking[0].get("confidence") or 0.0))
    return found


def evaluate_pipeline(name: str, examples: list[Example], behaviours: list[tuple[str, str, str]] | None) -> PipelineResult:
    config = config_for(name)
    train_set, test_set = held_out_split(examples)
    with tempfile.TemporaryDirectory(prefix=f"eval-{name}-") as tmp:
        split_dir, full_dir = Path(tmp, "split"), Path(tmp, "full")
        split_dir.mkdir()
        full_dir.mkdir()
        split_model, _ = train(config, train_set, split_dir)
        results, _ = parse_all(split_model, [text for text, _ in test_set])
        expected = [intent for _, intent in test_set]
        held_out = scores(expected, [intent_of(r) for r in results])
        full_model, seconds = train(config, examples, full_dir)
        behaviour_result = None
        if behaviours:
            found, times = parse_all(full_model, [text for text, _, _ in behaviours])
            behaviour_result = behaviour_scores(behaviours, [intent_of(r) for r in found])
        else:
            _, times = parse_all(full_model, [text for text, _ in test_set])
    return PipelineResult(
        name,
        PIPELINES[name][0],
        round(seconds, 1),
        round(statistics.mean(times), 1),
        held_out,
        behaviour_result,
        parse_p95_ms=round(p95(times), 1),
        confidence=confidence(expected, results),
    )


def quiet_rasa() -> None:
    """Warnings only from Rasa: its debug lines would print every message evaluated."""
    from rasa.utils.log_utils import configure_structlog

    for name in ("rasa", "tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)


# A smoke run only proves the command works end to end (tests/test_evaluation.py): three examples an intent
# keep it to seconds; six took half a minute of the fast test loop.
SMOKE_PER_INTENT = 3


def evaluate(names: list[str], *, smoke: bool = False) -> list[PipelineResult]:
    os.chdir(PROJECT_ROOT)  # the safety net finds its lexicon relative to the project
    quiet_rasa()
    examples = training_examples()
    if smoke:
        examples = first_per_intent(examples, SMOKE_PER_INTENT)
    try:
        behaviours = behaviour_examples()
    except FileNotFoundError:
        behaviours = None
    if smoke and behaviours:
        behaviours = behaviours[::6]
    return [evaluate_pipeline(name, examples, behaviours) for name in names]


def report(results: list[PipelineResult]) -> str:
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"{'pipeline':<15} {'train s':>8} {'parse ms':>8} {'p95 ms':>7} {'held-out acc':>12} {'macro F1':>8} "
        f"{'behaviour acc':>13} {'safety recall':>13} {'false alarms':>12}",
    ]
    for r in results:
        b = r.behaviours
        behaviour = f"{b.accuracy:13.1%} {b.safety_recall:13.1%} {b.false_alarm_rate:12.1%}" if b else f"{'n/a':>13} {'n/a':>13} {'n/a':>12}"
        lines.append(
            f"{r.name:<15} {r.train_seconds:8.1f} {r.parse_ms:8.1f} {r.parse_p95_ms:7.1f} {r.held_out.accuracy:12.1%} "
            f"{r.held_out.macro_f1:8.3f} {behaviour}"
        )
    lines.append("")
    lines.append("Held-out top-1 confidence (classifier's first intent other than the fallback; lexicon answers left out):")
    for r in results:
        c = r.confidence
        if c is None:
            continue
        shares = "  ".join(
            f">={t:.1f}: {right:.0%} of right, {wrong:.0%} of wrong" for t in (0.3, 0.5, 0.7) for right, wrong in [c.share_at_least(t)]
        )
        lines.append(
            f"  {r.name}: right n={len(c.right)} {c.quantiles(c.right)} | wrong n={len(c.wrong)} {c.quantiles(c.wrong)} | "
            f"fallback {c.fallback} ({c.fallback_on_right} of them right at top-1), lexicon {c.lexicon} | {shares}"
        )
    lines.append("")
    names = [r.name for r in results]
    lines.append("Held-out F1 per intent: " + " | ".join(names))
    intents = sorted({i for r in results for i in r.held_out.per_intent})
    for intent in intents:
        cells = " | ".join(f"{r.held_out.per_intent.get(intent, {}).get('f1', 0):.2f}" for r in results)
        support = results[0].held_out.per_intent.get(intent, {}).get("support", 0)
        lines.append(f"  {intent:<22} (n={support:>2}) {cells}")
    for r in results:
        if r.behaviours and r.behaviours.misses:
            lines.append(f"\n{r.name}: development-set messages answered with the wrong behaviour:")
            lines += [f"  {behaviour}: {text!r} -> {guess}" for behaviour, text, guess in r.behaviours.misses]
    return "\n".join(lines)


def save(results: list[PipelineResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(r) for r in results], indent=2), encoding="utf-8")
