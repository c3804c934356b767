"""How often one address, and one conversation, may send a message (the `limits` library).

A parent types a message every few seconds at most; 2,600 requests a minute from one client is a
script. Two moving windows: per conversation (tight), and per address (looser, because a school,
a library or a mobile network can put many parents behind one address). The storage is named by
`RATE_LIMIT_STORAGE`: `async+memory://` for one web service; `redis://host:6379/2` shares the counts
between several. The library's async Redis storage needs `coredis`, which is not in the environment; its
Redis storage through redis-py (which Rasa already brings) is used instead, from a worker thread so the
event loop never waits on the network.
Help now never goes through here: the widget has its numbers already, and /widget/config.json is
not limited.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse, storage, strategies
from limits.aio import strategies as aio_strategies


@dataclass(frozen=True)
class RateLimitSettings:
    """CHAT_RATE_PER_ADDRESS, CHAT_RATE_PER_CONVERSATION and RATE_LIMIT_STORAGE (checked in bot.config)."""

    per_address: str
    per_conversation: str
    storage_uri: str


class ChatRateLimits:
    def __init__(self, settings: RateLimitSettings) -> None:
        self.per_address: RateLimitItem = parse(settings.per_address)
        self.per_conversation: RateLimitItem = parse(settings.per_conversation)
        self._storage = storage.storage_from_string(settings.storage_uri)  # the limiters hold it weakly
        self._shared = not settings.storage_uri.startswith("async+")
        if self._shared:
            self._limiter = strategies.MovingWindowRateLimiter(self._storage)
        else:
            self._async_limiter = aio_strategies.MovingWindowRateLimiter(self._storage)

    async def wait_needed(self, address: str, conversation: str) -> int:
        """0 where this message may go now (and count it); otherwise the seconds until it may."""
        if self._shared:
            return await asyncio.to_thread(self._wait_needed_shared, address, conversation)
        for item, key in self._keys(address, conversation):
            if not await self._async_limiter.hit(item, key):
                reset_at, _ = await self._async_limiter.get_window_stats(item, key)
                return max(1, math.ceil(reset_at - time.time()))
        return 0

    def _wait_needed_shared(self, address: str, conversation: str) -> int:
        for item, key in self._keys(address, conversation):
            if not self._limiter.hit(item, key):
                reset_at, _ = self._limiter.get_window_stats(item, key)
                return max(1, math.ceil(reset_at - time.time()))
        return 0

    def _keys(self, address: str, conversation: str) -> tuple[tuple[RateLimitItem, str], ...]:
        return ((self.per_address, "address:" + address), (self.per_conversation, "chat:" + conversation))
