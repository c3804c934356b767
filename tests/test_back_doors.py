"""The probe's attacks, against the real stack started as `make run` starts it (issue 11).

Every service is started by bot.runner with the same ports scheme, binding and shared secret as
`make run`; each attack asserts the refusal, and the last tests check that a parent is still
answered and that nothing was stored or logged.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from sqlalchemy import create_engine, func, select

from bot.config import load_settings
from bot.runner import Service
from bot.storage.models import Referral
from bot.training import MODEL_PATH
from tests.stack_support import ports, running_stack

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(not MODEL_PATH.exists(), reason="needs a trained model: run `make train` (make test does)"),
]

PORTS = ports(2)
RASA, ACTIONS, WEB = "http://127.0.0.1:5205", "http://127.0.0.1:5255", "http://127.0.0.1:8205"
PLANTED_NAME, PLANTED_PHONE = "Quentin Marchbanks", "07700 900 461"


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service-logs")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('back-doors-db') / 'parent_support.db'}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, logs: Path, database: str) -> Iterator[list[Service]]:
    env = {
        **PORTS,
        "DATABASE_URL": database,
        "SERVICE_LOG_DIR": str(logs),
        "CHAT_RATE_PER_CONVERSATION": "12/minute",
        "CHAT_RATE_PER_ADDRESS": "100000/minute",
        "WEB_HEAD_TIMEOUT_SECONDS": "2",
        "WEB_BODY_TIMEOUT_SECONDS": "2",
        "WEB_KEEPALIVE_SECONDS": "2",
    }
    with running_stack(tmp_path_factory, env) as running:
        yield running


def request(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict]:
    method = "POST" if body is not None else "GET"
    req = urllib.request.Request(url, body, {"Content-Type": "application/json", **(headers or {})}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def chat(message: str, sender: str) -> tuple[int, dict]:
    status, body, _ = request(f"{WEB}/api/chat", json.dumps({"sender": sender, "message": message}).encode())
    return status, json.loads(body or b"{}")


def replies(message: str, sender: str) -> str:
    status, body = chat(message, sender)
    assert status == 200, body
    return "\n".join(m["text"] for m in body["messages"])


def referrals_stored(database: str) -> int:
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(Referral)).scalar_one()
    finally:
        engine.dispose()


def listening_addresses(service: Service) -> set[str]:
    assert service.process is not None
    process = psutil.Process(service.process.pid)
    found = set()
    for each in [process, *process.children(recursive=True)]:
        found |= {c.laddr.ip for c in each.connections(kind="inet") if c.status == psutil.CONN_LISTEN}
    return found


# --- 1 and 2: only the web service faces the world ------------------------------------------------------


def test_the_rasa_server_and_the_action_server_listen_on_loopback_only(stack: list[Service]) -> None:
    by_name = {service.name: service for service in stack}
    assert listening_addresses(by_name["Rasa server"]) == {"127.0.0.1"}
    assert listening_addresses(by_name["action server"]) == {"127.0.0.1"}


def test_the_action_server_refuses_a_call_without_the_shared_secret(stack: list[Service], database: str) -> None:
    forged = {
        "next_action": "action_referral_submit",
        "sender_id": "forger",
        "tracker": {"sender_id": "forger", "slots": {"preferred_name": PLANTED_NAME, "child_missing_now": True},
                    "latest_message": {}, "events": [], "paused": False, "latest_event_time": 0,
                    "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"},
        "domain": {},
        "version": "3.6.2",
    }
    body = json.dumps(forged).encode()
    for headers in ({}, {"X-Action-Secret": "guessed"}, {"X-Action-Secret": ""}):
        status, answer, _ = request(f"{ACTIONS}/webhook", body, headers)
        assert status == 403, answer
    assert request(f"{ACTIONS}/actions")[0] == 403
    assert request(f"{ACTIONS}/health")[0] == 200  # the runner's health check needs nothing secret
    assert referrals_stored(database) == 0


def test_even_with_the_secret_a_referral_needs_a_real_conversation_with_consent(
    stack: list[Service], database: str
) -> None:
    secret = load_settings().action_server_secret.get_secret_value()
    forged = {
        "next_action": "action_referral_submit",
        "sender_id": "forger",
        "tracker": {"sender_id": "forger", "slots": {"preferred_name": PLANTED_NAME}, "latest_message": {},
                    "events": [], "paused": False, "latest_event_time": 0, "followup_action": None,
                    "active_loop": {}, "latest_action_name": "action_listen"},
        "domain": {},
        "version": "3.6.2",
    }
    status, answer, _ = request(f"{ACTIONS}/webhook", json.dumps(forged).encode(), {"X-Action-Secret": secret})
    assert status == 200
    assert json.loads(answer)["events"] == [{"event": "followup", "timestamp": None, "name": "action_referral_consent"}]
    assert referrals_stored(database) == 0


def test_the_rasa_token_is_not_in_the_process_list(stack: list[Service]) -> None:
    token = load_settings().rasa_token.get_secret_value()
    rasa = next(service for service in stack if service.name == "Rasa server")
    assert rasa.process is not None
    assert token not in " ".join(psutil.Process(rasa.process.pid).cmdline())
    assert request(f"{RASA}/status")[0] == 401  # the HTTP API still needs it
    assert request(f"{RASA}/status?token={token}")[0] == 200


def test_the_socketio_channel_is_closed_and_the_rest_channel_takes_no_huge_body(stack: list[Service]) -> None:
    assert request(f"{RASA}/socket.io/?EIO=4&transport=polling")[0] == 404
    huge = json.dumps({"sender": "huge-message-test", "message": "x" * (2 * 1024 * 1024)}).encode()
    began = time.monotonic()
    assert request(f"{RASA}/webhooks/rest/webhook", huge)[0] == 413
    assert time.monotonic() - began < 5


# --- 3: no conversation in the logs when an action fails ---------------------------------------------------


def test_a_failing_action_answers_with_help_and_logs_no_conversation(stack: list[Service], logs: Path) -> None:
    sender = "planted-values-check"
    token = load_settings().rasa_token.get_secret_value()
    replies("hello", sender)  # the session starts first: starting one would reset the planted slots
    planted = [
        {"event": "slot", "name": "preferred_name", "value": PLANTED_NAME},
        {"event": "slot", "name": "contact_phone", "value": PLANTED_PHONE},
        {"event": "slot", "name": "current_topic", "value": ["court"]},  # a list where the action expects text
    ]
    status, answer, _ = request(
        f"{RASA}/conversations/{sender}/tracker/events?token={token}", json.dumps(planted).encode()
    )
    assert status == 200, answer
    reply = replies("/topic_next", sender)
    assert "something went wrong on my side" in reply and "999" in reply
    time.sleep(1)  # let the services flush their logs
    logged = "\n".join(path.read_text(errors="replace") for path in logs.glob("*.log"))
    assert "action_topic_next failed: TypeError" in logged  # the failure itself is logged
    for planted_value in (PLANTED_NAME, "Quentin", PLANTED_PHONE, "900 461"):
        assert planted_value not in logged


# --- 4: invisible characters ---------------------------------------------------------------------------------


@pytest.mark.parametrize("hider", ["\u200b", "\u00ad", "\u2060", "\ufeff", "\u200d"])
def test_invisible_characters_do_not_hide_danger(stack: list[Service], hider: str) -> None:
    reply = replies(f"my son is in dan{hider}ger right now, they have a kn{hider}ife", sender=f"hidden-{ord(hider)}")
    assert reply.startswith("Call 999")


# --- 6: typed payloads -----------------------------------------------------------------------------------


def test_a_typed_referral_payload_never_skips_consent(stack: list[Service], database: str) -> None:
    sender = "typed-payload-check"
    first = replies('/referral_change{"field":"preferred_name"}', sender)
    assert "not an emergency service" in first and "12 months" in first  # the consent step, not a question
    resumed = replies("/referral_resume", "typed-resume-check")
    assert "not an emergency service" in resumed
    assert "Here is what I will send" not in replies("/affirm", "typed-affirm-check")
    assert referrals_stored(database) == 0


def test_typed_internal_intents_are_read_as_words(stack: list[Service]) -> None:
    reply = replies("/nlu_fallback", "typed-internal-check")
    assert "Call 999" not in reply.split("\n")[0]  # not taken as a payload with full confidence
    assert replies('/open_topic{"topic":{"nested":1}}', "typed-nested-check")  # answered, not crashed


# --- 7 to 10: the web service under pressure -------------------------------------------------------------


def test_one_conversation_sending_too_fast_gets_a_429_with_help(stack: list[Service]) -> None:
    sender = "rate-limit-check"
    statuses = [chat("hello", sender)[0] for _ in range(12)]
    assert statuses == [200] * 12
    status, body = chat("hello", sender)
    assert status == 429 and "999" in body["help_now"] and body["retry_after"] >= 1
    assert request(f"{WEB}/widget/config.json")[0] == 200  # Help now is never held up


def test_deeply_nested_json_is_refused_with_a_400(stack: list[Service]) -> None:
    status, body, _ = request(f"{WEB}/api/chat", ("[" * 5000 + "]" * 5000).encode())
    assert status == 400 and b"not valid JSON" in body


def test_error_pages_carry_the_security_headers_and_no_versions(stack: list[Service]) -> None:
    status, _, headers = request(f"{WEB}/no-such-page")
    assert status == 404
    assert headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" in headers
    assert "aiohttp" not in headers.get("Server", "") and "Python" not in headers.get("Server", "")


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes the connection (after any answer of its own) within `seconds`."""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            if sock.recv(1024) == b"":
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
    return False


def test_a_connection_that_never_finishes_its_request_is_closed(stack: list[Service]) -> None:
    silent = socket.create_connection(("127.0.0.1", 8205))
    half = socket.create_connection(("127.0.0.1", 8205))
    half.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # the head never ends
    began = time.monotonic()
    assert _closed_within(silent, 8) and _closed_within(half, 8)
    assert time.monotonic() - began < 8


def test_a_body_sent_a_byte_at_a_time_is_cut_off(stack: list[Service]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", 8205, timeout=10)
    connection.putrequest("POST", "/api/chat")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", "100")
    connection.endheaders()
    began = time.monotonic()
    status = None
    try:
        for _ in range(8):
            connection.send(b" ")
            time.sleep(0.5)
        status = connection.getresponse().status
    except (ConnectionResetError, BrokenPipeError):
        status = "closed"
    assert status in (408, "closed")
    assert time.monotonic() - began < 8


# --- afterwards -------------------------------------------------------------------------------------------


def test_after_all_that_a_parent_is_still_answered_and_nothing_was_stored(stack: list[Service], database: str) -> None:
    reply = replies("hello", "a-parent-afterwards")
    assert "not a person" in reply and "999" in reply
    assert referrals_stored(database) == 0
