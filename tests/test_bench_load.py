"""The load benchmark: its maths, its driver against a fake Rasa, and a smoke run against the real stack."""

from __future__ import annotations

import asyncio
import json
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy
import pytest
from aiohttp import web

from bot.benchmark.conversations import OUR_MIX, SELF_REFERRAL, Script, Turn, mix_for, stock_equivalent
from bot.benchmark.driver import drive, judge
from bot.benchmark.memory import peak_total, peaks
from bot.benchmark.report import level_entry, memory_entry, render, targets
from bot.benchmark.run import Options
from bot.benchmark.stats import LevelRun, percentile, ratio, summarise
from bot.config import PROJECT_ROOT
from bot.training import MODEL_PATH

SENDER_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


# ---- maths ----


def test_percentiles_interpolate_like_numpy() -> None:
    values = [random.uniform(5, 5000) for _ in range(997)]
    for share in (0.0, 0.5, 0.95, 0.99, 1.0):
        assert percentile(values, share) == pytest.approx(numpy.percentile(values, share * 100))
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([42.0], 0.99) == 42.0
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_summary_counts_only_good_replies_in_latency_and_throughput() -> None:
    run = LevelRun(concurrency=20, conversations=4, latencies_ms=[float(n) for n in range(1, 101)])
    run.errors.update({"timeout": 3, "empty reply": 1})
    run.wall_seconds = 10.0
    summary = summarise(run)
    assert summary["turns"] == 104 and summary["replies"] == 100 and summary["errors"] == 4
    assert summary["errors_by_kind"] == {"empty reply": 1, "timeout": 3}
    assert summary["throughput_per_second"] == 10.0
    assert summary["p50_ms"] == 50.5 and summary["p95_ms"] == 95.0 and summary["p99_ms"] == 99.0
    assert summary["max_ms"] == 100.0


def test_a_level_where_nothing_answered_has_no_latency_figures() -> None:
    run = LevelRun(concurrency=1, conversations=1, errors=Counter({"timeout": 2}), wall_seconds=60.0)
    summary = summarise(run)
    assert summary["p95_ms"] is None and summary["throughput_per_second"] == 0.0 and summary["errors"] == 2


def test_ratio_is_ours_over_stock_and_missing_when_either_is() -> None:
    assert ratio(150.0, 100.0) == 1.5
    assert ratio(None, 100.0) is None and ratio(150.0, None) is None and ratio(150.0, 0.0) is None


def test_peak_memory_per_process_and_at_one_moment() -> None:
    samples = [(1.0, {"a": 100, "b": 10}), (2.0, {"a": 50, "b": 80}), (3.0, {"a": 90, "b": 5})]
    assert peaks(samples) == {"a": 100, "b": 80}
    assert peak_total(samples, ["a", "b"]) == 130  # at t=2, not 100 + 80
    assert peak_total(samples, ["a", "b"], since=2.5) == 95
    assert memory_entry({"a": 100_000_000, "b": 80_000_000}, 130_000_000) == {
        "peak_mb": {"a": 100, "b": 80},
        "peak_total_mb": 130,
        "sum_of_peaks_mb": 180,
    }


def _figures(p50: float, p95: float, errors: int = 0) -> dict:
    return {
        "conversations": 10,
        "turns": 100,
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p95 * 1.2,
        "max_ms": p95 * 1.5,
        "throughput_per_second": 10.0,
        "errors": errors,
        "errors_by_kind": {"timeout": errors} if errors else {},
        "failed_conversations": min(errors, 10),
        "peak_memory_mb": 900,
    }


def _report(levels: list[dict], together_mb: int = 1200, live: float | None = 0.3) -> dict:
    report = {
        "command": "python -m bot bench load",
        "date": "2026-11-22T12:00:00+00:00",
        "machine": {
            "cpu": "Test CPU",
            "cores": 2,
            "memory_gb": 8,
            "platform": "Linux",
            "python": "3.10",
            "rasa": "3.6",
        },
        "load_average": {"start": [0.1, 0.1, 0.1], "end": [1.0, 0.5, 0.2]},
        "timings": {"our_startup_seconds": 20.0, "content_live_seconds": live, "total_seconds": 100.0},
        "levels": levels,
        "memory": {"ours": {"peak_mb": {"Rasa server": 900}, "peak_total_mb": together_mb, "sum_of_peaks_mb": 1300}},
    }
    report["targets"] = targets(report)
    return report


def test_targets_are_judged_from_the_figures() -> None:
    report = _report(
        [
            level_entry(20, _figures(130, 260), _figures(100, 200)),
            level_entry(200, _figures(1000, 2000, errors=3), _figures(900, 1800)),
        ],
        together_mb=1600,
        live=None,
    )
    assert [(t["value"], t["unit"], t["met"]) for t in report["targets"]] == [
        (3, "errors", False),
        (1.3, "x stock", False),
        (1600, "MB", False),
        ("not live within 10", "s", False),
    ]
    good = _report([level_entry(20, _figures(110, 230), _figures(100, 200)), level_entry(200, _figures(1, 2), None)])
    assert [t["met"] for t in good["targets"]] == [True, True, True, True]


def test_unmeasured_targets_say_so_rather_than_pass() -> None:
    report = _report([level_entry(1, _figures(50, 60), None)])
    assert [t["met"] for t in report["targets"]][:2] == [None, None]
    assert "not run  no errors at 200 concurrent conversations: not measured in this run" in render(report)


def test_the_table_shows_both_assistants_the_ratio_and_what_missed() -> None:
    report = _report([level_entry(20, _figures(130, 260), _figures(100, 200))])
    table = render(report)
    assert re.search(r"^\s+20  ours\s+10\s+100\s+130\s+260\s+312\s+390\s+10\.0\s+0\s+900$", table, re.M)
    assert re.search(r"^\s+20  ours/stock\s+1\.30\s+1\.30\s+1\.30\s+1\.00$", table, re.M)
    assert "MISSED   p95 at 20 concurrent no more than 1.2 x the stock assistant's: 1.3 x stock" in table
    assert "Test CPU, 2 cores" in table and "at end [1.0, 0.5, 0.2]" in table
    assert "Errors: none" in table
    failing = render(_report([level_entry(200, _figures(1000, 2000, errors=3), None)]))
    assert "Errors: 200 ours: timeout 3 (in 3 of 10 conversations)" in failing


def test_each_level_gets_twice_its_conversations_and_the_report_says_how_it_was_run() -> None:
    assert [Options().conversations(level) for level in (1, 20, 200)] == [10, 40, 400]
    assert Options(conversations_per_level=3).conversations(200) == 3
    assert (
        Options(levels=(1, 20), skip_stock=True).command_line() == "python -m bot bench load --levels 1,20 --skip-stock"
    )
    assert Options.smoke_test(Path("x.json")).command_line() == "python -m bot bench load --smoke"


# ---- conversations ----


def test_the_stock_assistant_gets_conversations_of_the_same_length() -> None:
    scripts = mix_for(10, OUR_MIX)
    assert sum(s is SELF_REFERRAL for s in scripts) == 2
    for script in scripts:
        assert len(stock_equivalent(script).turns) == len(script.turns)


def test_the_referral_script_fills_in_the_whole_form() -> None:
    assert SELF_REFERRAL.turns[-1].expect == "reference"
    assert all(turn.expect for turn in SELF_REFERRAL.turns)


# ---- the driver against a fake REST channel ----


@pytest.fixture
async def fake_rest_channel(aiohttp_server):
    state = {"open": 0, "most_open": 0, "senders": Counter()}

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        state["senders"][body["sender"]] += 1
        state["open"] += 1
        state["most_open"] = max(state["most_open"], state["open"])
        try:
            await asyncio.sleep(0.02)
            message = body["message"]
            if message == "break":
                return web.json_response({"error": "boom"}, status=500)
            if message == "silence":
                return web.json_response([])
            if message == "hang":
                await asyncio.sleep(5)
            return web.json_response([{"recipient_id": body["sender"], "text": f"you said {message}"}])
        finally:
            state["open"] -= 1

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    server = await aiohttp_server(app)
    server.state = state
    return server


async def test_the_driver_holds_the_level_of_open_conversations_each_with_its_own_sender(fake_rest_channel) -> None:
    scripts = [Script("chat", (Turn("hello"), Turn("more"), Turn("bye")))] * 12
    run = await drive(str(fake_rest_channel.make_url("")), scripts, 4, "bench-0a1b2c3d-ours-c4")
    summary = summarise(run)
    assert summary["replies"] == 36 and summary["errors"] == 0 and summary["failed_conversations"] == 0
    assert fake_rest_channel.state["most_open"] == 4
    senders = fake_rest_channel.state["senders"]
    assert len(senders) == 12 and set(senders.values()) == {3}
    assert all(SENDER_ID.match(sender) for sender in senders)
    assert summary["p50_ms"] >= 20


async def test_the_driver_counts_each_kind_of_error(fake_rest_channel) -> None:
    script = Script(
        "faults", (Turn("break"), Turn("silence"), Turn("hang"), Turn("hello", expect="goodbye"), Turn("hello"))
    )
    run = await drive(str(fake_rest_channel.make_url("")), [script], 1, "bench-faults-0001", timeout=0.5)
    assert run.errors == Counter({"HTTP 500": 1, "empty reply": 1, "timeout": 1, "unexpected reply": 1})
    assert len(run.latencies_ms) == 1 and run.failed_conversations == 1
    assert [(e["message"], e["error"]) for e in run.error_examples] == [
        ("break", "HTTP 500"),
        ("silence", "empty reply"),
        ("hang", "timeout"),
        ("hello", "unexpected reply"),
    ]


async def test_a_refused_connection_is_an_error_not_a_crash(unused_tcp_port: int) -> None:
    script = Script("nobody home", (Turn("hello"),))
    run = await drive(f"http://127.0.0.1:{unused_tcp_port}", [script], 1, "bench-refused-01", timeout=2)
    assert sum(run.errors.values()) == 1 and next(iter(run.errors)).startswith("connection")


def test_a_reply_is_judged_on_what_a_person_would_see() -> None:
    assert judge(200, [{"text": "Your reference is ACDE-FG34."}], Turn("/affirm", expect="reference")) is None
    assert judge(200, [{"image": "x.png"}], Turn("hi")) is None  # an image alone is still a reply
    assert judge(200, [{"image": "x.png"}], Turn("hi", expect="hello")) == "unexpected reply"
    assert judge(503, None, Turn("hi")) == "HTTP 503"
    assert judge(200, {"not": "a list"}, Turn("hi")) == "empty reply"


# ---- the command, end to end ----


@pytest.mark.skipif(not MODEL_PATH.exists(), reason="needs a trained model: run `make train` (make test does)")
@pytest.mark.stack
def test_the_smoke_benchmark_runs_against_the_real_stack(tmp_path: Path) -> None:
    out = tmp_path / "bench-load.json"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "bench", "load", "--smoke", "--out", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert [level["concurrency"] for level in report["levels"]] == [1, 2]
    for level in report["levels"]:
        ours = level["ours"]
        assert ours["errors"] == 0, ours["errors_by_kind"]
        assert ours["replies"] == ours["turns"] > 0
        assert 0 < ours["p50_ms"] <= ours["p95_ms"] <= ours["p99_ms"]
        assert ours["throughput_per_second"] > 0 and ours["peak_memory_mb"] > 0
    assert set(report["memory"]["ours"]["peak_mb"]) == {"Rasa server", "action server", "web service"}
    assert report["timings"]["content_live_seconds"] is not None
    assert "ours" in result.stdout and "Targets:" in result.stdout
