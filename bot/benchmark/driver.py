"""The load driver: many simulated conversations at once through Rasa's REST channel (aiohttp client)."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from bot.benchmark.conversations import Script, Turn
from bot.benchmark.stats import LevelRun

REST_PATH = "/webhooks/rest/webhook"
KEEPALIVE_SECONDS = 3.0
MAX_ERROR_EXAMPLES = 20


def reply_text(body: object) -> str:
    """The text a person would see in a REST channel reply (a list of messages)."""
    if not isinstance(body, list):
        return ""
    return "\n".join(str(m.get("text") or "") for m in body if isinstance(m, dict))


def judge(status: int, body: object, turn: Turn) -> str | None:
    """The kind of error this reply is, or None when it is a good reply."""
    if status != 200:
        return f"HTTP {status}"
    if not isinstance(body, list) or not body:
        return "empty reply"
    if turn.expect and turn.expect.lower() not in reply_text(body).lower():
        return "unexpected reply"
    return None


async def _send(session: aiohttp.ClientSession, url: str, sender: str, turn: Turn, run: LevelRun) -> bool:
    """One turn; records its latency or its error (with the first few examples) and returns whether it went well."""
    started = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": turn.message}) as response:
            status = response.status
            body = await response.json(content_type=None) if status == 200 else None
    except asyncio.TimeoutError:
        error: str | None = "timeout"
    except aiohttp.ClientError as exc:
        error = f"connection ({type(exc).__name__})"
    except ValueError:  # a 200 whose body is not JSON
        error = "bad body"
    else:
        error = judge(status, body, turn)
    if error:
        run.errors[error] += 1
        if len(run.error_examples) < MAX_ERROR_EXAMPLES:
            run.error_examples.append({"sender": sender, "message": turn.message, "error": error})
        return False
    run.latencies_ms.append((time.perf_counter() - started) * 1000)
    return True


async def drive(
    base_url: str, scripts: list[Script], concurrency: int, sender_prefix: str, timeout: float = 30.0
) -> LevelRun:
    """Hold `concurrency` conversations open at once until every script has been said once.

    Each conversation is one sender id and says its turns one after another, each as soon as the last
    reply arrived (no thinking time: the heaviest load a number of open conversations can give).
    """
    run = LevelRun(concurrency=concurrency, conversations=len(scripts))
    url = base_url.rstrip("/") + REST_PATH
    slots = asyncio.Semaphore(concurrency)
    # The client never queues a conversation itself, and it drops an idle connection before Sanic (Rasa's web
    # server, 5 s by default) would, so that a reused connection closing under it is never counted as an error.
    connector = aiohttp.TCPConnector(limit=concurrency, keepalive_timeout=KEEPALIVE_SECONDS)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:

        async def converse(index: int, script: Script) -> None:
            async with slots:
                sender = f"{sender_prefix}-{index:05d}"
                results = [await _send(session, url, sender, turn, run) for turn in script.turns]
                run.failed_conversations += not all(results)

        started = time.perf_counter()
        await asyncio.gather(*(converse(index, script) for index, script in enumerate(scripts)))
        run.wall_seconds = time.perf_counter() - started
    return run
