"""A load driver that talks to the web services as the widget does (`/api/chat`), spread over several of them.

Requests go round the web services in turn, as a proxy in front would send them. A turn that meets a
web service that is down (refused or dropped connection, or 502/503/504) is sent again to the next one
after a short pause, as the proxy's next-upstream rule or the widget's retry would; such turns are
counted as "needed a retry". Each turn's start time is kept, so latency before and after a moment (a
process killed part-way) can be compared.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from bot.benchmark.conversations import Script, Turn

RETRY_STATUSES = frozenset({502, 503, 504})
RETRY_PAUSE_SECONDS = 0.25
MAX_TRIES = 8
REFERENCE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b")
MAX_ERROR_EXAMPLES = 20


@dataclass
class TurnResult:
    started: float  # time.monotonic() when the turn was first sent
    latency_ms: float  # until the good answer (retries included)
    tries: int
    error: str | None


@dataclass
class WebRun:
    conversations: int
    turns: list[TurnResult] = field(default_factory=list)
    references: list[str] = field(default_factory=list)  # told to parents at the end of a self-referral
    wall_seconds: float = 0.0
    failed_conversations: int = 0
    error_examples: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> Counter[str]:
        return Counter(turn.error for turn in self.turns if turn.error)


def reply_text(body: object) -> str:
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list):
        return ""
    return "\n".join(str(m.get("text") or "") for m in messages if isinstance(m, dict))


class WebServices:
    """Round-robin over the web services' base addresses."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self._next = itertools.cycle(range(len(urls)))

    def pick(self) -> int:
        return next(self._next)


async def _turn(
    session: aiohttp.ClientSession, services: WebServices, sender: str, turn: Turn, timeout: float
) -> tuple[TurnResult, str]:
    started = time.monotonic()
    first = services.pick()
    error: str | None = None
    text = ""
    for attempt in range(MAX_TRIES):
        url = services.urls[(first + attempt) % len(services.urls)] + "/api/chat"
        try:
            async with session.post(
                url, json={"sender": sender, "message": turn.message}, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                status = response.status
                body = await response.json(content_type=None)
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, asyncio.TimeoutError) as exc:
            error = f"connection ({type(exc).__name__})"
        except ValueError:
            error = "bad body"
        else:
            if status != 200:
                error = f"HTTP {status}"
                if status not in RETRY_STATUSES:
                    break
            else:
                text = reply_text(body)
                error = None if text else "empty reply"
                if error is None and turn.expect and turn.expect.lower() not in text.lower():
                    error = "unexpected reply"
                break
        await asyncio.sleep(RETRY_PAUSE_SECONDS)
    result = TurnResult(started, (time.monotonic() - started) * 1000, attempt + 1, error)
    return result, text


async def drive_web(
    urls: list[str],
    scripts: list[Script],
    sender_prefix: str,
    *,
    timeout: float = 30.0,
    on_turn: Callable[[int], None] | None = None,
    senders: list[str] | None = None,
    think_seconds: float = 0.0,
) -> WebRun:
    """Every script at once, each as one conversation saying its turns one after another (no thinking time).

    `on_turn(turns_done)` is called after every turn (the benchmark kills processes from it). `senders`
    names the conversations; by default they are `sender_prefix` and a number. `think_seconds`: the mean
    pause before each turn after the first (half to one and a half times it), as a parent reads and types;
    0 is the heaviest load those conversations can give.
    """
    run = WebRun(conversations=len(scripts))
    services = WebServices(urls)
    done = 0
    connector = aiohttp.TCPConnector(limit=len(scripts) + 10, keepalive_timeout=3.0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def converse(index: int, script: Script) -> None:
            nonlocal done
            sender = senders[index] if senders else f"{sender_prefix}-{index:05d}"
            ok = True
            pauses = random.Random(sender)  # the same pauses in every run
            for number, turn in enumerate(script.turns):
                if think_seconds and number:
                    await asyncio.sleep(think_seconds * pauses.uniform(0.5, 1.5))
                result, text = await _turn(session, services, sender, turn, timeout)
                run.turns.append(result)
                done += 1
                if on_turn:
                    on_turn(done)
                if result.error:
                    ok = False
                    if len(run.error_examples) < MAX_ERROR_EXAMPLES:
                        run.error_examples.append({"sender": sender, "message": turn.message, "error": result.error})
                elif turn.expect == "reference" and (found := REFERENCE.search(text)):
                    run.references.append(found.group(0))
            run.failed_conversations += not ok

        started = time.perf_counter()
        await asyncio.gather(*(converse(index, script) for index, script in enumerate(scripts)))
        run.wall_seconds = time.perf_counter() - started
    return run
