"""What endpoints.yml reads from the environment for Rasa's lock store, worked out from LOCK_STORE_URL.

On its own, without Rasa: `bot.rasa_server` (which imports Rasa, and with it TensorFlow) sets these before
Rasa reads the file, and the tests of endpoints.yml need them without loading TensorFlow.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def lock_store_environment(url: str) -> dict[str, str]:
    """What endpoints.yml's lock store reads: in memory for an empty LOCK_STORE_URL, else Rasa's Redis lock store."""
    if not url:
        return {"LOCK_STORE_TYPE": "in_memory", "LOCK_STORE_HOST": "", "LOCK_STORE_PORT": "6379", "LOCK_STORE_DB": "1",
                "LOCK_STORE_PASSWORD": ""}
    parts = urlsplit(url)
    return {
        "LOCK_STORE_TYPE": "redis",
        "LOCK_STORE_HOST": parts.hostname or "",
        "LOCK_STORE_PORT": str(parts.port or 6379),
        "LOCK_STORE_DB": parts.path.lstrip("/") or "1",
        "LOCK_STORE_PASSWORD": unquote(parts.password or ""),
    }
