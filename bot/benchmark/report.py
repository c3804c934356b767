"""The benchmark's report: the machine, per-level figures for both assistants, their ratio and the targets."""

from __future__ import annotations

import os
import platform
from datetime import datetime
from importlib import metadata
from pathlib import Path

import psutil

from bot.benchmark.stats import ratio

MB = 1_000_000
MEMORY_TARGET_MB = 1500  # "all processes together under 1.5 GB"
P95_RATIO_TARGET = 1.2  # "p95 at 20 concurrent no more than 1.2 times the stock assistant's"
CONTENT_LIVE_TARGET_SECONDS = 2.0
CONTENT_LIVE_LIMIT_SECONDS = 10.0  # how long the benchmark waits for an edit to show


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> dict:
    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
        "python": platform.python_version(),
        "rasa": metadata.version("rasa"),
    }


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def level_entry(concurrency: int, ours: dict, stock: dict | None) -> dict:
    entry = {"concurrency": concurrency, "ours": ours, "stock": stock, "ratio": None}
    if stock is not None:
        entry["ratio"] = {
            "p50": ratio(ours["p50_ms"], stock["p50_ms"]),
            "p95": ratio(ours["p95_ms"], stock["p95_ms"]),
            "p99": ratio(ours["p99_ms"], stock["p99_ms"]),
            "throughput": ratio(ours["throughput_per_second"], stock["throughput_per_second"]),
        }
    return entry


def memory_entry(peaks_bytes: dict[str, int], peak_total_bytes: int) -> dict:
    return {
        "peak_mb": {name: round(size / MB) for name, size in peaks_bytes.items()},
        "peak_total_mb": round(peak_total_bytes / MB),
        "sum_of_peaks_mb": round(sum(peaks_bytes.values()) / MB),
    }


def _level(report: dict, concurrency: int) -> dict | None:
    return next((entry for entry in report["levels"] if entry["concurrency"] == concurrency), None)


def targets(report: dict) -> list[dict]:
    """The issue's targets that this command measures; `met` is None where this run did not measure it."""
    found = []
    at_200 = _level(report, 200)
    found.append(
        {
            "target": "no errors at 200 concurrent conversations",
            "value": at_200["ours"]["errors"] if at_200 else None,
            "unit": "errors",
            "met": at_200["ours"]["errors"] == 0 if at_200 else None,
        }
    )
    at_20 = _level(report, 20)
    p95 = at_20["ratio"]["p95"] if at_20 and at_20["ratio"] else None
    found.append(
        {
            "target": f"p95 at 20 concurrent no more than {P95_RATIO_TARGET} x the stock assistant's",
            "value": p95,
            "unit": "x stock",
            "met": p95 <= P95_RATIO_TARGET if p95 is not None else None,
        }
    )
    together = report["memory"]["ours"]["peak_total_mb"]
    found.append(
        {
            "target": f"all processes together under {MEMORY_TARGET_MB / 1000} GB",
            "value": together,
            "unit": "MB",
            "met": together < MEMORY_TARGET_MB,
        }
    )
    live = report["timings"].get("content_live_seconds")
    found.append(
        {
            "target": f"an edited content file live in under {CONTENT_LIVE_TARGET_SECONDS:.0f} s",
            "value": live if live is not None else f"not live within {CONTENT_LIVE_LIMIT_SECONDS:.0f}",
            "unit": "s",
            "met": live is not None and live < CONTENT_LIVE_TARGET_SECONDS,
        }
    )
    return found


def _number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _row(concurrency: int, who: str, figures: dict, peak_mb: int | None) -> str:
    return (
        f"{concurrency:>5}  {who:<11}{figures['conversations']:>6}{figures['turns']:>7}"
        f"{_number(figures['p50_ms']):>9}{_number(figures['p95_ms']):>9}{_number(figures['p99_ms']):>9}"
        f"{_number(figures['max_ms']):>9}{_number(figures['throughput_per_second'], 1):>11}"
        f"{figures['errors']:>8}{_number(peak_mb):>9}"
    )


def render(report: dict) -> str:
    """The report as a table a person can read in a terminal."""
    info = report["machine"]
    load = report["load_average"]
    lines = [
        f"Speed and load benchmark ({report['command']}), {report['date']}",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB RAM, {info['platform']}, "
        f"Python {info['python']}, Rasa {info['rasa']}",
        f"Load average (1, 5, 15 min) at start {load['start']}, at end {load['end']}",
        "Latency in ms per reply through the REST channel; replies/s over the level's wall time; "
        "peak MB is the RSS of the assistant's processes together.",
        "",
        f"{'conc':>5}  {'assistant':<11}{'convs':>6}{'turns':>7}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}"
        f"{'replies/s':>11}{'errors':>8}{'peak MB':>9}",
    ]
    for entry in report["levels"]:
        concurrency = entry["concurrency"]
        lines.append(_row(concurrency, "ours", entry["ours"], entry["ours"].get("peak_memory_mb")))
        if entry["stock"] is not None:
            lines.append(_row(concurrency, "stock", entry["stock"], entry["stock"].get("peak_memory_mb")))
            r = entry["ratio"]
            lines.append(
                f"{concurrency:>5}  {'ours/stock':<11}{'':>13}{_number(r['p50'], 2):>9}{_number(r['p95'], 2):>9}"
                f"{_number(r['p99'], 2):>9}{'':>9}{_number(r['throughput'], 2):>11}"
            )
    errors = [
        f"{entry['concurrency']} {who}: "
        + ", ".join(f"{kind} {count}" for kind, count in entry[who]["errors_by_kind"].items())
        + f" (in {entry[who].get('failed_conversations', '?')} of {entry[who]['conversations']} conversations)"
        for entry in report["levels"]
        for who in ("ours", "stock")
        if entry[who] is not None and entry[who]["errors"]
    ]
    lines += ["", "Errors: " + ("; ".join(errors) if errors else "none")]
    ours = report["memory"]["ours"]
    lines.append(
        "Peak memory (MB, RSS of each process tree): "
        + ", ".join(f"{name} {size}" for name, size in ours["peak_mb"].items())
        + f"; together at once {ours['peak_total_mb']} (sum of peaks {ours['sum_of_peaks_mb']})"
        + (f"; stock Rasa server {report['memory']['stock']['peak_total_mb']}" if report["memory"].get("stock") else "")
    )
    timings = report["timings"]
    parts = [f"our stack started in {_number(timings['our_startup_seconds'], 1)} s"]
    if timings.get("stock_training_seconds") is not None:
        parts.append(f"stock `rasa init` (creates and trains moodbot) took {timings['stock_training_seconds']:.1f} s")
        parts.append(f"stock server started in {_number(timings['stock_startup_seconds'], 1)} s")
    parts.append(f"an edited content file was live after {_number(timings['content_live_seconds'], 2)} s")
    parts.append(f"whole run {timings['total_seconds']:.0f} s")
    lines.append("Timings: " + "; ".join(parts) + ".")
    lines += ["", "Targets:"]
    for target in report["targets"]:
        verdict = {True: "met", False: "MISSED", None: "not run"}[target["met"]]
        value = "not measured in this run" if target["value"] is None else f"{target['value']} {target['unit']}"
        lines.append(f"  {verdict:<9}{target['target']}: {value}")
    return "\n".join(lines)


def now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")
