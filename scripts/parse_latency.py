"""Parse latency and memory of the Rasa server on the trained model (models/current.tar.gz).

    .venv/bin/python scripts/parse_latency.py [--port 5199] [--rounds 3]

Starts the Rasa server (through bot.rasa_server, as `make run` does, on a port of its own, HTTP API
on with a throwaway token, no action server or tracker store: only NLU is asked), waits until the
model is loaded, then sends each development-set message (../shared/eval/behaviours.yml) and each
training example's text to `/model/parse`, one at a time, `--rounds` times. Prints p50/p95/p99 of the
round trip and the server's resident memory after start and at the end. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluation.data import BEHAVIOURS_PATH, behaviour_examples, training_examples  # noqa: E402


def rss_mb(process: psutil.Process) -> float:
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


def wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 300) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if server.poll() is not None:
            raise SystemExit(f"the Rasa server stopped with code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200 and json.loads(response.read()).get("model_file"):
                    return time.monotonic() - started
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.5)
    raise SystemExit("the Rasa server did not come up in time")


def parse(base: str, token: str, text: str) -> float:
    request = urllib.request.Request(
        f"{base}/model/parse?token={token}",
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=5199)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    token = secrets.token_urlsafe(16)
    base = f"http://127.0.0.1:{args.port}"
    texts = [text for text, _ in training_examples()]
    if BEHAVIOURS_PATH.exists():
        texts += [text for text, _, _ in behaviour_examples()]
    # An empty endpoints file: no tracker store or action server to set up (Rasa reads endpoints.yml without one).
    endpoints = Path(tempfile.mkdtemp()) / "endpoints.yml"
    endpoints.write_text("{}\n", encoding="utf-8")
    command = [sys.executable, "-m", "bot.rasa_server", "run", "--model", "models/current.tar.gz", "--port", str(args.port),
               "--interface", "127.0.0.1", "--enable-api", "--auth-token", token, "--endpoints", str(endpoints)]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process = psutil.Process(server.pid)
        load_seconds = wait_until_up(f"{base}/status?token={token}", server)
        after_start = rss_mb(process)
        parse(base, token, "hello")  # the first parse builds the classifier's graph
        times, peak = [], after_start
        for _ in range(args.rounds):
            for text in texts:
                times.append(parse(base, token, text))
            peak = max(peak, rss_mb(process))
        cuts = statistics.quantiles(times, n=100)
        print(f"Machine: {platform.machine()}, {psutil.cpu_count()} cores, load {psutil.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M')}")
        print(f"model loaded in {load_seconds:.1f} s; {len(times)} parses of {len(texts)} messages")
        print(f"/model/parse round trip ms: p50 {cuts[49]:.1f}  p95 {cuts[94]:.1f}  p99 {cuts[98]:.1f}  max {max(times):.1f}  mean {statistics.mean(times):.1f}")
        print(f"Rasa server resident memory: {after_start:.0f} MB after start, {peak:.0f} MB at the end")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(endpoints.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
