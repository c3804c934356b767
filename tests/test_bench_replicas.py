"""The replica benchmark: its driver against stand-in web services, and a smoke run of the real thing."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest
from aiohttp import web

from bot.benchmark.conversations import Script, Turn
from bot.benchmark.replicas import render
from bot.benchmark.web_driver import drive_web
from bot.config import PROJECT_ROOT
from bot.training import MODEL_PATH


class StandIn:
    """A web service stand-in: answers like /api/chat, or fails in the way it is told to."""

    def __init__(self, failing: str = "") -> None:
        self.failing = failing
        self.seen: Counter[str] = Counter()

    def app(self) -> web.Application:
        async def chat(request: web.Request) -> web.Response:
            body = await request.json()
            self.seen[body["message"]] += 1
            if self.failing == "503":
                return web.json_response({"error": "not answering"}, status=503)
            if self.failing == "drop":
                assert request.transport is not None
                request.transport.close()
            text = "Your reference is QWER-7788." if body["message"] == "/affirm" else f"you said {body['message']}"
            return web.json_response({"messages": [{"text": text}]})

        app = web.Application()
        app.router.add_post("/api/chat", chat)
        return app


SCRIPT = Script("short", (Turn("hello"), Turn("/menu"), Turn("/affirm", "reference")))


@pytest.mark.parametrize("failing", ["503", "drop"])
async def test_a_turn_that_meets_a_dead_web_service_is_sent_to_the_next_and_counted(aiohttp_server, failing) -> None:
    good, bad = StandIn(), StandIn(failing)
    urls = [str((await aiohttp_server(s.app())).make_url("")).rstrip("/") for s in (good, bad)]
    run = await drive_web(urls, [SCRIPT] * 4, "t")
    assert len(run.turns) == 12 and not run.errors
    retried = [turn for turn in run.turns if turn.tries > 1]
    assert len(retried) == sum(bad.seen.values()) == 6  # every other request went to the bad one first
    assert run.references == ["QWER-7788"] * 4


async def test_a_reply_without_the_expected_words_is_an_error(aiohttp_server) -> None:
    good = StandIn()
    url = str((await aiohttp_server(good.app())).make_url("")).rstrip("/")
    run = await drive_web([url], [Script("x", (Turn("hello", "something else"),))], "t")
    assert run.errors == Counter({"unexpected reply": 1}) and run.failed_conversations == 1


def test_the_table_names_what_the_issue_asks_for() -> None:
    figures = {
        "conversations": 2, "turns": 10, "turns_answered": 10, "turns_needing_a_retry": 1, "errors_seen_by_driver": 0,
        "errors_by_kind": {}, "failed_conversations": 0, "referrals_told_to_parents": 1, "referrals_saved": 1,
        "told_and_saved_exactly_once": 1, "notifications_delivered": 1, "notifications_delivered_more_than_once": 0,
        "turns_per_second": 3.5, "p50_ms": 10.0, "p95_ms": 20.0, "p95_before_kill_ms": 15.0,
        "p95_after_kill_ms": 25.0, "peak_memory_mb": 100, "supervisor": ["The Rasa server 1 stopped"],
    }
    report = {"options": {"replicas": 2, "kill": ["Rasa server 1"]}, "figures": figures, "load_average": {"start": 1, "end": 2}}
    table = render([report])
    for words in ("turns that needed a retry", "errors seen by the driver", "exactly once", "notifications delivered",
                  "p95 before / after the kill", "15.0 / 25.0", "supervisor (2 replicas): The Rasa server 1 stopped"):
        assert words in table


@pytest.mark.stack
@pytest.mark.postgres
@pytest.mark.redis
def test_a_smoke_run_with_a_kill_loses_nothing(tmp_path) -> None:  # noqa: ANN001
    if not MODEL_PATH.exists():
        pytest.skip("no trained model (make train)")
    out = tmp_path / "replicas.json"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "bench", "replicas", "--replicas", "2", "--conversations", "6", "--smoke", "--out", str(out)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (run,) = json.loads(out.read_text())["runs"]
    figures = run["figures"]
    assert run["options"]["kill"] == ["Rasa server 1", "web service 1"]
    assert figures["turns_answered"] == figures["turns"] > 0
    assert figures["errors_seen_by_driver"] == 0
    assert figures["turns_after_kill"] > 0
    assert sum("answering again" in line for line in figures["supervisor"]) == 2
    assert "turns that needed a retry" in result.stdout
