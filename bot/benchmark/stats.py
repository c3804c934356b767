"""Percentiles and per-level summaries of what the driver measured."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field


def percentile(values: list[float], share: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), `share` from 0 to 1."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass
class LevelRun:
    """Raw figures of one level: every successful reply's latency, every error's kind, the wall time."""

    concurrency: int
    conversations: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    wall_seconds: float = 0.0
    failed_conversations: int = 0  # conversations with at least one error (one slow reply can derail a form)
    error_examples: list[dict] = field(default_factory=list)  # the first few: sender, scripted message, error

    @property
    def turns(self) -> int:
        return len(self.latencies_ms) + sum(self.errors.values())


def summarise(run: LevelRun) -> dict:
    """Latency percentiles over successful replies; throughput is successful replies per wall-clock second."""
    latencies = run.latencies_ms
    summary: dict = {
        "concurrency": run.concurrency,
        "conversations": run.conversations,
        "turns": run.turns,
        "replies": len(latencies),
        "errors": sum(run.errors.values()),
        "errors_by_kind": dict(sorted(run.errors.items())),
        "failed_conversations": run.failed_conversations,
        "error_examples": run.error_examples,
        "wall_seconds": round(run.wall_seconds, 2),
        "throughput_per_second": round(len(latencies) / run.wall_seconds, 2) if run.wall_seconds > 0 else None,
    }
    for name, share in (("p50_ms", 0.50), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        summary[name] = round(percentile(latencies, share), 1) if latencies else None
    summary["max_ms"] = round(max(latencies), 1) if latencies else None
    return summary


def ratio(ours: float | None, stock: float | None) -> float | None:
    """ours / stock, or None where either is missing (or stock is zero)."""
    if ours is None or not stock:
        return None
    return round(ours / stock, 2)
