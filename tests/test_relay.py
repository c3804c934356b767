"""Several Rasa replicas behind one web service: each conversation keeps to one, and moves when it dies."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import aiohttp
import pytest
from aiohttp import web

from bot.config import SettingsError, load_settings
from bot.web.app import create_app
from bot.web.relay import NoReplicaAnswered, RasaReplicas, ReplicaHttpError, relay
from tests.fake_rasa import FakeRasa

URLS = ("http://10.0.0.1:5005", "http://10.0.0.2:5005", "http://10.0.0.3:5005")


def senders(count: int) -> list[str]:
    return [str(uuid.UUID(int=index + 1)) for index in range(count)]


def test_a_conversation_always_gets_the_same_replica_and_the_load_is_spread() -> None:
    first, again = RasaReplicas(URLS), RasaReplicas(list(reversed(URLS)))  # another web service, listed otherwise
    chosen = Counter()
    for sender in senders(3000):
        assert first.order(sender)[0] == again.order(sender)[0]
        chosen[first.order(sender)[0]] += 1
    assert set(chosen) == set(URLS)
    assert all(900 < count < 1100 for count in chosen.values()), chosen


def test_losing_a_replica_moves_only_its_own_conversations() -> None:
    three, two = RasaReplicas(URLS), RasaReplicas(URLS[:2])
    moved = [s for s in senders(2000) if three.order(s)[0] != two.order(s)[0]]
    assert moved and all(three.order(s)[0] == URLS[2] for s in moved)


def test_a_replica_that_failed_is_tried_last_until_its_cool_down_ends() -> None:
    now = [100.0]
    replicas = RasaReplicas(URLS, cool_down=5.0, clock=lambda: now[0])
    sender = senders(1)[0]
    usual = replicas.order(sender)
    replicas.failed(usual[0])
    assert replicas.order(sender) == [*usual[1:], usual[0]]
    now[0] += 5.1
    assert replicas.order(sender) == usual


def test_no_replicas_is_refused() -> None:
    with pytest.raises(ValueError):
        RasaReplicas([])


class Replica(FakeRasa):
    """A fake Rasa replica that can also drop the connection or hang on every message."""

    mode: str = "answer"

    def app(self) -> web.Application:
        base = super().app()

        @web.middleware
        async def misbehave(request: web.Request, handler):  # type: ignore[no-untyped-def]
            if request.method == "POST" and self.mode == "drop":
                self.received.append(await request.json())
                assert request.transport is not None
                request.transport.close()  # what a server killed mid-turn looks like from the client
                await asyncio.sleep(1)
            if request.method == "POST" and self.mode == "hang":
                self.received.append(await request.json())
                await asyncio.sleep(3)
            if request.method == "POST" and self.mode == "error":
                return web.json_response({"error": "boom"}, status=500)
            return await handler(request)

        base.middlewares.append(misbehave)
        return base


@pytest.fixture
async def two_replicas(aiohttp_server) -> list[Replica]:  # noqa: ANN001 (pytest-aiohttp's fixture)
    replicas = [Replica(), Replica()]
    for replica in replicas:
        replica.server = await aiohttp_server(replica.app())
    return replicas


def sender_served_first_by(replicas: RasaReplicas, url: str) -> str:
    return next(s for s in senders(100) if replicas.order(s)[0] == url)


async def say(replicas: RasaReplicas, sender: str, timeout: float = 1.0):  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as session:
        return await relay(
            session, replicas, sender, "POST", "/webhooks/rest/webhook", json={"sender": sender, "message": "hi"}, timeout=timeout
        )


@pytest.mark.parametrize("failure", ["stopped", "drop"])
async def test_a_turn_moves_to_the_next_replica_when_its_own_does_not_answer(two_replicas, failure: str) -> None:
    first, second = two_replicas
    replicas = RasaReplicas([first.url, second.url])
    sender = sender_served_first_by(replicas, first.url)
    if failure == "stopped":
        await first.server.close()
    else:
        first.mode = failure
    relayed = await say(replicas, sender)
    assert relayed.replica == second.url and relayed.tries == 2
    assert relayed.body == [{"recipient_id": sender, "text": "hello"}]
    assert [m["sender"] for m in second.received] == [sender]
    # The next turn goes straight to the replica that answered, while the other one cools down.
    assert (await say(replicas, sender)).tries == 1


async def test_a_slow_replica_gets_no_second_copy_of_the_turn_but_the_next_turn_goes_elsewhere(two_replicas) -> None:
    """A turn that timed out may still be running there: sent to another replica too, it could run twice."""
    first, second = two_replicas
    replicas = RasaReplicas([first.url, second.url])
    sender = sender_served_first_by(replicas, first.url)
    first.mode = "hang"
    with pytest.raises(NoReplicaAnswered):
        await say(replicas, sender, timeout=0.5)
    assert second.received == []
    relayed = await say(replicas, sender)  # the parent tries again: the slow replica is tried last now
    assert relayed.replica == second.url and relayed.tries == 1


async def test_a_replica_that_takes_no_connection_is_passed_by(two_replicas) -> None:
    """A replica whose connection never opens (a machine gone, a full queue): nothing was sent, so the turn goes on."""
    import socket

    import bot.web.relay as relay_module

    _, second = two_replicas
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)  # a queue of one that nobody accepts from: once it is full, new connections wait unanswered
    waiting = []
    for _ in range(3):  # fill the queue without waiting for it
        connection = socket.socket()
        connection.setblocking(False)
        connection.connect_ex(full.getsockname())
        waiting.append(connection)
    stuck = f"http://127.0.0.1:{full.getsockname()[1]}"
    replicas = RasaReplicas([stuck, second.url])
    sender = sender_served_first_by(replicas, stuck)
    relay_module.CONNECT_SECONDS, saved = 0.3, relay_module.CONNECT_SECONDS
    try:
        relayed = await say(replicas, sender, timeout=5.0)
    finally:
        relay_module.CONNECT_SECONDS = saved
        for connection in waiting:
            connection.close()
        full.close()
    assert relayed.replica == second.url and relayed.tries == 2


async def test_an_error_answer_is_not_sent_again_elsewhere(two_replicas) -> None:
    """A replica that answered with an error is up: running the turn again on another could run it twice."""
    first, second = two_replicas
    replicas = RasaReplicas([first.url, second.url])
    first.mode = "error"
    with pytest.raises(ReplicaHttpError):
        await say(replicas, sender_served_first_by(replicas, first.url))
    assert second.received == []


async def test_when_every_replica_is_down_the_relay_says_so(two_replicas) -> None:
    replicas = RasaReplicas([r.url for r in two_replicas])
    for replica in two_replicas:
        await replica.server.close()
    with pytest.raises(NoReplicaAnswered):
        await say(replicas, senders(1)[0])


async def test_the_chat_keeps_answering_when_a_replica_dies(aiohttp_client, two_replicas) -> None:
    first, second = two_replicas
    settings = load_settings(env_file=None).copy(update=dict(rasa_urls=(first.url, second.url)))
    client = await aiohttp_client(create_app(settings))
    conversations = senders(20)
    for sender in conversations:
        assert (await client.post("/api/chat", json={"sender": sender, "message": "hello"})).status == 200
    served_by_first = {m["sender"] for m in first.received}
    assert served_by_first and served_by_first != set(conversations)  # both replicas had conversations
    await first.server.close()
    for sender in conversations:
        response = await client.post("/api/chat", json={"sender": sender, "message": "still there?"})
        assert response.status == 200
        assert [m["text"] for m in (await response.json())["messages"]] == ["hello"]
    moved = {m["sender"] for m in second.received if m["message"] == "still there?"}
    assert moved == set(conversations)
    status = await client.get("/api/status")
    assert status.status == 200  # one replica answering is enough


async def test_the_chat_says_so_when_no_replica_answers(aiohttp_client, two_replicas) -> None:
    settings = load_settings(env_file=None).copy(update=dict(rasa_urls=tuple(r.url for r in two_replicas)))
    client = await aiohttp_client(create_app(settings))
    for replica in two_replicas:
        await replica.server.close()
    response = await client.post("/api/chat", json={"sender": senders(1)[0], "message": "hello"})
    assert response.status == 503
    body = await response.json()
    assert "not lost" in body["error"] and "999" in body["help_now"]
    assert (await client.get("/api/status")).status == 503


@pytest.mark.parametrize(
    "value",
    ["http://a:5005,http://a:5005", "ftp://a", "http://a:5005, not a url", "http://a:99999"],
)
def test_bad_replica_lists_are_refused_at_start_up(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("RASA_URLS", value)
    with pytest.raises(SettingsError) as error:
        load_settings(env_file=None)
    assert "RASA_URLS" in error.value.report()


@pytest.mark.parametrize(
    "value", ["http://redis:6379", "redis:///1", "redis://h:6379/x", "redis://h:6379/1?ssl=1", "redis://h:70000"]
)
def test_bad_lock_store_addresses_are_refused_without_showing_them(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("LOCK_STORE_URL", value)
    with pytest.raises(SettingsError) as error:
        load_settings(env_file=None)
    assert "LOCK_STORE_URL" in error.value.report() and value not in error.value.report()


def test_the_replica_list_defaults_to_the_one_rasa_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:5999")
    monkeypatch.delenv("RASA_URLS", raising=False)
    assert load_settings(env_file=None).rasa_replica_urls == ("http://127.0.0.1:5999",)
    monkeypatch.setenv("RASA_URLS", "http://10.0.0.1:5005/, http://10.0.0.2:5005")
    assert load_settings(env_file=None).rasa_replica_urls == ("http://10.0.0.1:5005", "http://10.0.0.2:5005")


