"""Which Rasa replica serves a conversation, and moving it to another when that one does not answer.

Each conversation goes to one replica, chosen by rendezvous hashing of its id: every replica gets a
score from a hash of (replica, conversation) and the highest wins. Adding or losing a replica moves only
the conversations it wins, so a conversation stays on one replica at a time (Rasa's Redis lock store is
not safe against two replicas serving one conversation at once, RasaHQ/rasa#9213). When the chosen replica
refuses the connection or drops it, the turn goes to the next replica in the conversation's order; when it
does not answer in time, the parent is asked to try again. Either way the failed one is tried last for a
short cool-down. Conversations live in the
shared tracker store, so the next replica carries on where the first stopped.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

# Seconds a replica that failed is put at the back of every order; after it, it is tried first again.
COOL_DOWN_SECONDS = 5.0
# A replica that cannot even take the connection this fast is down (loopback or a local network).
CONNECT_SECONDS = 2.0


class NoReplicaAnswered(RuntimeError):
    """Every replica was tried and none gave an answer."""


def _score(replica: str, conversation: str) -> bytes:
    return hashlib.blake2b(f"{replica}\n{conversation}".encode(), digest_size=8).digest()


class RasaReplicas:
    """The Rasa servers a web service relays to, with the ones that failed lately."""

    def __init__(
        self, urls: Sequence[str], *, cool_down: float = COOL_DOWN_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not urls:
            raise ValueError("at least one Rasa server is needed")
        self.urls = tuple(url.rstrip("/") for url in urls)
        self.cool_down = cool_down
        self._clock = clock
        self._failed_at: dict[str, float] = {}

    def preferred(self, conversation: str) -> tuple[str, ...]:
        """Every replica, in this conversation's own stable order."""
        return tuple(sorted(self.urls, key=lambda url: _score(url, conversation), reverse=True))

    def order(self, conversation: str) -> list[str]:
        """The order to try now: the conversation's own order, with replicas that failed lately moved last."""
        now = self._clock()
        cooling = {url for url, at in self._failed_at.items() if now - at < self.cool_down}
        preferred = self.preferred(conversation)
        return [url for url in preferred if url not in cooling] + [url for url in preferred if url in cooling]

    def failed(self, url: str) -> None:
        self._failed_at[url] = self._clock()

    def answered(self, url: str) -> None:
        self._failed_at.pop(url, None)


@dataclass(frozen=True)
class Relayed:
    body: Any  # the replica's JSON answer
    replica: str
    tries: int  # 1 when the first replica answered


# What a replica that is down or died mid-turn looks like from here: the connection was refused, reset or
# dropped. The turn goes to the next replica (a replica killed mid-turn saved nothing: Rasa saves a
# conversation at the end of the turn). A replica that is slow or hung gets no second copy of the turn, which
# could then run twice; the parent is told to try again, and that replica is tried last for a while, so the
# next turn goes elsewhere. A reply with an error status is an answer: the replica is up.
_DOWN = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError)
_SLOW = (asyncio.TimeoutError, TimeoutError)


def _never_connected(exc: BaseException) -> bool:
    """aiohttp's words for a connection that was never made (sock_connect ran out), unlike a reply that never came."""
    return isinstance(exc, aiohttp.ServerTimeoutError) and str(exc).startswith("Connection timeout")


class ReplicaHttpError(RuntimeError):
    def __init__(self, replica: str, status: int) -> None:
        super().__init__(f"Rasa replica answered HTTP {status}")
        self.replica = replica
        self.status = status


async def relay(
    session: aiohttp.ClientSession,
    replicas: RasaReplicas,
    conversation: str,
    method: str,
    path: str,
    *,
    timeout: float,
    **request: Any,
) -> Relayed:
    """Send one request for `conversation` to its replica, moving on to the next while one does not answer.

    Raises ReplicaHttpError for a replica that answered with an error status, NoReplicaAnswered when none answered.
    """
    attempts = replicas.order(conversation)
    for tries, url in enumerate(attempts, start=1):
        try:
            async with session.request(
                method,
                url + path,
                timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=min(CONNECT_SECONDS, timeout)),
                **request,
            ) as response:
                if response.status != 200:
                    replicas.answered(url)
                    raise ReplicaHttpError(url, response.status)
                body = await response.json(content_type=None)
        except (*_SLOW, *_DOWN) as exc:
            replicas.failed(url)
            # aiohttp's ServerTimeoutError is both; one that never connected sent nothing, like a refused connection
            if isinstance(exc, _SLOW) and not _never_connected(exc):
                log.warning("Rasa replica %d of %d took too long; not sent again elsewhere", tries, len(attempts))
                raise NoReplicaAnswered("the Rasa replica took too long") from exc
            log.warning("Rasa replica %d of %d did not answer (%s)", tries, len(attempts), type(exc).__name__)
            continue
        replicas.answered(url)
        if tries > 1:
            log.info("conversation moved to another Rasa replica after %d tries", tries)
        return Relayed(body, url, tries)
    raise NoReplicaAnswered(f"none of {len(attempts)} Rasa replicas answered")
