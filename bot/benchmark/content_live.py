"""How long an edited content file takes to reach a parent (the content store reloads on change)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import yaml

from bot.benchmark.driver import REST_PATH, reply_text

MARKER = "This sentence was just added by an editor."


async def seconds_until_live(base_url: str, content_dir: Path, sender: str, limit: float = 10.0) -> float | None:
    """Edit the first step of the court topic, then ask for it every 0.1 s; None if not live within `limit`.

    The file is put back as it was afterwards.
    """
    path = content_dir / "topics" / "court.yml"
    original = path.read_text()
    edited = yaml.safe_load(original)
    edited["steps"][0]["text"] = f"{MARKER} {edited['steps'][0]['text']}"
    message = {"sender": sender, "message": '/open_topic{"topic":"court"}'}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=limit)) as session:
            path.write_text(yaml.safe_dump(edited, sort_keys=False))
            edited_at = time.monotonic()
            while time.monotonic() - edited_at < limit:
                async with session.post(base_url.rstrip("/") + REST_PATH, json=message) as response:
                    if MARKER in reply_text(await response.json(content_type=None)):
                        return time.monotonic() - edited_at
                await asyncio.sleep(0.1)
            return None
    finally:
        path.write_text(original)
