"""Benchmarks for the foundation: time from `make run` to first reply, and reply latency.

    .venv/bin/python scripts/bench_latency.py            # both
    .venv/bin/python scripts/bench_latency.py --latency-only

Prints figures; it asserts nothing (targets are judged from the figures).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MESSAGES = [
    "hello",
    "my daughter has an older boyfriend who buys her things, is she being groomed",
    "/topic_next",
    "/topic_more",
    "what signs should i look out for",
    "/topic_next",
    "i feel like it's all my fault",
    "can you help me calm down",
    '/open_topic{"topic":"grounding_breathing"}',
    "/topic_next",
    "/help_now",
    "are you a real person",
    "thanks, bye",
]


def chat(port: int, sender: str, message: str) -> float:
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(f"http://localhost:{port}/api/chat", body, {"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def bench_startup() -> None:
    """Run `make run` as a user would and time it until the chat page answers."""
    began = time.monotonic()
    process = subprocess.Popen(
        ["make", "run"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        while True:
            try:
                chat(8000, "startup-" + uuid.uuid4().hex[:8], "hello")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if process.poll() is not None:
                    raise SystemExit("make run stopped before answering") from None
                time.sleep(0.25)
        first_reply = time.monotonic() - began
        stop_began = time.monotonic()
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)
        print(f"make run -> first reply through http://localhost:8000: {first_reply:.1f} s")
        print(f"Ctrl-C -> all services stopped: {time.monotonic() - stop_began:.1f} s (exit code {process.returncode})")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def bench_latency(rounds: int) -> None:
    from bot.config import load_settings
    from bot.runner import start_all, stop

    os.environ.update(
        {
            "RASA_URL": "http://localhost:5205",
            "ACTION_PORT": "5255",
            "WEB_PORT": "8205",
            "ACTION_SERVER_URL": "http://127.0.0.1:5255/webhook",
        }
    )
    running = start_all(load_settings())
    try:
        chat(8205, "warm-up-0000", "hello")
        latencies: list[float] = []
        for _ in range(rounds):
            sender = uuid.uuid4().hex
            latencies += [chat(8205, sender, message) for message in MESSAGES]
    finally:
        stop(running)
    print(f"Reply latency through the web service, one conversation at a time, {len(latencies)} messages:")
    print(
        f"  p50 {statistics.median(latencies):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
        f"max {max(latencies):.0f} ms, mean {statistics.mean(latencies):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-only", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}"
    )
    if not args.latency_only:
        bench_startup()
    bench_latency(args.rounds)


if __name__ == "__main__":
    main()
