"""How often one address, and one conversation, may send a message (the `limits` library).

A parent types a message every few seconds at most; 2,600 requests a minute from one client is a
script. Two moving windows: per conversation (tight), and per address (looser, because a school,
a library or a mobile network can put many parents behind one address). The storage is named by
`RATE_LIMIT_STORAGE` (memory for one web service; `async+redis://...` shares it between several).
Help now never goes through here: the widget has its numbers already, and /widget/config.json is
not limited.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse, storage
from limits.aio.strategies import MovingWindowRateLimiter


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
        self._storage = storage.storage_from_string(settings.storage_uri)  # the limiter holds it weakly
        self._limiter = MovingWindowRateLimiter(self._storage)

    async def wait_needed(self, address: str, conversation: str) -> int:
        """0 where this message may go now (and count it); otherwise the seconds until it may."""
        for item, key in ((self.per_address, "address:" + address), (self.per_conversation, "chat:" + conversation)):
            if not await self._limiter.hit(item, key):
                reset_at, _ = await self._limiter.get_window_stats(item, key)
                return max(1, math.ceil(reset_at - time.time()))
        return 0
