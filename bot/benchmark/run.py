"""The order of a benchmark run: train the stock assistant, start both, drive each level, report."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bot.benchmark import report as reporting
from bot.benchmark.content_live import seconds_until_live
from bot.benchmark.conversations import OUR_MIX, SMOKE_MIX, Script, mix_for, stock_equivalent
from bot.benchmark.driver import drive
from bot.benchmark.memory import MemorySampler, peak_total, peaks
from bot.benchmark.stacks import OUR_RASA_PORT, STOCK_RASA_PORT, our_stack, stock_server, train_stock_assistant
from bot.benchmark.stats import summarise

OURS_URL = f"http://localhost:{OUR_RASA_PORT}"
STOCK_URL = f"http://localhost:{STOCK_RASA_PORT}"
OUR_PROCESSES = ["Rasa server", "action server", "web service"]
STOCK_PROCESSES = ["stock Rasa server"]


@dataclass(frozen=True)
class Options:
    levels: tuple[int, ...] = (1, 20, 200)
    conversations_per_level: int | None = None  # None: twice the level, at least 10
    skip_stock: bool = False
    out: Path = Path("results/bench-load.json")
    smoke: bool = False
    timeout: float = 30.0

    @classmethod
    def smoke_test(cls, out: Path) -> Options:
        return cls(levels=(1, 2), conversations_per_level=2, skip_stock=True, out=out, smoke=True)

    def conversations(self, level: int) -> int:
        return self.conversations_per_level or max(2 * level, 10)

    def command_line(self) -> str:
        if self.smoke:
            return "python -m bot bench load --smoke"
        words = ["python -m bot bench load --levels", ",".join(str(level) for level in self.levels)]
        if self.conversations_per_level:
            words.append(f"--conversations-per-level {self.conversations_per_level}")
        if self.skip_stock:
            words.append("--skip-stock")
        return " ".join(words)


def _log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def _measure_level(
    url: str, scripts: list[Script], level: int, prefix: str, timeout: float, sampler: MemorySampler, names: list[str]
) -> dict:
    began = time.monotonic()
    run = asyncio.run(drive(url, scripts, level, prefix, timeout))
    sampler.sample_now()
    figures = summarise(run)
    figures["peak_memory_mb"] = round(peak_total(sampler.snapshot(), names, began) / reporting.MB)
    return figures


def run_benchmark(options: Options) -> dict:
    """Runs everything, writes the JSON report to `options.out` and returns the report."""
    started = time.monotonic()
    load_at_start = reporting.load_average()
    run_id = uuid.uuid4().hex[:8]
    base_mix = SMOKE_MIX if options.smoke else OUR_MIX
    timings: dict = {"stock_training_seconds": None, "stock_startup_seconds": None}
    levels = []
    sampler = MemorySampler().start()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as temporary, ExitStack() as running:
        running.callback(sampler.stop)
        workdir = Path(temporary)
        if not options.skip_stock:
            stock_folder = workdir / "stock" / "assistant"
            stock_folder.mkdir(parents=True)
            _log("rasa init: creating and training the stock assistant (a minute or more)...")
            timings["stock_training_seconds"] = round(train_stock_assistant(stock_folder), 1)
        _log("starting our stack (Rasa server, action server, web service)...")
        began = time.monotonic()
        (workdir / "ours").mkdir()
        services = running.enter_context(our_stack(workdir / "ours"))
        timings["our_startup_seconds"] = round(time.monotonic() - began, 1)
        for service in services:
            sampler.watch(service.name, service.process.pid)
        if not options.skip_stock:
            _log("starting the stock Rasa server...")
            began = time.monotonic()
            stock = running.enter_context(stock_server(stock_folder))
            timings["stock_startup_seconds"] = round(time.monotonic() - began, 1)
            sampler.watch(stock.name, stock.process.pid)
        # One conversation each first, so that lazy loading inside Rasa is not counted in the first level.
        asyncio.run(drive(OURS_URL, [base_mix[0]], 1, f"bench-{run_id}-warmup", options.timeout))
        if not options.skip_stock:
            asyncio.run(drive(STOCK_URL, [stock_equivalent(base_mix[0])], 1, f"bench-{run_id}-warmup", options.timeout))
        for level in options.levels:
            scripts = mix_for(options.conversations(level), base_mix)
            _log(f"{level} concurrent: our assistant, {len(scripts)} conversations...")
            ours = _measure_level(
                OURS_URL, scripts, level, f"bench-{run_id}-ours-c{level}", options.timeout, sampler, OUR_PROCESSES
            )
            stock_figures = None
            if not options.skip_stock:
                _log(f"{level} concurrent: stock assistant...")
                stock_figures = _measure_level(
                    STOCK_URL,
                    [stock_equivalent(script) for script in scripts],
                    level,
                    f"bench-{run_id}-stock-c{level}",
                    options.timeout,
                    sampler,
                    STOCK_PROCESSES,
                )
            levels.append(reporting.level_entry(level, ours, stock_figures))
        live = asyncio.run(
            seconds_until_live(
                OURS_URL, workdir / "ours" / "content", f"bench-{run_id}-editor", reporting.CONTENT_LIVE_LIMIT_SECONDS
            )
        )
        timings["content_live_seconds"] = None if live is None else round(live, 2)
    samples = sampler.snapshot()
    timings["total_seconds"] = round(time.monotonic() - started, 1)
    highest = peaks(samples)
    memory = {
        "ours": reporting.memory_entry(
            {n: highest.get(n, 0) for n in OUR_PROCESSES}, peak_total(samples, OUR_PROCESSES)
        )
    }
    if not options.skip_stock:
        memory["stock"] = reporting.memory_entry(
            {n: highest.get(n, 0) for n in STOCK_PROCESSES}, peak_total(samples, STOCK_PROCESSES)
        )
    report = {
        "command": options.command_line(),
        "date": reporting.now(),
        "machine": reporting.machine(),
        "load_average": {"start": load_at_start, "end": reporting.load_average()},
        "options": {
            "levels": list(options.levels),
            "conversations_per_level": {str(level): options.conversations(level) for level in options.levels},
            "stock": not options.skip_stock,
            "timeout_seconds": options.timeout,
            "mix": [script.name for script in base_mix],
        },
        "timings": timings,
        "levels": levels,
        "memory": memory,
    }
    report["targets"] = reporting.targets(report)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(report, indent=2) + "\n")
    return report
