"""Two of everything, for real: two Rasa servers (each with its own action server) and two web services, on
PostgreSQL and Redis started from Debian's packages. Killing a Rasa server or a web service with SIGKILL
loses no conversation and no referral, the supervisor starts it again, and what the web services share
(rate limits, staff notifications) is shared."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
from sqlalchemy import create_engine, func, select, text

from bot.benchmark.conversations import REFERRAL_ANSWERS
from bot.runner import Service, Supervisor
from bot.storage.models import Referral
from bot.web.relay import RasaReplicas
from tests.helpers import own_postgres_database
from tests.stack_support import post, running_stack, start_referral, texts

pytestmark = [pytest.mark.stack, pytest.mark.postgres]

RASA = ("http://localhost:5905", "http://localhost:5906")
WEB = ("http://localhost:8905", "http://localhost:8906")
LOCK_DB, LIMITS_DB = 3, 4
PER_CONVERSATION = 40


class Webhook(ThreadingHTTPServer):
    """The staff notification receiver: counts each delivery id."""

    deliveries: Counter[str]


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.deliveries[self.headers["X-Delivery-Id"]] += 1  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    server = Webhook(("127.0.0.1", 0), _Hook)
    server.deliveries = Counter()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def replica_database(postgres) -> Iterator[str]:  # noqa: ANN001 (conftest's fixture)
    if postgres.url is None:
        pytest.skip(f"PostgreSQL unavailable: {postgres.problem}")
    with own_postgres_database(postgres.url, "replicas") as url:
        yield url


@pytest.fixture(scope="module")
def stack(tmp_path_factory, replica_database: str, redis_server, webhook: Webhook) -> Iterator[list[Service]]:  # noqa: ANN001
    for db in (LOCK_DB, LIMITS_DB):
        redis.Redis.from_url(f"{redis_server.url}/{db}").flushdb()
    env = {
        "RASA_URL": RASA[0],
        "ACTION_PORT": "5955",
        "ACTION_SERVER_URL": "http://127.0.0.1:5955/webhook",
        "WEB_PORT": "8905",
        "RASA_REPLICAS": "2",
        "WEB_REPLICAS": "2",
        "DATABASE_URL": replica_database,
        "LOCK_STORE_URL": f"{redis_server.url}/{LOCK_DB}",
        "RATE_LIMIT_STORAGE": f"{redis_server.url}/{LIMITS_DB}",
        "CHAT_RATE_PER_CONVERSATION": f"{PER_CONVERSATION}/minute",
        "STAFF_WEBHOOK_URL": f"http://127.0.0.1:{webhook.server_address[1]}/hook",
        "STAFF_WEBHOOK_SECRET": "replica-test",
        "SERVICE_LOG_DIR": str(tmp_path_factory.mktemp("replica-logs")),
    }
    with running_stack(tmp_path_factory, env) as running:
        yield running


@pytest.fixture
def supervised(stack: list[Service]) -> Iterator[list[str]]:
    """The supervisor watching the stack, as `make run` does; yields what it says."""
    said: list[str] = []
    stop = threading.Event()
    supervisor = Supervisor(stack, say=said.append)
    thread = threading.Thread(target=supervisor.watch, args=(stop, 0.2), daemon=True)
    thread.start()
    yield said
    stop.set()
    thread.join(timeout=10)


def named(stack: list[Service], name: str) -> Service:
    return next(service for service in stack if service.name == name)


def chat(web: str, sender: str, message: str) -> list[dict]:
    status, body = post(f"{web}/api/chat", {"sender": sender, "message": message})
    assert status == 200, body
    return body["messages"]


def sender_on(replica: str, prefix: str) -> str:
    """A conversation id whose own replica is `replica`."""
    replicas = RasaReplicas(RASA)
    return next(s for s in (f"{prefix}-{n:04d}" for n in range(200)) if replicas.preferred(s)[0] == replica)


def kill(service: Service) -> None:
    assert service.process is not None
    os.kill(service.process.pid, signal.SIGKILL)
    service.process.wait(timeout=10)


def wait_for(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        time.sleep(0.5)


def answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local health check)
            return response.status == 200
    except OSError:
        return False


def referrals_saved(database: str) -> int:
    engine = create_engine(database, future=True)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(Referral)).scalar_one()
    finally:
        engine.dispose()


def test_a_self_referral_survives_its_rasa_server_being_killed(stack, supervised, replica_database, webhook) -> None:
    sender = sender_on(RASA[0], "referral-kill")
    before = referrals_saved(replica_database)
    start_referral(lambda message, s: chat(WEB[0], s, message), sender)
    half = len(REFERRAL_ANSWERS) // 2
    for answer, next_question in REFERRAL_ANSWERS[:half]:
        assert next_question in texts(chat(WEB[0], sender, answer)), answer

    rasa = named(stack, "Rasa server 1")
    kill(rasa)
    # The rest of the form, through the other web service too: the other replica carries on from PostgreSQL.
    for index, (answer, next_question) in enumerate(REFERRAL_ANSWERS[half:]):
        reply = texts(chat(WEB[index % 2], sender, answer))
        assert next_question in reply, (answer, reply)
    done = texts(chat(WEB[1], sender, "/affirm"))
    assert "reference" in done.lower()
    assert referrals_saved(replica_database) == before + 1

    wait_for(lambda: any("Rasa server 1 stopped (killed by SIGKILL)" in line for line in supervised), 10, "the stop noticed")
    wait_for(lambda: any("Rasa server 1 is answering again" in line for line in supervised), 240, "Rasa 1 back")
    assert answers(f"{RASA[0]}/")
    assert texts(chat(WEB[0], sender, "thank you"))  # back on its own replica, after the other carried it
    wait_for(lambda: len(webhook.deliveries) >= 1, 30, "the staff notification")
    time.sleep(6)  # a round of both web services' outbox workers after the delivery
    assert set(webhook.deliveries.values()) == {1}, webhook.deliveries


def test_a_web_service_killed_is_started_again_and_the_other_answers_meanwhile(stack, supervised) -> None:
    web = named(stack, "web service 1")
    kill(web)
    sender = f"web-kill-{uuid.uuid4().hex[:8]}"
    assert "999" in texts(chat(WEB[1], sender, "hello"))
    wait_for(lambda: answers(f"{WEB[0]}/healthz"), 60, "web service 1 back")
    assert any("web service 1 stopped (killed by SIGKILL)" in line for line in supervised)
    assert texts(chat(WEB[0], sender, "are you a real person"))


def test_the_web_services_count_one_conversations_messages_together(stack) -> None:
    sender = f"limits-{uuid.uuid4().hex[:8]}"
    statuses = [post(f"{WEB[n % 2]}/api/chat", {"sender": sender, "message": "/menu"})[0] for n in range(PER_CONVERSATION + 1)]
    assert statuses[:PER_CONVERSATION] == [200] * PER_CONVERSATION
    assert statuses[PER_CONVERSATION] == 429  # each web service alone has seen only half


def test_both_rasa_servers_hold_their_locks_in_redis(stack, redis_server) -> None:
    for replica in RASA:
        sender = sender_on(replica, "lock")
        chat(WEB[0], sender, "hello")
    clients = redis.Redis.from_url(redis_server.url).client_list()
    assert sum(1 for client in clients if client.get("db") == str(LOCK_DB)) >= 2, clients


def test_the_conversations_live_in_postgresql(stack, replica_database) -> None:
    sender = f"pg-{uuid.uuid4().hex[:8]}"
    chat(WEB[1], sender, "hello")
    engine = create_engine(replica_database, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar_one()
            stored = connection.execute(text("SELECT data FROM events WHERE sender_id = :s LIMIT 5"), {"s": sender}).scalars()
            assert all("hello" not in row for row in stored)  # encrypted at rest
    finally:
        engine.dispose()
    assert rows > 0

